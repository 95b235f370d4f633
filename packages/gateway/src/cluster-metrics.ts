// Aggregates the workers' metrics for the primary's /metrics. prom-client's
// own AggregatorRegistry.clusterMetrics() fails the whole scrape after 5 s when
// one worker is silent and forgets a dead worker's counters; this keeps the
// last snapshot of every worker, waits a bounded time for fresh ones, and folds
// the counters and histograms of workers that died into a "retired" snapshot,
// so aggregated counters never go backwards across a respawn. Summing is still
// AggregatorRegistry.aggregate(), so label handling matches prom-client's.
import type { AggregatorRegistry as Aggregator, Registry } from 'prom-client'
import type { MetricsSnapshot } from './ipc.js'
import { promClientLib } from './metrics.js'

// Only the primary aggregates: workers never load this part of prom-client.
const AggregatorRegistry = promClientLib('cluster') as typeof Aggregator

type Metric = MetricsSnapshot[number]
type Value = Metric['values'][number]

/** How a worker is asked for a snapshot (returns false when it cannot be asked). */
export type AskWorker = (workerId: number, requestId: number) => boolean

/** Collects, caches and sums worker snapshots. */
export class ClusterMetrics {
  readonly #primary: Registry
  readonly #ask: AskWorker
  readonly #waitMs: number
  readonly #latest = new Map<number, MetricsSnapshot>()
  readonly #pending = new Map<number, { waiting: Set<number>, done: () => void }>()
  #retired = new Map<string, Metric>()
  #nextRequest = 1

  constructor (primary: Registry, ask: AskWorker, waitMs = 1000) {
    this.#primary = primary
    this.#ask = ask
    this.#waitMs = waitMs
  }

  /** Stores a snapshot a worker sent (in answer to a request, or pushed). */
  receive (workerId: number, requestId: number, snapshot: MetricsSnapshot): void {
    this.#latest.set(workerId, snapshot)
    const pending = this.#pending.get(requestId)
    if (pending === undefined) return
    pending.waiting.delete(workerId)
    if (pending.waiting.size === 0) pending.done()
  }

  /** Folds a dead worker's last counters and histograms into the retired totals. */
  retire (workerId: number): void {
    const last = this.#latest.get(workerId)
    this.#latest.delete(workerId)
    for (const pending of this.#pending.values()) {
      pending.waiting.delete(workerId)
      if (pending.waiting.size === 0) pending.done()
    }
    if (last === undefined) return
    for (const metric of last) {
      // Gauges describe a live process; only monotonic series outlive it.
      // (prom-client's typings say an enum; at run time the type is a string.)
      const type = metric.type as unknown as string
      if (type !== 'counter' && type !== 'histogram') continue
      const kept = this.#retired.get(metric.name)
      if (kept === undefined) {
        this.#retired.set(metric.name, { ...metric, values: metric.values.map(copyValue) })
        continue
      }
      const merged = AggregatorRegistry.aggregate([[kept], [metric]]).getSingleMetric(metric.name)
      if (merged !== undefined) {
        // aggregate() returns a registry; read its one metric back as plain values.
        const values = (merged as unknown as { get: () => Metric }).get().values
        this.#retired.set(metric.name, { ...kept, values: values.map(copyValue) })
      }
    }
  }

  /** Asks every live worker, waits at most `waitMs`, and returns Prometheus text. */
  async scrape (workerIds: Iterable<number>): Promise<string> {
    const requestId = this.#nextRequest++
    const waiting = new Set<number>()
    for (const id of workerIds) if (this.#ask(id, requestId)) waiting.add(id)
    if (waiting.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#waitMs)
        this.#pending.set(requestId, { waiting, done: () => { clearTimeout(timer); resolve() } })
      })
      this.#pending.delete(requestId)
    }
    const all: MetricsSnapshot[] = [await this.#primary.getMetricsAsJSON() as MetricsSnapshot]
    if (this.#retired.size > 0) all.push([...this.#retired.values()])
    for (const snapshot of this.#latest.values()) all.push(snapshot)
    return await AggregatorRegistry.aggregate(all.map(withoutMisnamed)).metrics()
  }
}

// prom-client's default metrics include gauges named `*_total`
// (nodejs_active_handles_total, ...), which promtool rejects and which
// duplicate `nodejs_active_handles` etc.: they are left out of the exposition.
function withoutMisnamed (snapshot: MetricsSnapshot): MetricsSnapshot {
  return snapshot.filter((m) => !(m.name.endsWith('_total') && (m.type as unknown as string) !== 'counter'))
}

function copyValue (v: Value): Value {
  return { ...v, labels: { ...v.labels } }
}
