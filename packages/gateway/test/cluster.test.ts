// `gatehouse start` under node:cluster: two workers come up, /readyz turns
// 200, connections are spread over both workers, the aggregated request
// counter equals what was sent, and promtool accepts /metrics.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminGet, configYaml, freePort, get, makeCerts, metricSum, runCli, startUpstream, tempDir, until, type Running } from './helpers/cluster.js'

const test = suite('cluster')
const ctx = {} as { tmp: ReturnType<typeof tempDir>, up: Awaited<ReturnType<typeof startUpstream>>, gw: Running, https: number, admin: number, ca: string }

test.before(async () => {
  ctx.tmp = tempDir()
  const certs = makeCerts(ctx.tmp.dir, ['api.test.localhost', 'localhost', '127.0.0.1'])
  ctx.ca = readFileSync(certs.ca, 'utf8')
  ctx.up = await startUpstream('one')
  ctx.https = await freePort()
  ctx.admin = await freePort()
  const file = join(ctx.tmp.dir, 'gatehouse.yaml')
  writeFileSync(file, configYaml({ httpsPort: ctx.https, adminPort: ctx.admin, cert: certs.cert, key: certs.key, apis: [{ name: 'one', domain: 'api.test.localhost', target: ctx.up.url }] }))
  ctx.gw = runCli(['start', '-c', file, '--workers', '2'])
  await ctx.gw.waitFor((l) => l.includes('gatehouse ready'))
})

test.after(async () => {
  await ctx.gw?.stop()
  await ctx.up?.close()
  ctx.tmp?.cleanup()
})

test('readyz is 200 once both workers listen, healthz is 200', async () => {
  const ready = await adminGet(ctx.admin, '/readyz')
  assert.is(ready.status, 200, ready.body)
  assert.is((await adminGet(ctx.admin, '/healthz')).status, 200)
})

test('requests over many connections are served by both workers and counted once each', async () => {
  const before = metricSum((await adminGet(ctx.admin, '/metrics')).body, 'gatehouse_http_requests_total', 'api="one"')
  const n = 60
  for (let i = 0; i < n; i++) {
    const r = await get(ctx.https, 'api.test.localhost', `/n/${i}`, { ca: ctx.ca })
    assert.is(r.status, 200)
    assert.is(JSON.parse(r.body).upstream, 'one')
  }
  // Access-log lines carry the worker's pid: both workers must have served.
  await until(() => ctx.gw.json().filter((l) => typeof l.path === 'string' && String(l.path).startsWith('/n/')).length >= n, 10_000)
  const pids = new Set(ctx.gw.json().filter((l) => typeof l.path === 'string' && String(l.path).startsWith('/n/')).map((l) => l.pid))
  assert.is(pids.size, 2, `served by pids ${[...pids].join(',')}`)
  const text = (await adminGet(ctx.admin, '/metrics')).body
  assert.is(metricSum(text, 'gatehouse_http_requests_total', 'api="one"') - before, n)
})

test('default scheduling is os: workers accept themselves, one connection per wake-up', async () => {
  const doc = JSON.parse((await adminGet(ctx.admin, '/config')).body) as { scheduling: string }
  assert.is(doc.scheduling, 'os')
  // The workers' environment carries libuv's single-accept switch (the primary's does not).
  const pids = [...new Set(ctx.gw.json().filter((l) => typeof l.path === 'string').map((l) => Number(l.pid)))]
  assert.is(pids.length, 2)
  for (const pid of pids) {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
    assert.ok(env.includes('UV_TCP_SINGLE_ACCEPT=1'), `worker ${pid} lacks UV_TCP_SINGLE_ACCEPT=1`)
  }
  const primary = readFileSync(`/proc/${ctx.gw.proc.pid}/environ`, 'utf8').split('\0')
  assert.not.ok(primary.includes('UV_TCP_SINGLE_ACCEPT=1'))
})

test('/metrics has every DESIGN.md metric name and promtool accepts it', async () => {
  const text = (await adminGet(ctx.admin, '/metrics')).body
  for (const name of ['gatehouse_http_requests_total', 'gatehouse_http_request_duration_seconds', 'gatehouse_upstream_request_duration_seconds',
    'gatehouse_http_active_connections', 'gatehouse_tls_handshakes_total', 'gatehouse_tls_handshake_errors_total', 'gatehouse_config_reloads_total',
    'gatehouse_config_last_reload_success_timestamp_seconds', 'gatehouse_certificate_expiry_timestamp_seconds']) {
    assert.ok(text.includes(`# TYPE ${name} `), `missing ${name}`)
  }
  assert.ok(/gatehouse_certificate_expiry_timestamp_seconds\{domain="api.test.localhost"\} \d+/.test(text))
  // promtool reads the exposition from stdin and exits non-zero on any problem.
  execFileSync('promtool', ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] })
})

test('/config shows the version, APIs and certificate expiry but never key material', async () => {
  const res = await adminGet(ctx.admin, '/config')
  assert.is(res.status, 200)
  const doc = JSON.parse(res.body) as { version: string, apis: Array<{ name: string }>, certificates: Array<{ days_left: number }> }
  assert.match(doc.version, /^[0-9a-f]{64}$/)
  assert.equal(doc.apis.map((a) => a.name), ['one'])
  assert.ok((doc.certificates[0]?.days_left ?? -1) >= 9)
  assert.not.match(res.body, /PRIVATE KEY/)
})

test('a stopped (silent) worker does not fail the scrape: its last counters are used', async () => {
  const before = metricSum((await adminGet(ctx.admin, '/metrics')).body, 'gatehouse_http_requests_total', 'api="one"')
  const pids = [...new Set(ctx.gw.json().filter((l) => typeof l.pid === 'number' && l.component === undefined && typeof l.request_id === 'string').map((l) => l.pid as number))]
  assert.ok(pids.length >= 1)
  process.kill(pids[0] ?? 0, 'SIGSTOP')
  try {
    // prom-client's clusterMetrics() would fail this scrape after 5 s.
    const res = await adminGet(ctx.admin, '/metrics')
    assert.is(res.status, 200)
    assert.is(metricSum(res.body, 'gatehouse_http_requests_total', 'api="one"'), before)
  } finally {
    process.kill(pids[0] ?? 0, 'SIGCONT')
  }
})

test.run()
