// The request-path metrics (series.ts) stand in for prom-client's Counter and
// Histogram: the same observations must give byte-for-byte the same /metrics
// text as prom-client's own metrics, the same JSON for the cluster
// aggregation (summed across workers), and reset like prom-client's.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { Registry, Counter, Histogram, AggregatorRegistry } from 'prom-client'
import { createWorkerMetrics } from '@gatehouse/gateway'

const test = suite('series')

// The values straddle bucket bounds, land exactly on some (le is inclusive) and past the last.
const SECONDS = [0.0001, 0.0005, 0.0007, 0.001, 0.003, 0.02, 0.25, 0.9, 4, 31, 120]
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

function reference (): { registry: Registry, requests: Counter<'api' | 'method' | 'code'>, duration: Histogram<'api'> } {
  const registry = new Registry()
  return {
    registry,
    requests: new Counter({ name: 'gatehouse_http_requests_total', help: 'Requests answered, by API, method and status code.', labelNames: ['api', 'method', 'code'] as const, registers: [registry] }),
    duration: new Histogram({ name: 'gatehouse_http_request_duration_seconds', help: 'Time from request head to the end of the response, by API.', labelNames: ['api'] as const, buckets: BUCKETS, registers: [registry] })
  }
}

test('the same observations give prom-client\'s exposition text', async () => {
  const ours = createWorkerMetrics(null)
  const ref = reference()
  for (const [api, n] of [['a', 3], ['b "quoted"', 1]] as const) {
    const child = ours.requestDuration.child(api)
    for (let i = 0; i < n; i++) {
      for (const s of SECONDS) {
        child.observe(s)
        ref.duration.observe({ api }, s)
      }
    }
  }
  for (const [api, method, code, n] of [['a', 'GET', '200', 5], ['a', 'POST', '502', 2], ['b "quoted"', 'GET', '404', 1]] as const) {
    const child = ours.requests.child(api, method, code)
    for (let i = 0; i < n; i++) {
      child.inc()
      ref.requests.inc({ api, method, code })
    }
  }
  // A child that never counted exports nothing, as an unobserved prom-client child.
  ours.requestDuration.child('silent')
  ours.requests.child('silent', 'GET', '200')
  for (const name of ['gatehouse_http_request_duration_seconds', 'gatehouse_http_requests_total']) {
    const got = await ours.registry.getSingleMetricAsString(name)
    assert.is(got, await ref.registry.getSingleMetricAsString(name), name)
  }
  assert.ok((await ours.registry.getSingleMetricAsString('gatehouse_http_request_duration_seconds')).includes('gatehouse_http_request_duration_seconds_bucket{le="0.0005",api="a"} 6'))
  assert.not.ok((await ours.registry.metrics()).includes('silent'))
})

test('default labels land where prom-client puts them', async () => {
  const ours = createWorkerMetrics(null)
  const ref = reference()
  ours.registry.setDefaultLabels({ worker: '1' })
  ref.registry.setDefaultLabels({ worker: '1' })
  ours.requestDuration.child('a').observe(0.003)
  ref.duration.observe({ api: 'a' }, 0.003)
  ours.requests.child('a', 'GET', '200').inc()
  ref.requests.inc({ api: 'a', method: 'GET', code: '200' })
  for (const name of ['gatehouse_http_request_duration_seconds', 'gatehouse_http_requests_total']) {
    assert.is(await ours.registry.getSingleMetricAsString(name), await ref.registry.getSingleMetricAsString(name), name)
  }
  assert.throws(() => ours.requests.child('a', 'GET'), /label values/)
})

test('worker snapshots sum in the cluster aggregation', async () => {
  const w1 = createWorkerMetrics(null)
  const w2 = createWorkerMetrics(null)
  w1.upstreamDuration.child('a').observe(0.002)
  w2.upstreamDuration.child('a').observe(0.2)
  w1.requests.child('a', 'GET', '200').inc()
  w2.requests.child('a', 'GET', '200').inc()
  const total = AggregatorRegistry.aggregate([await w1.registry.getMetricsAsJSON(), await w2.registry.getMetricsAsJSON()])
  const text = await total.metrics()
  assert.ok(text.includes('gatehouse_http_requests_total{api="a",method="GET",code="200"} 2'), text)
  assert.ok(text.includes('gatehouse_upstream_request_duration_seconds_bucket{le="0.0025",api="a"} 1'), text)
  assert.ok(text.includes('gatehouse_upstream_request_duration_seconds_bucket{le="0.25",api="a"} 2'), text)
  assert.ok(text.includes('gatehouse_upstream_request_duration_seconds_count{api="a"} 2'), text)
})

test('resetMetrics zeroes the series and children keep counting after it', async () => {
  const m = createWorkerMetrics(null)
  const child = m.requests.child('a', 'GET', '200')
  child.inc()
  m.requestDuration.child('a').observe(0.01)
  m.registry.resetMetrics()
  assert.not.ok((await m.registry.metrics()).includes('api="a"'))
  child.inc()
  assert.ok((await m.registry.metrics()).includes('gatehouse_http_requests_total{api="a",method="GET",code="200"} 1'))
  assert.is(m.requests.child('a', 'GET', '200'), child, 'a label set resolves to one child')
})

test.run()
