// compile(): the RoutingTable is plain structured-clonable data with every
// field present; certificates (PEM chain, decrypted key with a passphrase
// file, domains from SANs, exact/wildcard SNI maps, default certificate);
// the safe cipher default; the version hash covers config and file bytes.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { appendFileSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { DEFAULT_CIPHERS, compile, load, loadAndCompile } from '@gatehouse/config'
import { makeCert, mustLoad, tempDir, write } from './helpers.js'
import { COMPILE_CONFIG as CONFIG } from './configs.js'

const test = suite('compile')
let dir = ''
let cleanup = (): void => {}

test.before(() => {
  ({ dir, cleanup } = tempDir())
  makeCert(dir, 'wild', ['*.tyk.localhost', 'tyk.localhost'], { passphrase: 'correct horse' })
  makeCert(dir, 'api', ['api.example.com', 'www.example.com'], { keyType: 'rsa' })
  write(dir, 'pass.txt', 'correct horse\n')
  write(dir, 'gatehouse.yaml', CONFIG)
})
test.after(() => cleanup())

test('the table is structured-clonable plain data and survives a clone unchanged', () => {
  const r = mustLoad(loadAndCompile(join(dir, 'gatehouse.yaml'), {}))
  const clone = structuredClone(r.table)
  assert.equal(clone, r.table)
  assert.equal(JSON.parse(JSON.stringify(r.table)), r.table, 'no Maps, Buffers, undefined or functions')
})

test('routing maps: exact host, wildcard parent, any host', () => {
  const t = mustLoad(loadAndCompile(join(dir, 'gatehouse.yaml'), {})).table
  assert.equal(t.hosts, { 'httpbin.tyk.localhost': { '/': 1 } })
  assert.equal(t.wildcards, { 'tyk.localhost': { '/w': 0 } })
  assert.equal(t.anyHost, { '/health': 2 })
  assert.equal(t.apis.map((a) => [a.id, a.name, a.domain, a.listenPath]), [[0, 'wild', '*.tyk.localhost', '/w'], [1, 'exact', 'httpbin.tyk.localhost', '/'], [2, 'any', null, '/health']])
})

test('per-API policies are normalised and null when off', () => {
  const t = mustLoad(loadAndCompile(join(dir, 'gatehouse.yaml'), {})).table
  const [wild, exact, any] = t.apis
  assert.ok(wild && exact && any)
  assert.equal(wild.rateLimit, { rate: 10, perMs: 60_000 })
  assert.equal(wild.requestHeaders, { set: [['x-env', 'Prod']], remove: [] })
  assert.equal(wild.responseHeaders, { set: [], remove: ['server'] })
  assert.equal([wild.cache, wild.cors, wild.sizeLimit, wild.upstream.healthCheck], [null, null, null, null])
  assert.equal(exact.upstream, {
    targets: ['http://127.0.0.1:9001/base'], balance: 'round_robin', preserveHostHeader: false, timeoutMs: 30_000,
    tls: { caPem: null, insecureSkipVerify: false, certPem: null, keyPem: null, minVersion: 'TLSv1.2' }, healthCheck: null
  })
  assert.equal(exact.cors, { allowedOrigins: ['https://a.example'], allowedMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], allowedHeaders: [], exposedHeaders: [], allowCredentials: false, maxAgeS: 90 })
  assert.equal([exact.requestHeaders, exact.responseHeaders], [null, null])
  assert.equal(exact.auth, { type: 'keyless' })
  assert.equal(any.auth, { type: 'api_key', header: 'x-api-key', query: null, keys: ['k'] })
})

