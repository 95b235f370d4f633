// Public surface of @gatehouse/gateway.
export { createDataPlane, handshakeErrorReason, type DataPlane, type DataPlaneOptions } from './dataplane.js'
export { startHttpbin, type Httpbin } from './httpbin.js'
export { GatehouseError, ERRORS, type GatewayErrorCode } from './errors.js'
export { createWorkerMetrics, createPrimaryMetrics, UNMATCHED_API, type WorkerMetrics, type PrimaryMetrics } from './metrics.js'
