// The bad days, against the real CLI: a worker killed with SIGKILL is
// respawned while a load loop barely notices; TLS sessions resume across
// workers (shared ticket keys); SIGTERM lets an in-flight request finish and
// the process exits 0.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminGet, runCommand, configYaml, freePort, get, loadLoop, makeCerts, metricSum, runCli, startUpstream, tempDir, until, type Running } from './helpers/cluster.js'

const test = suite('lifecycle')
const ctx = {} as { tmp: ReturnType<typeof tempDir>, up: Awaited<ReturnType<typeof startUpstream>>, gw: Running, https: number, admin: number, ca: string, caFile: string }

/** Pids of the direct children of `pid`, from /proc. */
function children (pid: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) out.push(Number(name))
    } catch { /* exited meanwhile */ }
  }
  return out
}

test.before(async () => {
  ctx.tmp = tempDir()
  const certs = makeCerts(ctx.tmp.dir, ['api.test.localhost', 'localhost'])
  ctx.caFile = certs.ca
  ctx.ca = readFileSync(certs.ca, 'utf8')
  ctx.up = await startUpstream('one')
  ctx.https = await freePort()
  ctx.admin = await freePort()
  const file = join(ctx.tmp.dir, 'gatehouse.yaml')
  writeFileSync(file, configYaml({ httpsPort: ctx.https, adminPort: ctx.admin, cert: certs.cert, key: certs.key, workers: 2, apis: [{ name: 'one', domain: 'api.test.localhost', target: ctx.up.url }] }).replace('access_log: stdout', 'access_log: off'))
  ctx.gw = runCli(['start', '-c', file])
  await ctx.gw.waitFor((l) => l.includes('gatehouse ready'))
})

test.after(async () => {
  if (process.env.GATEHOUSE_TEST_LOGS !== undefined) console.log(ctx.gw?.lines.join('\n'))
  await ctx.gw?.stop()
  await ctx.up?.close()
  ctx.tmp?.cleanup()
})

test('a TLS session resumes on every new connection across 2 workers (openssl s_client)', async () => {
  const sess = join(ctx.tmp.dir, 'session.pem')
  // -ign_eof: wait for the server to close, so the TLS 1.3 ticket (sent after
  // the handshake) arrives before s_client writes the session out.
  const base = ['s_client', '-connect', `127.0.0.1:${ctx.https}`, '-servername', 'api.test.localhost', '-CAfile', ctx.caFile, '-tls1_3', '-ign_eof']
  const request = 'GET / HTTP/1.0\r\nHost: api.test.localhost\r\n\r\n'
  const first = await runCommand('openssl', [...base, '-sess_out', sess], request)
  assert.match(first.stdout, /New, TLSv1\.3/)
  for (let i = 0; i < 10; i++) {
    const again = await runCommand('openssl', [...base, '-sess_in', sess], request)
    assert.match(again.stdout, /Reused, TLSv1\.3/, `connection ${i} was not resumed:\n${again.stdout.slice(0, 400)}`)
  }
})

test('a worker killed with SIGKILL is respawned; the load loop loses under 1% of requests', async () => {
  const restartsBefore = metricSum((await adminGet(ctx.admin, '/metrics')).body, 'gatehouse_worker_restarts_total')
  const load = loadLoop({ port: ctx.https, host: 'api.test.localhost', path: '/load', ca: ctx.ca, concurrency: 4, maxMs: 20_000 })
  await new Promise((resolve) => setTimeout(resolve, 700))
  const workers = children(ctx.gw.proc.pid ?? 0)
  assert.is(workers.length, 2, `expected 2 workers, found ${workers.join(',')}`)
  process.kill(workers[0] ?? 0, 'SIGKILL')
  await until(async () => {
    const now = children(ctx.gw.proc.pid ?? 0)
    return now.length === 2 && !now.includes(workers[0] ?? 0) && (await adminGet(ctx.admin, '/readyz')).status === 200
  }, 15_000)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const result = await load.stop()
  const total = result.ok + result.failed
  assert.ok(total > 50, `only ${total} requests`)
  assert.ok(result.failed / total < 0.01, `${result.failed}/${total} failed: ${result.errors.join('; ')}`)
  const after = await adminGet(ctx.admin, '/metrics')
  assert.is(metricSum(after.body, 'gatehouse_worker_restarts_total'), restartsBefore + 1)
  assert.is(children(ctx.gw.proc.pid ?? 0).length, 2)
})

test('counters do not go backwards when a worker dies', async () => {
  for (let i = 0; i < 20; i++) assert.is((await get(ctx.https, 'api.test.localhost', '/count', { ca: ctx.ca })).status, 200)
  const before = metricSum((await adminGet(ctx.admin, '/metrics')).body, 'gatehouse_http_requests_total')
  const killed = children(ctx.gw.proc.pid ?? 0)
  for (const pid of killed) process.kill(pid, 'SIGKILL')
  await until(async () => {
    const now = children(ctx.gw.proc.pid ?? 0)
    return now.length === 2 && now.every((p) => !killed.includes(p)) && (await adminGet(ctx.admin, '/readyz')).status === 200
  }, 15_000)
  const after = metricSum((await adminGet(ctx.admin, '/metrics')).body, 'gatehouse_http_requests_total')
  assert.ok(after >= before, `requests_total went from ${before} to ${after}`)
})

test('SIGTERM during a slow request: it completes with 200, readyz turns 503, exit code 0', async () => {
  const slow = get(ctx.https, 'api.test.localhost', '/delay/2000', { ca: ctx.ca }).catch((err: Error) => ({ status: 0, headers: {}, body: err.message }))
  await new Promise((resolve) => setTimeout(resolve, 300))
  ctx.gw.proc.kill('SIGTERM')
  await until(async () => (await adminGet(ctx.admin, '/readyz')).status === 503, 2000, 20)
  const res = await slow
  assert.is(res.status, 200, res.body)
  assert.is(JSON.parse(res.body).path, '/delay/2000')
  assert.is(await ctx.gw.exited, 0)
  // The listener is gone once drained.
  const after = await runCommand('curl', ['-s', '--max-time', '2', '--cacert', ctx.caFile, '--resolve', `api.test.localhost:${ctx.https}:127.0.0.1`, `https://api.test.localhost:${ctx.https}/`])
  assert.is(after.code, 7, 'curl should fail to connect (exit 7) once the gateway has exited')
})

test.run()
