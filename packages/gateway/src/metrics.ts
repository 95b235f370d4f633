// Every Prometheus metric Gatehouse exports, created once, with the names of
// DESIGN.md. Workers own the request-path metrics; the primary owns the config
// and certificate metrics and aggregates the workers' registries for /metrics.
// Labels come only from bounded sets: the configured API name (or the single
// catch-all `UNMATCHED_API`), the method folded to a known set, the status code.
import { createRequire } from 'node:module'
import type * as Prom from 'prom-client'
import { HotCounter, HotHistogram } from './series.js'

// prom-client's index also loads its Pushgateway (zlib, http, https), its
// Summary and @opentelemetry/api (for exemplars of its CPU metric), none of
// which Gatehouse uses: about 2.5 MiB of every process (README "Memory"). So
// its modules are required one by one, and the three process_cpu_* counters
// are made here the way its default metric makes them (without exemplars).
// Pinned by the lockfile; a move of these paths fails every gateway start,
// so the tests see it.
const requireDep = createRequire(import.meta.url)
/** A module of prom-client's lib/ directory. */
export function promClientLib (name: string): unknown {
  return requireDep(`prom-client/lib/${name}`)
}
const Registry = promClientLib('registry') as typeof Prom.Registry
const Counter = promClientLib('counter') as typeof Prom.Counter
const Gauge = promClientLib('gauge') as typeof Prom.Gauge

type DefaultMetric = (registry: Prom.Registry, config: { register: Prom.Registry, labels: Record<string, string>, eventLoopMonitoringPrecision: number }) => void

// prom-client's collectDefaultMetrics(), in its order, after process_cpu_*.
const DEFAULT_METRICS = [
  'processStartTime', 'osMemoryHeap', 'processOpenFileDescriptors', 'processMaxFileDescriptors', 'eventLoopLag',
  ...(typeof process.getActiveResourcesInfo === 'function' ? ['processResources'] : []),
  'processHandles', 'processRequests', 'heapSizeAndUsed', 'heapSpacesSizeAndUsed', 'version', 'gc'
]

// prom-client samples event-loop delay with a repeating 10 ms timer: 100 wake-ups
// a second in every process, idle or not. The primary's were 1% of the proxy
// core at 10,000 req/s (each one preempts a worker); an idle gateway woke ~300
// times a second. A stall still shows in full on the next sample at 100 ms;
// only the number of samples behind the percentiles drops.
const EVENT_LOOP_SAMPLE_MS = 100

function collectDefaultMetrics (registry: Prom.Registry, labels: Record<string, string>): void {
  processCpuMetrics(registry, labels)
  const config = { register: registry, labels, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS }
  for (const name of DEFAULT_METRICS) (promClientLib(`metrics/${name}`) as DefaultMetric)(registry, config)
}

function processCpuMetrics (registry: Prom.Registry, labels: Record<string, string>): void {
  const registers = [registry]
  const labelNames = Object.keys(labels)
  let last = process.cpuUsage()
  const user = new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers,
    labelNames,
    // One collect sets all three, as in prom-client.
    collect () {
      const now = process.cpuUsage()
      const userMicros = now.user - last.user
      const systemMicros = now.system - last.system
      last = now
      user.inc(labels, userMicros / 1e6)
      system.inc(labels, systemMicros / 1e6)
      total.inc(labels, (userMicros + systemMicros) / 1e6)
    }
  })
  const system = new Counter({ name: 'process_cpu_system_seconds_total', help: 'Total system CPU time spent in seconds.', registers, labelNames })
  const total = new Counter({ name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.', registers, labelNames })
}

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
  registry: Prom.Registry
  /** The request-path series: children resolved once per API (series.ts). */
  requests: HotCounter
  requestDuration: HotHistogram
  upstreamDuration: HotHistogram
  activeConnections: Prom.Gauge
  tlsHandshakes: Prom.Counter<'version' | 'resumed'>
  tlsHandshakeErrors: Prom.Counter<'reason'>
}

/** Creates the worker's registry; `slot` (0..workers-1) labels its process metrics. */
export function createWorkerMetrics (slot: number | null): WorkerMetrics {
  const registry = new Registry()
  if (slot !== null) collectDefaultMetrics(registry, { worker: String(slot) })
  return {
    registry,
    requests: new HotCounter({
      name: 'gatehouse_http_requests_total',
      help: 'Requests answered, by API, method and status code.',
      labelNames: ['api', 'method', 'code'],
      registry
    }),
    requestDuration: new HotHistogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'Time from request head to the end of the response, by API.',
      labelName: 'api',
      buckets: LATENCY_BUCKETS,
      registry
    }),
    upstreamDuration: new HotHistogram({
      name: 'gatehouse_upstream_request_duration_seconds',
      help: 'Time from sending the request upstream to its response head, by API.',
      labelName: 'api',
      buckets: LATENCY_BUCKETS,
      registry
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
  registry: Prom.Registry
  configReloads: Prom.Counter<'result'>
  lastReloadSuccess: Prom.Gauge
  certificateExpiry: Prom.Gauge<'domain'>
  workerRestarts: Prom.Counter
  workersUp: Prom.Gauge
}

/** Creates the primary's registry (its process metrics carry `worker="primary"`). */
export function createPrimaryMetrics (): PrimaryMetrics {
  const registry = new Registry()
  collectDefaultMetrics(registry, { worker: 'primary' })
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
