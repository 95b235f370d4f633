// `reload: { watch: true }`: a changed config file reloads without a signal,
// including the way the kubelet updates a mounted ConfigMap (the file is a
// symlink through `..data`, and the update swaps that symlink atomically).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminGet, configYaml, freePort, get, makeCerts, metricSum, runCli, startUpstream, tempDir, until, type GatewayConfig, type Running } from './helpers/cluster.js'

const test = suite('watch')
const ctx = {} as { tmp: ReturnType<typeof tempDir>, one: Awaited<ReturnType<typeof startUpstream>>, two: Awaited<ReturnType<typeof startUpstream>>, gw: Running, base: GatewayConfig, ca: string, mount: string }

const WATCH = 'reload: { watch: true }\n'

/** Writes `text` as a new kubelet-style generation and swaps `..data` to it. */
function kubeletUpdate (mount: string, generation: string, text: string): void {
  const dir = join(mount, generation)
  mkdirSync(dir)
  writeFileSync(join(dir, 'gatehouse.yaml'), text)
  symlinkSync(generation, join(mount, '..data_tmp'))
  renameSync(join(mount, '..data_tmp'), join(mount, '..data'))
}

test.before(async () => {
  ctx.tmp = tempDir()
  const certs = makeCerts(ctx.tmp.dir, ['api.test.localhost', 'new.test.localhost'])
  ctx.ca = readFileSync(certs.ca, 'utf8')
  ctx.one = await startUpstream('one')
  ctx.two = await startUpstream('two')
  ctx.base = { httpsPort: await freePort(), adminPort: await freePort(), cert: certs.cert, key: certs.key, workers: 1, extra: '', apis: [{ name: 'one', domain: 'api.test.localhost', target: ctx.one.url }] }
  ctx.mount = join(ctx.tmp.dir, 'mount')
  mkdirSync(ctx.mount)
  kubeletUpdate(ctx.mount, '..2026_01_01_gen1', WATCH + configYaml(ctx.base))
  symlinkSync('..data/gatehouse.yaml', join(ctx.mount, 'gatehouse.yaml'))
  ctx.gw = runCli(['start', '-c', join(ctx.mount, 'gatehouse.yaml')])
  await ctx.gw.waitFor((l) => l.includes('gatehouse ready'))
})

test.after(async () => {
  await ctx.gw?.stop()
  await ctx.one?.close()
  await ctx.two?.close()
  ctx.tmp?.cleanup()
})

test('a ConfigMap-style symlink swap reloads the config without a signal', async () => {
  const before = metricSum((await adminGet(ctx.base.adminPort, '/metrics')).body, 'gatehouse_config_reloads_total', 'result="success"')
  const apis = [...ctx.base.apis, { name: 'two', domain: 'new.test.localhost', target: ctx.two.url }]
  kubeletUpdate(ctx.mount, '..2026_01_01_gen2', WATCH + configYaml({ ...ctx.base, apis }))
  await until(async () => metricSum((await adminGet(ctx.base.adminPort, '/metrics')).body, 'gatehouse_config_reloads_total', 'result="success"') === before + 1, 10_000)
  const r = await get(ctx.base.httpsPort, 'new.test.localhost', '/w', { ca: ctx.ca })
  assert.is(r.status, 200)
  assert.is(JSON.parse(r.body).upstream, 'two')
})

test('a broken update is refused and the running config stays', async () => {
  const failures = metricSum((await adminGet(ctx.base.adminPort, '/metrics')).body, 'gatehouse_config_reloads_total', 'result="failure"')
  kubeletUpdate(ctx.mount, '..2026_01_01_gen3', WATCH + 'version: 1\napis: [ {name: x\n')
  await until(async () => metricSum((await adminGet(ctx.base.adminPort, '/metrics')).body, 'gatehouse_config_reloads_total', 'result="failure"') === failures + 1, 10_000)
  assert.is((await get(ctx.base.httpsPort, 'new.test.localhost', '/w', { ca: ctx.ca })).status, 200)
})

test.run()
