// Internal state keys shared across the data-path files. Sockets and requests
// carry their per-connection / per-request state under these symbols so the
// module-level event handlers (STYLE #5) can find it without closures.

/** The data plane's live state, on every accepted socket. */
export const kPlane = Symbol('gatehouse.dataplane.plane')
/** The per-request proxy exchange, on the upstream ClientRequest. */
export const kExchange = Symbol('gatehouse.dataplane.exchange')
/** The per-upgrade exchange, on the upstream ClientRequest of an Upgrade. */
export const kTunnel = Symbol('gatehouse.dataplane.tunnel')
/** Client bytes read when the previous request on a connection ended (access log). */
export const kBytesRead = Symbol('gatehouse.dataplane.bytesRead')
