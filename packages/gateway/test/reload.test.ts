// SIGHUP reloads against the real CLI: a new API appears under load with no
// failed request; a broken file keeps the old table, counts a failure and
// logs file:line:col; replaced certificate files are served after a reload.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { adminGet, configYaml, get, loadLoop, makeCerts, metricSum, reloadFixture, runCli, until, type ReloadFixture, type Running } from './helpers/cluster.js'

const test = suite('reload')
const ctx = {} as ReloadFixture & { gw: Running, file: string }

async function servedSerial (port: number, servername: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const serial = s.getPeerCertificate().serialNumber.toUpperCase()
      s.destroy()
      resolve(serial)
    })
    s.on('error', reject)
  })
}

async function reloads (result: string): Promise<number> {
  return metricSum((await adminGet(ctx.base.adminPort, '/metrics')).body, 'gatehouse_config_reloads_total', `result="${result}"`)
}

test.before(async () => {
  Object.assign(ctx, await reloadFixture())
  ctx.file = join(ctx.tmp.dir, 'gatehouse.yaml')
  writeFileSync(ctx.file, configYaml(ctx.base))
  ctx.gw = runCli(['start', '-c', ctx.file, '--workers', '2'])
  await ctx.gw.waitFor((l) => l.includes('gatehouse ready'))
})

test.after(async () => {
  await ctx.gw?.stop()
  await ctx.close?.()
})

test('a reload that adds an API under load fails no request, and the new API answers', async () => {
  const load = loadLoop({ port: ctx.base.httpsPort, host: 'api.test.localhost', path: '/load', ca: ctx.ca, concurrency: 4, maxMs: 20_000 })
  await new Promise((resolve) => setTimeout(resolve, 500))
  const before = await reloads('success')
  writeFileSync(ctx.file, configYaml({ ...ctx.base, apis: [...ctx.base.apis, { name: 'two', domain: 'new.test.localhost', target: ctx.two.url }] }))
  ctx.gw.proc.kill('SIGHUP')
  await until(async () => await reloads('success') === before + 1)
  await until(async () => (await get(ctx.base.httpsPort, 'new.test.localhost', '/x', { ca: ctx.ca })).status === 200)
  await new Promise((resolve) => setTimeout(resolve, 500))
  const result = await load.stop()
  assert.ok(result.ok > 20, `only ${result.ok} requests went through`)
  assert.is(result.failed, 0, result.errors.join('\n'))
  const r = await get(ctx.base.httpsPort, 'new.test.localhost', '/x', { ca: ctx.ca })
  assert.is(JSON.parse(r.body).upstream, 'two')
})

test('a broken config on SIGHUP keeps the old one, counts a failure and logs file:line:col', async () => {
  const failuresBefore = await reloads('failure')
  const good = readFileSync(ctx.file, 'utf8')
  writeFileSync(ctx.file, good.replace('    listen_path: /\n', '    listen_pth: /\n'))
  ctx.gw.proc.kill('SIGHUP')
  await until(async () => await reloads('failure') === failuresBefore + 1)
  const line = await ctx.gw.waitFor((l) => l.includes('listen_pth'))
  assert.match(line, new RegExp(`${ctx.file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+`))
  const r = await get(ctx.base.httpsPort, 'api.test.localhost', '/still', { ca: ctx.ca })
  assert.is(r.status, 200)
  assert.is(JSON.parse(r.body).upstream, 'one')
  writeFileSync(ctx.file, good)
})

test('replaced certificate files are served after SIGHUP', async () => {
  const before = await servedSerial(ctx.base.httpsPort, 'api.test.localhost')
  const fresh = makeCerts(ctx.tmp.dir, ['api.test.localhost', 'new.test.localhost'], 'rotated')
  assert.is.not(fresh.serial, before)
  writeFileSync(ctx.base.cert, readFileSync(fresh.cert))
  writeFileSync(ctx.base.key, readFileSync(fresh.key))
  const ok = await reloads('success')
  ctx.gw.proc.kill('SIGHUP')
  await until(async () => await reloads('success') === ok + 1)
  // Both workers must serve the new certificate: try several new connections.
  for (let i = 0; i < 6; i++) assert.is(await servedSerial(ctx.base.httpsPort, 'api.test.localhost'), fresh.serial)
})

test('a certificate chain OpenSSL refuses fails the reload on the primary; workers keep serving', async () => {
  const failuresBefore = await reloads('failure')
  const good = readFileSync(ctx.base.cert, 'utf8')
  // The leaf parses; the broken block after it is only refused by OpenSSL.
  writeFileSync(ctx.base.cert, good + '-----BEGIN CERTIFICATE-----\nMIIBbroken\n-----END CERTIFICATE-----\n')
  ctx.gw.proc.kill('SIGHUP')
  await until(async () => await reloads('failure') === failuresBefore + 1)
  await ctx.gw.waitFor((l) => l.includes('OpenSSL cannot use this certificate chain'))
  writeFileSync(ctx.base.cert, good)
  for (let i = 0; i < 4; i++) assert.is((await get(ctx.base.httpsPort, 'api.test.localhost', '/ok', { ca: ctx.ca })).status, 200)
  assert.not.ok(ctx.gw.lines.some((l) => l.includes('worker') && l.includes('exited')), 'no worker may exit')
})

test.run()