test('certificates: chain PEM, decrypted key, domains from SANs, SNI maps, default', () => {
  const t = mustLoad(loadAndCompile(join(dir, 'gatehouse.yaml'), {})).table
  const [wild, api] = t.tls.certificates
  assert.ok(wild && api)
  assert.is(wild.certPem, readFileSync(join(dir, 'wild.pem'), 'utf8'))
  assert.ok(readFileSync(join(dir, 'wild-key.pem'), 'utf8').includes('ENCRYPTED'), 'the key on disk is encrypted')
  assert.ok(wild.keyPem.startsWith('-----BEGIN PRIVATE KEY-----'), 'the table carries it decrypted')
  assert.ok(new X509Certificate(wild.certPem).checkPrivateKey(createPrivateKey(wild.keyPem)))
  assert.equal(wild.domains, ['*.tyk.localhost', 'tyk.localhost'])
  assert.equal(wild.sans, ['*.tyk.localhost', 'tyk.localhost'])
  assert.equal(api.domains, ['api.example.com'])
  assert.equal(api.sans, ['api.example.com', 'www.example.com'])
  const x = new X509Certificate(api.certPem)
  assert.is(api.serial, x.serialNumber.toUpperCase())
  assert.is(api.fingerprint256, x.fingerprint256)
  assert.is(api.notAfter, Date.parse(x.validTo))
  assert.equal(t.tls.exactCerts, { 'tyk.localhost': 0, 'api.example.com': 1 })
  assert.equal(t.tls.wildcardCerts, { 'tyk.localhost': 0 })
  assert.is(t.tls.defaultCertificate, 1)
  assert.is(t.tls.ciphers, DEFAULT_CIPHERS)
  assert.is(DEFAULT_CIPHERS, 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305')
  assert.equal([t.tls.minVersion, t.tls.clientCaPem, t.tls.sessionTickets], ['TLSv1.2', null, true])
})

test('top-level fields: workers auto resolved, scheduling, reload, listeners, timeouts', () => {
  const t = mustLoad(loadAndCompile(join(dir, 'gatehouse.yaml'), {})).table
  assert.is(t.workers, availableParallelism())
  assert.equal([t.scheduling, t.reloadWatch, t.shutdownTimeoutMs, t.accessLog, t.redis], ['os', false, 30_000, 'stdout', null])
  assert.equal(t.listen, { https: { host: '0.0.0.0', port: 8443 }, http: null })
  assert.equal(t.admin, { host: '127.0.0.1', port: 9090 })
  assert.equal(t.timeouts, { headersMs: 10_000, keepAliveMs: 5000, requestMs: 300_000, sendMs: 60_000 })
  assert.is(t.source, join(dir, 'gatehouse.yaml'))
  assert.ok(Math.abs(t.compiledAt - Date.now()) < 60_000)
})

test('a wrong passphrase is a key error at key_file', () => {
  write(dir, 'wrong.txt', 'wrong horse\n')
  write(dir, 'wrong-pass.yaml', CONFIG.replace('pass.txt', 'wrong.txt'))
  const r = load(join(dir, 'wrong-pass.yaml'), {})
  assert.is(r.ok, false)
  if (r.ok) return
  assert.equal(r.errors.map((e) => `${e.code} ${e.line}:${e.col} ${e.hint}`), ['GH_CONFIG_KEY_PARSE 5:17 check that key_passphrase_file holds the right passphrase'])
})

test('an encrypted key without key_passphrase_file says to set it', () => {
  write(dir, 'no-pass.yaml', CONFIG.replace('      key_passphrase_file: pass.txt\n', ''))
  const r = load(join(dir, 'no-pass.yaml'), {})
  assert.is(r.ok, false)
  if (r.ok) return
  assert.equal(r.errors.map((e) => `${e.code} ${e.line}:${e.col} ${e.hint}`), ['GH_CONFIG_KEY_PARSE 5:17 the key is encrypted: set key_passphrase_file to a file holding its passphrase'])
})

test('version: same inputs, same hash; a changed certificate file or config text changes it', () => {
  const { cleanup: c2, dir: d2 } = tempDir()
  try {
    makeCert(d2, 'wild', ['*.tyk.localhost'])
    const cfg = 'version: 1\ntls:\n  certificates:\n    - { cert_file: wild.pem, key_file: wild-key.pem }\napis: []\n'
    write(d2, 'g.yaml', cfg)
    const a = mustLoad(load(join(d2, 'g.yaml'), {}))
    const v1 = compile(a.config, a.sources).version
    assert.match(v1, /^[0-9a-f]{64}$/)
    assert.is(mustLoad(loadAndCompile(join(d2, 'g.yaml'), {})).table.version, v1)
    appendFileSync(join(d2, 'wild.pem'), '\n')
    const v2 = mustLoad(loadAndCompile(join(d2, 'g.yaml'), {})).table.version
    assert.is.not(v2, v1, 'certificate bytes are part of the version')
    write(d2, 'g.yaml', cfg + '# comment\n')
    assert.is.not(mustLoad(loadAndCompile(join(d2, 'g.yaml'), {})).table.version, v2, 'config text is part of the version')
  } finally { c2() }
})

test('explicit ciphers, TLS 1.3, http listener and workers count reach the table', () => {
  write(dir, 'explicit.yaml', CONFIG.replace('version: 1\n', 'version: 1\nworkers: 2\nscheduling: round_robin\nreload: { watch: true }\nlisten:\n  http: { port: 8080, redirect_https: false }\n')
    .replace('tls:\n', 'tls:\n  ciphers: ECDHE-RSA-AES128-GCM-SHA256\n  min_version: TLSv1.3\n'))
  const t = mustLoad(loadAndCompile(join(dir, 'explicit.yaml'), {})).table
  assert.equal([t.workers, t.scheduling, t.reloadWatch, t.tls.ciphers, t.tls.minVersion], [2, 'round_robin', true, 'ECDHE-RSA-AES128-GCM-SHA256', 'TLSv1.3'])
  assert.equal(t.listen.http, { host: '0.0.0.0', port: 8080, redirectHttps: false })
})

test.run()
