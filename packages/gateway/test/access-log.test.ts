// The access log and request metrics: one JSON line per request with the
// fields of issue 4 (time, request id, api, method, path, status, bytes,
// durations, client ip, TLS version, resumed); requests counted by
// {api, method, code} with unmatched requests under the catch-all api label.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createDataPlane, createWorkerMetrics, UNMATCHED_API, type DataPlane, type WorkerMetrics } from '@gatehouse/gateway'
import { makePki, makeTable, request, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('access-log')
let pki: Pki
let echo: Echo
let plane: DataPlane
let metrics: WorkerMetrics
let port = 0
let logFile = ''

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  logFile = join(pki.dir, 'logs', 'access.log')
  const leaf = pki.leaf('a', ['a.test'])
  metrics = createWorkerMetrics(null)
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['a.test'] }],
    accessLog: logFile,
    apis: [{ name: 'logged', domain: 'a.test', listenPath: '/in', targets: [echo.url] }]
  }), { metrics })
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await echo.close()
  pki.cleanup()
})

test('one JSON line per request with every field; metrics by api/method/code', async () => {
  const a = await request({ port, host: 'a.test', path: '/in/x?secret=1', ca: pki.caPem, method: 'POST', body: 'hello' })
  assert.is(a.status, 200)
  const b = await request({ port, host: 'a.test', path: '/nowhere', ca: pki.caPem })
  assert.is(b.status, 404)
  await plane.drain(1000) // flushes the log
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  assert.is(lines.length, 2)
  const first = lines[0]
  assert.equal(Object.keys(first).sort(), ['api', 'bytes_in', 'bytes_out', 'client_ip', 'duration_ms', 'method', 'path', 'pid', 'request_id', 'resumed', 'status', 'time', 'tls_version', 'upstream_ms'])
  assert.is(first.api, 'logged')
  assert.is(first.method, 'POST')
  assert.is(first.path, '/in/x', 'the query string is not logged')
  assert.is(first.status, 200)
  assert.is(first.request_id, a.headers['x-request-id'])
  assert.ok(first.bytes_in > 5 && first.bytes_out > 0, JSON.stringify(first))
  assert.ok(first.duration_ms >= first.upstream_ms && first.upstream_ms > 0)
  assert.is(first.client_ip, '127.0.0.1')
  assert.ok(first.tls_version === 'TLSv1.3' || first.tls_version === 'TLSv1.2')
  assert.is(first.resumed, false)
  assert.ok(Math.abs(first.time - Date.now()) < 60_000)
  assert.is(lines[1].api, UNMATCHED_API)
  assert.is(lines[1].status, 404)

  const counted = (await metrics.requests.get()).values
  const find = (api: string, method: string, code: string): number =>
    counted.find((v) => v.labels.api === api && v.labels.method === method && v.labels.code === code)?.value ?? 0
  assert.is(find('logged', 'POST', '200'), 1)
  assert.is(find(UNMATCHED_API, 'GET', '404'), 1)
  const hist = (await metrics.requestDuration.get()).values
  assert.ok(hist.some((v) => v.labels.api === 'logged' && (v as { metricName?: string }).metricName === 'gatehouse_http_request_duration_seconds_count' && v.value === 1))
  const up = (await metrics.upstreamDuration.get()).values
  assert.ok(up.some((v) => v.labels.api === 'logged' && (v as { metricName?: string }).metricName === 'gatehouse_upstream_request_duration_seconds_count' && v.value === 1))
})

test.run()
