// reload.watch against the kubelet's way of updating mounted volumes: the gateway runs the
// ConfigMap's gatehouse.yaml (listen addresses moved to 127.0.0.1 and free ports, the example
// upstream replaced by a local one) from a directory laid out like a ConfigMap volume, with
// its certificate in a Secret-like volume. Publishing a new ConfigMap version adds a route,
// publishing a new Secret version changes the served certificate, and a broken ConfigMap is
// refused with the old config still serving, all without a signal or a restart.
import { spawn, type ChildProcess } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parse, stringify } from 'yaml'
import { CLI, freePort, get, metric, peerSerial, requireBuiltGateway, selfSignedCert, startUpstream, waitFor } from './gateway-run.js'
import { publishVolume } from './kubelet-volume.js'
import { readDeploy } from './tools.js'

type Obj = Record<string, any>

const TEMPLATE = parse((parse(readDeploy('kubernetes/configmap.yaml')) as Obj).data['gatehouse.yaml']) as Obj
const DOMAIN = TEMPLATE.apis[0].domain as string

interface Ctx {
  dir: string
  configDir: string
  tlsDir: string
  httpsPort: number
  adminPort: number
  upstream: { url: string, close: () => Promise<void> } | null
  gateway: ChildProcess | null
  exit: Promise<number | null> | null
  output: string
  ca: string
}

const test = suite<Ctx>('reload.watch with kubelet-style volume updates', {
  dir: '', configDir: '', tlsDir: '', httpsPort: 0, adminPort: 0, upstream: null, gateway: null, exit: null, output: '', ca: ''
})

/** The ConfigMap's config with local addresses, `extra` APIs appended. */
function config (ctx: Ctx, extra: Obj[] = []): string {
  const c = structuredClone(TEMPLATE)
  assert.equal(c.reload, { watch: true })
  c.listen.https = { host: '127.0.0.1', port: ctx.httpsPort }
  c.admin = { host: '127.0.0.1', port: ctx.adminPort }
  c.access_log = 'off'
  c.shutdown_timeout = '5s'
  for (const cert of c.tls.certificates) {
    cert.cert_file = cert.cert_file.replace('/etc/gatehouse/tls', ctx.tlsDir)
    cert.key_file = cert.key_file.replace('/etc/gatehouse/tls', ctx.tlsDir)
  }
  c.apis = [...c.apis, ...extra].map((a: Obj) => ({ ...a, upstream: { ...a.upstream, targets: [ctx.upstream?.url] } }))
  return stringify(c)
}

/** A new certificate for the example domain, published as the Secret's next version; returns its serial. */
function publishCert (ctx: Ctx, name: string): string {
  const dir = join(ctx.dir, name)
  mkdirSync(dir)
  const { cert, key } = selfSignedCert(dir, `DNS:${DOMAIN}`)
  const pem = readFileSync(cert, 'utf8')
  publishVolume(ctx.tlsDir, { 'tls.crt': pem, 'tls.key': readFileSync(key, 'utf8') }, 0o600)
  ctx.ca += pem
  return new X509Certificate(pem).serialNumber.toUpperCase()
}

async function reloads (ctx: Ctx): Promise<{ success: number | undefined, failure: number | undefined }> {
  const text = (await get(`http://127.0.0.1:${ctx.adminPort}/metrics`)).body
  return {
    success: metric(text, 'gatehouse_config_reloads_total{result="success"}'),
    failure: metric(text, 'gatehouse_config_reloads_total{result="failure"}')
  }
}

const request = (ctx: Ctx, path: string) => get(`https://127.0.0.1:${ctx.httpsPort}${path}`, { ca: ctx.ca, host: DOMAIN })

test.before(async (ctx) => {
  try {
    requireBuiltGateway()
    ctx.dir = mkdtempSync(join(tmpdir(), 'gatehouse-watch-'))
    ctx.configDir = join(ctx.dir, 'config')
    ctx.tlsDir = join(ctx.dir, 'tls')
    ctx.httpsPort = await freePort()
    ctx.adminPort = await freePort()
    ctx.upstream = await startUpstream()
  } catch (err) {
    console.error(`setup failed: ${(err as Error).message}`)
    throw err
  }
})

