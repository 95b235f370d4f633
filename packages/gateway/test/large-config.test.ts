// A config over the 64 KiB threshold is compiled in the piscina worker thread,
// at start and on SIGHUP; the result routes exactly like a small one.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminGet, configYaml, freePort, get, makeCerts, metricSum, runCli, startUpstream, tempDir, until, type Running } from './helpers/cluster.js'

const test = suite('large-config')
const ctx = {} as { tmp: ReturnType<typeof tempDir>, up: Awaited<ReturnType<typeof startUpstream>>, gw: Running, https: number, admin: number, ca: string, file: string, cert: string, key: string }

function bigConfig (apiCount: number): string {
  const apis = Array.from({ length: apiCount }, (_, i) => ({ name: `api-${i}`, domain: `svc${i}.test.localhost`, listenPath: `/v1/${i}`, target: ctx.up.url }))
  return configYaml({ httpsPort: ctx.https, adminPort: ctx.admin, cert: ctx.cert, key: ctx.key, workers: 1, apis }).replace('access_log: stdout', 'access_log: off')
}

test.before(async () => {
  ctx.tmp = tempDir()
  const certs = makeCerts(ctx.tmp.dir, ['*.test.localhost'])
  ctx.cert = certs.cert
  ctx.key = certs.key
  ctx.ca = readFileSync(certs.ca, 'utf8')
  ctx.up = await startUpstream('big')
  ctx.https = await freePort()
  ctx.admin = await freePort()
  ctx.file = join(ctx.tmp.dir, 'gatehouse.yaml')
  writeFileSync(ctx.file, bigConfig(1500))
  assert.ok(statSync(ctx.file).size > 64 * 1024)
  ctx.gw = runCli(['start', '-c', ctx.file])
  await ctx.gw.waitFor((l) => l.includes('gatehouse ready'), 30_000)
})

test.after(async () => {
  await ctx.gw?.stop()
  await ctx.up?.close()
  ctx.tmp?.cleanup()
})

test('a 1,500-API config starts and routes its last API', async () => {
  const r = await get(ctx.https, 'svc1499.test.localhost', '/v1/1499/x', { ca: ctx.ca })
  assert.is(r.status, 200)
  assert.is(JSON.parse(r.body).path, '/x')
  assert.is((await get(ctx.https, 'svc1499.test.localhost', '/v1/1498', { ca: ctx.ca })).status, 404)
})

test('SIGHUP with a grown large config applies it', async () => {
  writeFileSync(ctx.file, bigConfig(1600))
  ctx.gw.proc.kill('SIGHUP')
  await until(async () => metricSum((await adminGet(ctx.admin, '/metrics')).body, 'gatehouse_config_reloads_total', 'result="success"') === 1, 30_000)
  assert.is((await get(ctx.https, 'svc1599.test.localhost', '/v1/1599', { ca: ctx.ca })).status, 200)
})

test.run()
