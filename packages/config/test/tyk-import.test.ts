// `gatehouse import tyk`: Dashboard-style exports (every field present, in
// test/fixtures/tyk) -> Gatehouse YAML that passes `check` and compiles; the
// walkthrough's keyless httpbin on httpbin.tyk.localhost routes /get; every
// enabled unsupported Tyk field is a warning naming it; --strict; inputs as
// object, list export, apps/ directory, tyk.conf and the certificates env.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { checkCli, importTykCli, loadAndCompile } from '@gatehouse/config'
import type { CliIo, RoutingTable } from '@gatehouse/config'
import { makeCert, mustLoad, tempDir, write } from './helpers.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/tyk/', import.meta.url))
const test = suite('tyk-import')
let dir = ''
let cleanup = (): void => {}
let envCerts = ''

function io (env: Record<string, string> = {}): CliIo & { out: () => string, err: () => string } {
  let out = ''
  let err = ''
  return { stdout: { write: (s: string) => { out += s } }, stderr: { write: (s: string) => { err += s } }, env, cwd: dir, out: () => out, err: () => err }
}

/** Longest-prefix walk over the compiled table (README "Routing semantics"). */
function route (t: RoutingTable, host: string, path: string): string | null {
  const walk = (map: Record<string, number> | undefined): number | null => {
    if (map === undefined) return null
    for (let p = path; ; p = p.lastIndexOf('/') <= 0 ? '/' : p.slice(0, p.lastIndexOf('/'))) {
      if (Object.hasOwn(map, p)) return map[p] as number
      if (p === '/') return null
    }
  }
  const h = host.toLowerCase()
  const id = walk(t.hosts[h]) ?? walk(t.wildcards[h.slice(h.indexOf('.') + 1)]) ?? walk(t.anyHost)
  return id === null ? null : (t.apis[id]?.name ?? null)
}

test.before(() => {
  ({ dir, cleanup } = tempDir())
  mkdirSync(join(dir, 'certs'))
  const c = makeCert(join(dir, 'certs'), 'tyk.local-fullchain', ['*.tyk.localhost', 'tyk.localhost'])
  // openssl wrote certs/tyk.local-fullchain-key.pem; tyk.conf names certs/tyk.local-key.pem.
  copyFileSync(c.key, join(dir, 'certs', 'tyk.local-key.pem'))
  copyFileSync(join(FIXTURES, 'tyk.conf'), join(dir, 'tyk.conf'))
  envCerts = JSON.stringify([{ domain_name: '*.tyk.localhost', cert_file: c.cert, key_file: c.key }])
})
test.after(() => cleanup())

