// Public surface of @gatehouse/certs.
export {}
