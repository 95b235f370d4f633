// `reload: { watch: true }`: a changed config file reloads without a signal,
// including the way the kubelet updates a mounted ConfigMap (the file is a
// symlink through `..data`, and the update swaps that symlink atomically).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { adminGet, configYaml, get, metricSum, reloadFixture, runCli, until, type ReloadFixture, type Running } from './helpers/cluster.js'

const test = suite('watch')
const ctx = {} as ReloadFixture & { gw: Running, mount: string }

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
  Object.assign(ctx, await reloadFixture({ workers: 1, extra: '' }))
  ctx.mount = join(ctx.tmp.dir, 'mount')
  mkdirSync(ctx.mount)
  kubeletUpdate(ctx.mount, '..2026_01_01_gen1', WATCH + configYaml(ctx.base))
  symlinkSync('..data/gatehouse.yaml', join(ctx.mount, 'gatehouse.yaml'))
  ctx.gw = runCli(['start', '-c', join(ctx.mount, 'gatehouse.yaml')])
  await ctx.gw.waitFor((l) => l.includes('gatehouse ready'))
})

test.after(async () => {
  await ctx.gw?.stop()
  await ctx.close?.()
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