test('keyless httpbin export + certificates env -> YAML that checks, compiles and routes httpbin.tyk.localhost/get', async () => {
  const o = io({ TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES: envCerts })
  assert.is(await importTykCli(['--strict', join(FIXTURES, 'httpbin-dashboard-export.json')], o), 0)
  assert.is(o.err(), 'imported 1 API; 0 warnings\n')
  const doc = parse(o.out()) as { apis: unknown[], tls: { certificates: unknown[] } }
  assert.equal(doc.apis, [{ name: 'httpbin', domain: 'httpbin.tyk.localhost', listen_path: '/', strip_listen_path: true, upstream: { targets: ['http://127.0.0.1:9000/'] }, auth: 'keyless' }])
  assert.match(o.out(), /# Tyk API "HTTP Bin" \(api_id 3f2a1c8e9b7d4e6fa1c2b3d4e5f60718\)/)
  const file = write(dir, 'imported.yaml', o.out())
  const c = io()
  assert.is(await checkCli(['-c', file], c), 0)
  assert.is(c.out(), 'ok: 1 API, 1 certificate, 1 host\n')
  const t = mustLoad(loadAndCompile(file, {})).table
  assert.is(route(t, 'httpbin.tyk.localhost', '/get'), 'httpbin')
  assert.is(route(t, 'other.tyk.localhost', '/get'), null)
  assert.equal(t.apis[0]?.upstream.targets, ['http://127.0.0.1:9000'])
  assert.is(t.apis[0]?.auth.type, 'keyless')
  assert.equal(t.tls.wildcardCerts, { 'tyk.localhost': 0 })
})

test('tyk.conf certificates resolve against its directory; listen_port with use_ssl maps to listen.https', async () => {
  const o = io()
  assert.is(await importTykCli([join(FIXTURES, 'httpbin-dashboard-export.json'), join(dir, 'tyk.conf')], o), 0)
  const doc = parse(o.out()) as Record<string, unknown>
  assert.equal(doc.listen, { https: { host: '0.0.0.0', port: 8443 } })
  assert.equal(doc.tls, { certificates: [{ cert_file: join(dir, 'certs/tyk.local-fullchain.pem'), key_file: join(dir, 'certs/tyk.local-key.pem'), domains: ['*.tyk.localhost'] }] })
  const file = write(dir, 'imported-conf.yaml', o.out())
  assert.is(await checkCli(['-c', file], io()), 0)
})

test('Dashboard list export: mapped features, warnings naming each unsupported field, inactive skipped', async () => {
  const o = io({ TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES: envCerts })
  assert.is(await importTykCli([join(FIXTURES, 'dashboard-list-export.json')], o), 0)
  const doc = parse(o.out()) as { apis: Array<Record<string, unknown>> }
  assert.equal(doc.apis.map((a) => a.name), ['orders', 'legacy-soap'])
  assert.equal(doc.apis[0], {
    name: 'orders',
    domain: 'api.example.com',
    listen_path: '/orders',
    strip_listen_path: true,
    upstream: { targets: ['http://10.0.0.11:8080', 'http://10.0.0.12:8080'], preserve_host_header: true, tls: { min_version: 'TLSv1.3' }, timeout: '2m' },
    auth: { type: 'api_key', header: 'X-Api-Key', keys: [], query: 'api_key' },
    rate_limit: { rate: 100, per: '1m' },
    cache: { ttl: '30s', status_codes: [200, 301], by_headers: ['Accept-Language'] },
    cors: { allowed_origins: ['https://shop.example.com'], allowed_methods: ['GET', 'POST', 'HEAD'], allowed_headers: ['Origin', 'Accept', 'Content-Type', 'X-Requested-With', 'Authorization'], allow_credentials: true, max_age: '10m' },
    ip_allow: ['10.0.0.0/8', '192.168.1.10'],
    ip_deny: ['10.6.6.6'],
    headers: { request: { set: { 'X-Gateway': 'gatehouse', 'X-Env': 'prod' }, remove: ['X-Debug'] }, response: { set: { 'Strict-Transport-Security': 'max-age=31536000' }, remove: ['Server', 'X-Powered-By'] } },
    size_limit: 1048576
  })
  // The API whose only auth is OAuth fails closed, never keyless.
  assert.equal(doc.apis[1]?.auth, { type: 'api_key', keys: [] })
  const fields = [...o.err().matchAll(/warning: API '([^']+)': '([^']+)'/g)].map((m) => `${m[1] as string}: ${m[2] as string}`)
  assert.equal(fields, [
    'Orders API: domain',
    'Orders API: version_data.versions.Default.extended_paths.hard_timeouts',
    'Orders API: use_standard_auth',
    'Legacy SOAP: proxy.transport.ssl_ciphers',
    'Legacy SOAP: uptime_tests.check_list',
    'Legacy SOAP: version_data.versions.Default.extended_paths.url_rewrites',
    'Legacy SOAP: use_oauth2',
    'Legacy SOAP: custom_middleware.pre',
    'Legacy SOAP: custom_middleware.driver',
    'Legacy SOAP: enable_context_vars'
  ])
  assert.match(o.err(), /note: .*dashboard-list-export\.json: API 'Retired' skipped because 'active' is false/)
  assert.match(o.err(), /imported 2 APIs; 10 warnings\n$/)
  // The output still passes check (warnings only: empty key list, insecure upstream, uncovered domain).
  const file = write(dir, 'imported-list.yaml', o.out())
  const c = io()
  assert.is(await checkCli(['-c', file], c), 0)
  assert.match(c.out(), /ok: 2 APIs, 1 certificate, 1 host \(\d warnings\)\n$/)
})

test('--strict turns warnings into exit 1', async () => {
  const o = io({ TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES: envCerts })
  assert.is(await importTykCli(['--strict', join(FIXTURES, 'dashboard-list-export.json')], o), 1)
  assert.match(o.err(), /10 warnings \(--strict: exit 1\)\n$/)
  assert.ok(o.out().includes('name: orders'), 'the document is still printed')
})

test('an apps/ directory: every *.json, bare definitions and arrays; JWT hmac secret decoded; mtls warned', async () => {
  const o = io({ TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES: envCerts })
  assert.is(await importTykCli([join(FIXTURES, 'apps')], o), 0)
  const doc = parse(o.out()) as { apis: Array<Record<string, unknown>> }
  assert.equal(doc.apis.map((a) => a.name), ['partners', 'payments'])
  assert.equal(doc.apis[0]?.auth, 'mtls')
  assert.equal(doc.apis[1]?.auth, { type: 'jwt', algorithms: ['HS256', 'HS384', 'HS512'], secret: 'not-a-real-secret-for-tests' })
  assert.match(o.err(), /warning: API 'Partners': 'use_mutual_tls_auth' mtls needs tls.client_ca_file/)
  // Exactly what the warning says: check fails until tls.client_ca_file is set.
  const file = write(dir, 'imported-apps.yaml', o.out())
  const c = io()
  assert.is(await checkCli(['-c', file], c), 1)
  assert.match(c.out(), /apis\[0\]\.auth: mtls auth needs tls\.client_ca_file/)
})

test('no certificates anywhere is a warning telling what to add', async () => {
  const o = io()
  assert.is(await importTykCli([join(FIXTURES, 'httpbin-dashboard-export.json')], o), 0)
  assert.match(o.err(), /warning: API '\(gateway\)': 'http_server_options.certificates' no certificates found/)
})

test('bad input: not JSON, not Tyk, missing file exit 1; no input exits 2', async () => {
  const notJson = write(dir, 'broken.json', '{ "name": ')
  const a = io()
  assert.is(await importTykCli([notJson], a), 1)
  assert.match(a.err(), /broken\.json' is not valid JSON/)
  const other = write(dir, 'package.json', '{ "name": "x", "version": "1.0.0" }')
  const b = io()
  assert.is(await importTykCli([other], b), 1)
  assert.match(b.err(), /package\.json' does not look like a Tyk API definition or tyk\.conf/)
  const c = io()
  assert.is(await importTykCli([join(dir, 'missing.json')], c), 1)
  assert.match(c.err(), /missing\.json': no such file or directory/)
  const d = io()
  assert.is(await importTykCli([], d), 2)
  assert.match(d.err(), /no input files\nusage: gatehouse import tyk/)
  const e = io({ TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES: '[{' })
  assert.is(await importTykCli([join(FIXTURES, 'httpbin-dashboard-export.json')], e), 1)
  assert.match(e.err(), /'TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES' is not valid JSON/)
})

test.run()
