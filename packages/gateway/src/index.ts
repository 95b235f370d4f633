// Public surface of @gatehouse/gateway.
export {}
