// The TLS listener: SNI certificate selection (exact, one-label wildcard,
// unknown/no SNI -> default) seen by Node's tls client and by curl verifying
// against the CA; protocol floor; handshake metrics; the plain-HTTP 308.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import tls from 'node:tls'
import http from 'node:http'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { createDataPlane, createWorkerMetrics, type DataPlane, type WorkerMetrics } from '@gatehouse/gateway'
import { makePki, makeTable, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('tls')
let pki: Pki
let echo: Echo
let plane: DataPlane
let strict: DataPlane
let metrics: WorkerMetrics
let port = 0
let strictPort = 0
let httpPort = 0
let caFile = ''

test.before(async () => {
  pki = makePki()
  caFile = join(pki.dir, 'ca.pem')
  writeFileSync(caFile, pki.caPem)
  echo = await startEcho()
  const def = pki.leaf('default', ['default.test'])
  const exact = pki.leaf('exact', ['exact.test'])
  const wild = pki.leaf('wild', ['*.wild.test'])
  metrics = createWorkerMetrics(null)
  const certs = [
    { ...def, domains: ['default.test'] },
    { ...exact, domains: ['exact.test'] },
    { ...wild, domains: ['*.wild.test'] }
  ]
  plane = createDataPlane(makeTable({
    certs,
    apis: [{ name: 'all', targets: [echo.url] }],
    http: { redirectHttps: true }
  }), { metrics })
  const addrs = await plane.listen()
  port = addrs.https.port
  httpPort = addrs.http?.port ?? 0
  strict = createDataPlane(makeTable({ certs, apis: [{ name: 'all', targets: [echo.url] }], minVersion: 'TLSv1.3' }))
  strictPort = (await strict.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await strict.drain(1000)
  await echo.close()
  pki.cleanup()
})

interface Hello { cn: string, protocol: string | null, error: string | null }

function hello (p: number, opts: tls.ConnectionOptions): Promise<Hello> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: p, ca: pki.caPem, rejectUnauthorized: false, ...opts }, () => {
      const cert = socket.getPeerCertificate()
      const out = { cn: String(cert.subject?.CN ?? ''), protocol: socket.getProtocol(), error: null }
      socket.end()
      resolve(out)
    })
    socket.on('error', (err) => { resolve({ cn: '', protocol: null, error: (err as NodeJS.ErrnoException).code ?? err.message }) })
  })
}

test('SNI picks the certificate: exact, one-label wildcard, unknown and none -> default', async () => {
  assert.is((await hello(port, { servername: 'exact.test' })).cn, 'exact')
  assert.is((await hello(port, { servername: 'EXACT.test' })).cn, 'exact', 'SNI is case-insensitive')
  assert.is((await hello(port, { servername: 'a.wild.test' })).cn, 'wild')
  assert.is((await hello(port, { servername: 'b.a.wild.test' })).cn, 'default', 'a wildcard covers one label only')
  assert.is((await hello(port, { servername: 'unknown.test' })).cn, 'default')
  // An IP literal host: Node sends no SNI.
  assert.is((await hello(port, {})).cn, 'default')
})

// Async: the data plane runs in this process, so a blocking spawnSync would starve it.
function curlStatus (host: string, path = '/x'): Promise<{ code: number, out: string }> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}',
      '--resolve', `${host}:${port}:127.0.0.1`, '--cacert', caFile, `https://${host}:${port}${path}`])
    let out = ''
    child.stdout.on('data', (b: Buffer) => { out += b.toString() })
    child.stderr.on('data', (b: Buffer) => { out += b.toString() })
    child.on('close', (code) => { resolve({ code: code ?? -1, out }) })
  })
}

test('curl --cacert verifies the chain and name for exact and wildcard hosts (never -k)', async () => {
  for (const host of ['exact.test', 'a.wild.test', 'default.test']) {
    const r = await curlStatus(host)
    assert.is(r.code, 0, `${host}: ${r.out}`)
    assert.is(r.out, '200')
  }
  // An unknown name gets the default certificate, which does not cover it: curl refuses (exit 60).
  assert.is((await curlStatus('unknown.test')).code, 60)
})

test('TLS 1.1 is refused; 1.2 and 1.3 per min_version', async () => {
  const before = await errorCount('protocol_version')
  const old = await hello(port, { servername: 'exact.test', minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })
  assert.ok(old.error !== null, 'TLS 1.1 handshake must fail')
  assert.ok((await errorCount('protocol_version')) > before, 'the server counted a protocol_version failure')
  assert.is((await hello(port, { servername: 'exact.test', maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2')
  assert.is((await hello(port, { servername: 'exact.test' })).protocol, 'TLSv1.3')
  const twelve = await hello(strictPort, { servername: 'exact.test', maxVersion: 'TLSv1.2' })
  assert.ok(twelve.error !== null, 'min_version TLSv1.3 refuses TLS 1.2')
  assert.is((await hello(strictPort, { servername: 'exact.test' })).protocol, 'TLSv1.3')
})

async function errorCount (reason: string): Promise<number> {
  const m = await metrics.tlsHandshakeErrors.get()
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0
}

test('handshakes are counted by version and resumption', async () => {
  const m = await metrics.tlsHandshakes.get()
  const full13 = m.values.find((v) => v.labels.version === 'TLSv1.3' && v.labels.resumed === 'false')?.value ?? 0
  const full12 = m.values.find((v) => v.labels.version === 'TLSv1.2' && v.labels.resumed === 'false')?.value ?? 0
  assert.ok(full13 >= 5, `TLSv1.3 full handshakes: ${full13}`)
  assert.ok(full12 >= 1, `TLSv1.2 full handshakes: ${full12}`)
  const conns = await metrics.activeConnections.get()
  assert.ok((conns.values[0]?.value ?? -1) >= 0)
})

test('swap: a replaced certificate is served to new handshakes, unchanged ones stay', async () => {
  const old = plane.table
  const exact2 = pki.leaf('exact-2', ['exact.test'])
  const certs = old.tls.certificates.map((c, i) => i === 1 ? { ...c, certPem: exact2.certPem, keyPem: exact2.keyPem } : c)
  plane.swap({ ...old, tls: { ...old.tls, certificates: certs } })
  assert.is((await hello(port, { servername: 'exact.test' })).cn, 'exact-2')
  assert.is((await hello(port, { servername: 'a.wild.test' })).cn, 'wild')
  assert.is((await hello(port, {})).cn, 'default')
  plane.swap(old)
  assert.is((await hello(port, { servername: 'exact.test' })).cn, 'exact')
})

test('plain HTTP listener answers 308 to the https URL, method and query kept', async () => {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: httpPort, method: 'POST', path: '/a/b?x=1&y', headers: { host: `Exact.Test:${httpPort}` } }, resolve)
    req.on('error', reject)
    req.end('body')
  })
  res.resume()
  assert.is(res.statusCode, 308)
  assert.is(res.headers.location, `https://exact.test:${port}/a/b?x=1&y`)
})

test.run()
