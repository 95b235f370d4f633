// A worker's warm-up (warmup.ts): every worker sends its requests through a
// private plane before it listens, and none of them reaches the configured
// upstreams, the metrics or the access log. A table sent while a respawned
// worker warms up is the one it serves. GATEHOUSE_WARMUP=0 turns it off; an
// invalid value is warned about.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminGet, configYaml, freePort, get, makeCerts, metricSum, runCli, startUpstream, tempDir, until, type Running } from './helpers/cluster.js'

const test = suite('warmup')
const ctx = {} as { tmp: ReturnType<typeof tempDir>, up: Awaited<ReturnType<typeof startUpstream>>, certs: ReturnType<typeof makeCerts>, ca: string }

test.before(async () => {
  ctx.tmp = tempDir()
  ctx.certs = makeCerts(ctx.tmp.dir, ['api.test.localhost', 'two.test.localhost', 'localhost', '127.0.0.1'])
  ctx.ca = readFileSync(ctx.certs.ca, 'utf8')
  ctx.up = await startUpstream('one')
})

test.after(async () => {
  await ctx.up?.close()
  ctx.tmp?.cleanup()
})

async function start (name: string, env: NodeJS.ProcessEnv, apis = [{ name: 'one', domain: 'api.test.localhost', target: ctx.up.url }]): Promise<{ gw: Running, https: number, admin: number, file: string }> {
  const https = await freePort()
  const admin = await freePort()
  const file = join(ctx.tmp.dir, `${name}.yaml`)
  writeFileSync(file, configYaml({ httpsPort: https, adminPort: admin, cert: ctx.certs.cert, key: ctx.certs.key, apis }))
  const gw = runCli(['start', '-c', file, '--workers', '2'], { env })
  await gw.waitFor((l) => l.includes('gatehouse ready'))
  return { gw, https, admin, file }
}

const warmedUp = (gw: Running): Array<Record<string, unknown>> => gw.json().filter((l) => l.msg === 'warmed up')
const accessLines = (gw: Running): number => gw.lines.filter((l) => l.includes('"request_id"')).length

test('by default both workers warm up before the gateway is ready, and nothing of it shows', async () => {
  const { gw, https, admin } = await start('quiet', { GATEHOUSE_WARMUP: '' })
  try {
    const warm = warmedUp(gw)
    assert.is(warm.length, 2, gw.lines.slice(-20).join('\n'))
    assert.equal(warm.map((l) => l.requests), [4000, 4000], 'every warm-up request was answered 200')
    const ready = gw.lines.findIndex((l) => l.includes('gatehouse ready'))
    assert.ok(gw.lines.findIndex((l) => l.includes('"warmed up"')) < ready, 'warmed up before ready')
    assert.is(ctx.up.hits(), 0, 'the configured upstream saw none of it')
    assert.is(accessLines(gw), 0, 'the access log has none of it')
    assert.is(metricSum((await adminGet(admin, '/metrics')).body, 'gatehouse_http_requests_total'), 0, 'the metrics have none of it')
    // What the log and the counters say for one real request, so the zeros above mean something.
    const r = await get(https, 'api.test.localhost', '/x', { ca: ctx.ca })
    assert.is(r.status, 200, r.body)
    await until(() => accessLines(gw) === 1, 5000)
    await until(async () => metricSum((await adminGet(admin, '/metrics')).body, 'gatehouse_http_requests_total') === 1, 5000)
    assert.is(ctx.up.hits(), 1)
  } finally {
    await gw.stop()
  }
})

test('a table sent while a respawned worker warms up is the one it serves', async () => {
  const two = await startUpstream('two')
  // A long warm-up keeps the respawned worker busy while the reload arrives.
  const { gw, https, admin, file } = await start('respawn', { GATEHOUSE_WARMUP: '30000' })
  try {
    const pid = gw.json().find((l) => l.msg === 'warmed up')?.pid as number
    process.kill(pid, 'SIGKILL')
    await gw.waitFor((l) => l.includes('respawning'))
    // The respawn comes 100 ms later; its warm-up takes seconds.
    await new Promise((resolve) => setTimeout(resolve, 500))
    writeFileSync(file, readFileSync(file, 'utf8') + `  - name: two
    domain: two.test.localhost
    listen_path: /
    upstream:
      targets: [${two.url}]
`)
    gw.proc.kill('SIGHUP')
    await gw.waitFor((l) => l.includes('reloaded ('))
    await until(() => warmedUp(gw).length === 3, 15_000)
    assert.ok(gw.lines.some((l) => l.includes('config changed during the warm-up')), 'the reload reached the respawned worker during its warm-up')
    await until(async () => (await adminGet(admin, '/readyz')).status === 200, 10_000)
    // Fresh connections land on either worker: every one must know the new API.
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) statuses.push((await get(https, 'two.test.localhost', `/n${i}`, { ca: ctx.ca })).status)
    assert.equal(statuses, Array(20).fill(200), `statuses: ${statuses.join(',')}`)
  } finally {
    await gw.stop()
    await two.close()
  }
})

test('an invalid GATEHOUSE_WARMUP is named in a warning, and the default is used', async () => {
  const { gw } = await start('invalid', { GATEHOUSE_WARMUP: 'lots' })
  try {
    const warnings = gw.lines.filter((l) => l.includes('GATEHOUSE_WARMUP is not a non-negative number; using 4000'))
    assert.is(warnings.length, 2, 'one per worker')
    assert.is(JSON.parse(warnings[0] as string).level, 'warn')
    assert.equal(warmedUp(gw).map((l) => l.requests), [4000, 4000])
  } finally {
    await gw.stop()
  }
})

test('GATEHOUSE_WARMUP=0 starts the workers without it', async () => {
  const { gw, https } = await start('cold', { GATEHOUSE_WARMUP: '0' })
  try {
    assert.is(warmedUp(gw).length, 0)
    assert.is((await get(https, 'api.test.localhost', '/y', { ca: ctx.ca })).status, 200)
  } finally {
    await gw.stop()
  }
})

test.run()