test.after(async (ctx) => {
  if (ctx.gateway && ctx.gateway.exitCode === null && ctx.gateway.signalCode === null) {
    ctx.gateway.kill('SIGKILL')
    await ctx.exit
  }
  await ctx.upstream?.close()
  if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true })
})

test('the gateway starts from the volumes and serves the example API', async (ctx) => {
  const serial = publishCert(ctx, 'cert1')
  publishVolume(ctx.configDir, { 'gatehouse.yaml': config(ctx) })
  const child = spawn(process.execPath, [CLI, 'start', '-c', join(ctx.configDir, 'gatehouse.yaml')], {
    env: { PATH: process.env.PATH, GATEHOUSE_WORKERS: '1', NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe']
  })
  ctx.gateway = child
  child.stdout.on('data', (b: Buffer) => { ctx.output += b.toString() })
  child.stderr.on('data', (b: Buffer) => { ctx.output += b.toString() })
  ctx.exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)))
  await waitFor(() => `/readyz 200 (gateway output:\n${ctx.output})`, 30_000, async () => {
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}:\n${ctx.output}`)
    return (await get(`http://127.0.0.1:${ctx.adminPort}/readyz`)).status === 200 ? true : undefined
  })
  const r = await request(ctx, '/extra/x')
  assert.equal([r.status, r.body], [200, 'upstream /extra/x'])
  assert.is(await peerSerial(ctx.httpsPort, DOMAIN), serial)
})

test('a new ConfigMap version is picked up without a signal', async (ctx) => {
  assert.ok(ctx.gateway, 'gateway not started')
  publishVolume(ctx.configDir, { 'gatehouse.yaml': config(ctx, [{ name: 'extra', domain: DOMAIN, listen_path: '/extra', upstream: {} }]) })
  await waitFor(() => `a successful reload (gateway output:\n${ctx.output})`, 15_000, async () => (await reloads(ctx)).success === 1 ? true : undefined)
  // strip_listen_path: the new API forwards /extra/x as /x.
  const r = await request(ctx, '/extra/x')
  assert.equal([r.status, r.body], [200, 'upstream /x'])
})

test('a new Secret version changes the served certificate', async (ctx) => {
  assert.ok(ctx.gateway, 'gateway not started')
  const serial = publishCert(ctx, 'cert2')
  await waitFor('the new certificate served', 15_000, async () => (await peerSerial(ctx.httpsPort, DOMAIN)) === serial ? true : undefined)
  assert.is((await reloads(ctx)).failure, 0)
  assert.is((await request(ctx, '/extra/x')).status, 200)
})

test('a broken ConfigMap version is refused and the running config keeps serving', async (ctx) => {
  assert.ok(ctx.gateway, 'gateway not started')
  const before = await reloads(ctx)
  publishVolume(ctx.configDir, { 'gatehouse.yaml': config(ctx).replace('listen_path:', 'listen_pth:') })
  await waitFor(() => `a failed reload (gateway output:\n${ctx.output})`, 15_000, async () => (await reloads(ctx)).failure === 1 ? true : undefined)
  assert.is((await reloads(ctx)).success, before.success)
  const r = await request(ctx, '/extra/x')
  assert.equal([r.status, r.body], [200, 'upstream /x'])
  assert.is((await get(`http://127.0.0.1:${ctx.adminPort}/readyz`)).status, 200)
})

test('SIGTERM exits 0', async (ctx) => {
  assert.ok(ctx.gateway && ctx.exit, 'gateway not started')
  ctx.gateway.kill('SIGTERM')
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 20_000, 'timeout').unref())
  assert.is(await Promise.race([ctx.exit, timeout]), 0, ctx.output)
})

test.run()
