// Every Prometheus metric Gatehouse exports, created once, with the names of
// DESIGN.md. Workers own the request-path metrics; the primary owns the config
// and certificate metrics and aggregates the workers' registries for /metrics.
// Labels come only from bounded sets: the configured API name (or the single
// catch-all `UNMATCHED_API`), the method folded to a known set, the status code.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** `api` label for requests that matched no API (404s, bad requests). */
export const UNMATCHED_API = '(none)'

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE'])

/** Folds an arbitrary request method into a bounded label value. */
export function methodLabel (method: string | undefined): string {
  return method !== undefined && KNOWN_METHODS.has(method) ? method : 'OTHER'
}

// Seconds. Chosen for a proxy: most requests land in the low milliseconds, and
// the upper buckets still separate a slow upstream from a hung one.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** The metrics a worker updates while serving. */
export interface WorkerMetrics {
  registry: Registry
  requests: Counter<'api' | 'method' | 'code'>
  requestDuration: Histogram<'api'>
  upstreamDuration: Histogram<'api'>
  activeConnections: Gauge
  tlsHandshakes: Counter<'version' | 'resumed'>
  tlsHandshakeErrors: Counter<'reason'>
}

/** Creates the worker's registry; `slot` (0..workers-1) labels its process metrics. */
export function createWorkerMetrics (slot: number | null): WorkerMetrics {
  const registry = new Registry()
  if (slot !== null) collectDefaultMetrics({ register: registry, labels: { worker: String(slot) } })
  return {
    registry,
    requests: new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'Requests answered, by API, method and status code.',
      labelNames: ['api', 'method', 'code'] as const,
      registers: [registry]
    }),
    requestDuration: new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'Time from request head to the end of the response, by API.',
      labelNames: ['api'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry]
    }),
    upstreamDuration: new Histogram({
      name: 'gatehouse_upstream_request_duration_seconds',
      help: 'Time from sending the request upstream to its response head, by API.',
      labelNames: ['api'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry]
    }),
    activeConnections: new Gauge({
      name: 'gatehouse_http_active_connections',
      help: 'Client connections currently open on the public listeners.',
      registers: [registry]
    }),
    tlsHandshakes: new Counter({
      name: 'gatehouse_tls_handshakes_total',
      help: 'Completed TLS handshakes, by protocol version and whether the session was resumed.',
      labelNames: ['version', 'resumed'] as const,
      registers: [registry]
    }),
    tlsHandshakeErrors: new Counter({
      name: 'gatehouse_tls_handshake_errors_total',
      help: 'Failed TLS handshakes, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry]
    })
  }
}

/** The metrics the primary owns. */
export interface PrimaryMetrics {
  registry: Registry
  configReloads: Counter<'result'>
  lastReloadSuccess: Gauge
  certificateExpiry: Gauge<'domain'>
  workerRestarts: Counter
  workersUp: Gauge
}

/** Creates the primary's registry (its process metrics carry `worker="primary"`). */
export function createPrimaryMetrics (): PrimaryMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, labels: { worker: 'primary' } })
  const configReloads = new Counter({
    name: 'gatehouse_config_reloads_total',
    help: 'Config reloads (SIGHUP or file watch), by result.',
    labelNames: ['result'] as const,
    registers: [registry]
  })
  // Both series exist from the start, so alerts on increase() see the first failure.
  configReloads.inc({ result: 'success' }, 0)
  configReloads.inc({ result: 'failure' }, 0)
  return {
    registry,
    configReloads,
    lastReloadSuccess: new Gauge({
      name: 'gatehouse_config_last_reload_success_timestamp_seconds',
      help: 'Unix time of the last successful config load or reload.',
      registers: [registry]
    }),
    certificateExpiry: new Gauge({
      name: 'gatehouse_certificate_expiry_timestamp_seconds',
      help: 'Unix time at which the certificate serving each configured domain expires.',
      labelNames: ['domain'] as const,
      registers: [registry]
    }),
    workerRestarts: new Counter({
      name: 'gatehouse_worker_restarts_total',
      help: 'Workers that exited unexpectedly and were respawned.',
      registers: [registry]
    }),
    workersUp: new Gauge({
      name: 'gatehouse_workers',
      help: 'Workers currently listening.',
      registers: [registry]
    })
  }
}
