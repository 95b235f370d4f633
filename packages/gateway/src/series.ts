// The request-path metrics as plain numbers. prom-client's labelled children
// hash their label values on every inc() and observe() (a string built and
// looked up per call, label names validated, histogram buckets keyed by the
// bound turned into a string): about 4% of a keep-alive request's CPU
// (bench/RESULTS.md). Here each label set is a child object resolved once
// (per API, or per API/method/code), counting in its own fields. The registry
// reads them through get(), in prom-client's own shape (the one its Counter and
// Histogram return), so /metrics, the cluster aggregation and the names of
// DESIGN.md do not change. A series appears once it has counted something, as
// prom-client's do. The registry holds these objects under the three names:
// registry.getSingleMetric() returns one of them, not a prom-client metric.
import type * as Prom from 'prom-client'

/** One exported value, as prom-client's get() lists it. */
export interface SeriesValue {
  labels: Record<string, string | number>
  value: number
  metricName?: string
  /** A histogram's own labels, apart from `le` (getForPromString only, as prom-client's). */
  sharedLabels?: Record<string, string>
}

/** What the registry reads from a metric: prom-client's get() result. */
export interface SeriesJson {
  name: string
  help: string
  type: 'counter' | 'histogram'
  values: SeriesValue[]
  aggregator: 'sum'
}

/** One label set of a HotCounter. */
export class CounterChild {
  readonly labels: Record<string, string>
  value = 0
  constructor (labels: Record<string, string>) {
    this.labels = labels
  }

  /** Adds one. */
  inc (): void {
    this.value++
  }

  /** Back to zero (the series stays listed once it has counted, as prom-client's). */
  reset (): void {
    this.value = 0
  }
}

/** What the registry needs of a metric besides get() and reset(); registers itself. */
abstract class HotMetric<Child extends { reset(): void }> {
  readonly name: string
  readonly help: string
  readonly aggregator = 'sum'
  /** The label sets, by a key of their values. */
  protected readonly children = new Map<string, Child>()

  constructor (name: string, help: string, registry: Prom.Registry) {
    this.name = name
    this.help = help
    registry.registerMetric(this as unknown as Prom.Metric)
  }

  /** Zeroes every series (Registry.resetMetrics). */
  reset (): void {
    for (const c of this.children.values()) c.reset()
  }
}

/** A counter whose label sets are resolved once (child()) and counted without hashing. */
export class HotCounter extends HotMetric<CounterChild> {
  readonly type = 'counter'
  readonly labelNames: readonly string[]

  constructor (opts: { name: string, help: string, labelNames: readonly string[], registry: Prom.Registry }) {
    super(opts.name, opts.help, opts.registry)
    this.labelNames = opts.labelNames
  }

  /** The child of these label values (in labelNames order), created on first use. */
  child (...values: string[]): CounterChild {
    if (values.length !== this.labelNames.length) throw new TypeError(`${this.name} takes ${this.labelNames.length} label values`)
    // Resolved once per label set by the callers, so the key need not be cheap, only unambiguous.
    const key = JSON.stringify(values)
    let c = this.children.get(key)
    if (c === undefined) {
      const labels: Record<string, string> = {}
      this.labelNames.forEach((n, i) => { labels[n] = values[i] as string })
      c = new CounterChild(labels)
      this.children.set(key, c)
    }
    return c
  }

  /** prom-client's Counter.get(): every label set that counted. */
  async get (): Promise<SeriesJson> {
    const values: SeriesValue[] = []
    for (const c of this.children.values()) if (c.value > 0) values.push({ labels: { ...c.labels }, value: c.value })
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

}

/** One label set of a HotHistogram. */
export class HistogramChild {
  readonly labels: Record<string, string>
  readonly bounds: readonly number[]
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: number[]
  sum = 0
  count = 0
  constructor (labels: Record<string, string>, bounds: readonly number[]) {
    this.labels = labels
    this.bounds = bounds
    this.counts = Array.from({ length: bounds.length + 1 }, () => 0)
  }

  /** Records one value (seconds); NaN is dropped (prom-client throws, the request path must not). */
  observe (value: number): void {
    if (Number.isNaN(value)) return
    const bounds = this.bounds
    let i = 0
    // Ascending, and most values land in the first few buckets.
    while (i < bounds.length && value > (bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    this.sum += value
    this.count++
  }

  /** Back to no observations. */
  reset (): void {
    this.counts.fill(0)
    this.sum = 0
    this.count = 0
  }
}

/** A histogram whose label sets are resolved once (child()) and observed without hashing. */
export class HotHistogram extends HotMetric<HistogramChild> {
  readonly type = 'histogram'
  readonly labelName: string
  readonly bounds: readonly number[]

  constructor (opts: { name: string, help: string, labelName: string, buckets: readonly number[], registry: Prom.Registry }) {
    super(opts.name, opts.help, opts.registry)
    this.labelName = opts.labelName
    this.bounds = opts.buckets
  }

  /** The child of this label value, created on first use. */
  child (value: string): HistogramChild {
    let c = this.children.get(value)
    if (c === undefined) {
      c = new HistogramChild({ [this.labelName]: value }, this.bounds)
      this.children.set(value, c)
    }
    return c
  }

  /**
   * prom-client's Histogram.getForPromString() (what the registry prints): cumulative
   * buckets, +Inf, _sum and _count per label set, the label set in `sharedLabels` so
   * that default labels land where prom-client puts them.
   */
  async getForPromString (): Promise<SeriesJson> {
    const values: SeriesValue[] = []
    const bucket = `${this.name}_bucket`
    for (const c of this.children.values()) {
      if (c.count === 0) continue
      let acc = 0
      this.bounds.forEach((le, i) => {
        acc += c.counts[i] as number
        values.push({ labels: { le }, sharedLabels: c.labels, value: acc, metricName: bucket })
      })
      values.push({ labels: { le: '+Inf' }, sharedLabels: c.labels, value: c.count, metricName: bucket })
      values.push({ labels: {}, sharedLabels: c.labels, value: c.sum, metricName: `${this.name}_sum` })
      values.push({ labels: {}, sharedLabels: c.labels, value: c.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  /** prom-client's Histogram.get() (JSON for the cluster aggregation): the same, labels merged. */
  async get (): Promise<SeriesJson> {
    const data = await this.getForPromString()
    for (const v of data.values) {
      v.labels = { ...v.labels, ...v.sharedLabels }
      delete v.sharedLabels
    }
    return data
  }

}
