// load(): every key of DESIGN.md's "Configuration" section is accepted and
// lands in the Config with the right unit; DEFAULTS as one literal; `${VAR}`
// interpolation with defaults, re-typing and a missing variable; paths
// relative to the config file; durations and sizes.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { DEFAULTS, formatDiagnostic, load, parseDuration, parseSize } from '@gatehouse/config'
import { makeCert, mustLoad, tempDir, write, configWith } from './helpers.js'
import { EVERY_KEY } from './configs.js'

const test = suite('load')
let dir = ''
let cleanup = (): void => {}

test.before(() => {
  ({ dir, cleanup } = tempDir())
  makeCert(dir, 'site', ['*.tyk.localhost', 'tyk.localhost'])
  makeCert(dir, 'upstream-client', ['client.internal'])
  makeCert(dir, 'clients-ca', ['clients.internal'])
})
test.after(() => cleanup())


test('every DESIGN.md key is accepted, with units converted and paths made absolute', () => {
  const path = write(dir, 'every.yaml', EVERY_KEY)
  const r = mustLoad(load(path, {}))
  const c = r.config
  assert.is(c.workers, 3)
  assert.is(c.scheduling, 'round_robin')
  assert.is(c.reload.watch, true)
  assert.is(c.shutdown_timeout, 45_000)
  assert.equal(c.listen, { https: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 8081, redirect_https: false } })
  assert.equal(c.admin, { host: '127.0.0.1', port: 9091 })
  assert.is(c.access_log, join(dir, 'logs/access.log'))
  assert.equal(c.timeouts, { headers: 7000, keep_alive: 4000, request: 0, send: 90_000 })
  assert.is(c.tls.min_version, 'TLSv1.3')
  assert.is(c.tls.ciphers, 'ECDHE-ECDSA-AES128-GCM-SHA256')
  assert.equal(c.tls.certificates, [{ cert_file: join(dir, 'site.pem'), key_file: join(dir, 'site-key.pem'), key_passphrase_file: null, domains: ['*.tyk.localhost'] }])
  assert.is(c.tls.default_certificate, '*.tyk.localhost')
  assert.is(c.tls.client_ca_file, join(dir, 'clients-ca.pem'))
  assert.is(c.tls.session_tickets, false)
  assert.equal(c.redis, { url: 'redis://127.0.0.1:6379' })
  const a = c.apis[0]
  assert.ok(a)
  assert.is(a.domain, 'httpbin.tyk.localhost')
  assert.is(a.strip_listen_path, false)
  assert.equal(a.upstream.targets, ['http://127.0.0.1:9000', 'https://127.0.0.1:9001/base'])
  assert.is(a.upstream.balance, 'least_conn')
  assert.is(a.upstream.preserve_host_header, true)
  assert.is(a.upstream.timeout, 500)
  assert.equal(a.upstream.tls, { ca_file: join(dir, 'clients-ca.pem'), insecure_skip_verify: false, cert_file: join(dir, 'upstream-client.pem'), key_file: join(dir, 'upstream-client-key.pem'), min_version: 'TLSv1.3' })
  assert.equal(a.upstream.health_check, { path: '/health', interval: 5000 })
  assert.equal(a.auth, { type: 'keyless' })
  assert.equal(a.rate_limit, { rate: 100, per: 1000 })
  assert.equal(a.cache, { ttl: 60_000, status_codes: [200], by_headers: ['accept'] })
  assert.equal(a.cors, { allowed_origins: ['https://app.example.com'], allowed_methods: ['GET', 'POST'], allowed_headers: ['x-token'], exposed_headers: ['x-id'], allow_credentials: true, max_age: 3_600_000 })
  assert.equal(a.ip_allow, ['10.0.0.0/8', '2001:db8::/32', '192.168.1.7/32'])
  assert.equal(a.ip_deny, ['::1/128'])
  assert.equal(a.headers, { request: { set: { 'X-Env': 'prod' }, remove: ['x-debug'] }, response: { set: {}, remove: ['server'] } })
  assert.is(a.size_limit, 10 * 1024 * 1024)
  assert.equal(c.apis[1]?.auth, { type: 'api_key', header: 'x-key', query: 'key', keys: ['k1', 'k2'] })
  assert.is(c.apis[1]?.listen_path, '/keys')
  assert.equal(c.apis[2]?.auth, { type: 'basic', realm: 'staff', users: { alice: 's3cret' } })
  const jwt = c.apis[3]?.auth
  assert.equal(jwt, { type: 'jwt', algorithms: ['ES256', 'ES384', 'ES512'], secret: null, public_key: null, public_key_file: join(dir, 'site.pem'), issuer: 'https://issuer.example.com', audience: 'gatehouse' })
  assert.equal(c.apis[4]?.auth, { type: 'mtls' })
  assert.equal(r.warnings, [])
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.apis[0]?.upstream.targets), 'config is deep-frozen')
})

test('DEFAULTS, as one literal', () => {
  assert.equal(DEFAULTS, {
    root: {
      version: 1,
      workers: 'auto',
      scheduling: 'os',
      reload: { watch: false },
      shutdown_timeout: '30s',
      listen: { https: { host: '0.0.0.0', port: 8443 }, http: null },
      admin: { host: '127.0.0.1', port: 9090 },
      access_log: 'stdout',
      timeouts: { headers: '10s', keep_alive: '5s', request: '5m', send: '60s' },
      tls: { min_version: 'TLSv1.2', ciphers: null, certificates: [], default_certificate: null, client_ca_file: null, session_tickets: true },
      redis: null,
      apis: []
    },
    http_listener: { host: '0.0.0.0', port: 8080, redirect_https: true },
    certificate: { key_passphrase_file: null, domains: null },
    api: {
      domain: null,
      listen_path: '/',
      strip_listen_path: true,
      auth: 'keyless',
      rate_limit: null,
      cache: null,
      cors: null,
      ip_allow: [],
      ip_deny: [],
      headers: { request: { set: {}, remove: [] }, response: { set: {}, remove: [] } },
      size_limit: null
    },
    upstream: {
      balance: 'round_robin',
      preserve_host_header: false,
      timeout: '30s',
      tls: { ca_file: null, insecure_skip_verify: false, cert_file: null, key_file: null, min_version: 'TLSv1.2' },
      health_check: null
    },
    health_check: { path: '/health', interval: '5s' },
    rate_limit: { per: '1s' },
    cache: { ttl: '60s', status_codes: [200], by_headers: [] },
    cors: { allowed_origins: ['*'], allowed_methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], allowed_headers: [], exposed_headers: [], allow_credentials: false, max_age: '10m' },
    auth_api_key: { header: 'X-Api-Key', query: null, keys: [] },
    auth_basic: { realm: 'gatehouse', users: {} },
    auth_jwt: { algorithms: null, secret: null, public_key: null, public_key_file: null, issuer: null, audience: null }
  })
})

test('a minimal file gets every default', () => {
  const path = write(dir, 'minimal.yaml', configWith('  - name: a\n    upstream: { targets: [http://127.0.0.1:9000] }\n    rate_limit: { rate: 5 }\n    listen_path: /x\n  - name: b\n    upstream: { targets: [http://127.0.0.1:9000] }\n    listen:\n'.replace('    listen:\n', '')))
  const r = mustLoad(load(path, {}))
  const c = r.config
  assert.is(c.workers, 'auto')
  assert.is(c.scheduling, 'os')
  assert.equal(c.reload, { watch: false })
  assert.is(c.shutdown_timeout, 30_000)
  assert.equal(c.listen, { https: { host: '0.0.0.0', port: 8443 }, http: null })
  assert.equal(c.admin, { host: '127.0.0.1', port: 9090 })
  assert.is(c.access_log, 'stdout')
  assert.equal(c.timeouts, { headers: 10_000, keep_alive: 5000, request: 300_000, send: 60_000 })
  assert.is(c.tls.min_version, 'TLSv1.2')
  assert.is(c.tls.ciphers, null)
  assert.is(c.tls.certificates[0]?.domains, null)
  assert.is(c.redis, null)
  const a = c.apis[0]
  assert.ok(a)
  assert.equal([a.domain, a.listen_path, a.strip_listen_path, a.upstream.timeout, a.upstream.balance], [null, '/x', true, 30_000, 'round_robin'])
  assert.equal(a.rate_limit, { rate: 5, per: 1000 })
  assert.equal([a.cache, a.cors, a.size_limit, a.upstream.health_check], [null, null, null, null])
  assert.is(c.apis[1]?.listen_path, '/')
})

test('listen.http given as an object gets its own defaults', () => {
  const path = write(dir, 'http.yaml', 'listen:\n  http: { port: 8081 }\n' + configWith('  - name: a\n    upstream: { targets: [http://127.0.0.1:9000] }\n'))
  const r = mustLoad(load(path, {}))
  assert.equal(r.config.listen.http, { host: '0.0.0.0', port: 8081, redirect_https: true })
})

test('${VAR} and ${VAR:-default} in any scalar; plain scalars are re-typed', () => {
  const text = `version: 1
workers: \${WORKERS}
listen:
  https: { host: 127.0.0.1, port: "\${PORT:-8443}" }
tls:
  session_tickets: \${TICKETS:-true}
  certificates:
    - cert_file: \${CERT_DIR}/site.pem
      key_file: "\${CERT_DIR}/site-key.pem"
apis:
  - name: "\${NAME:-fallback}-api"
    upstream: { targets: ["http://\${UP_HOST:-127.0.0.1}:9000"] }
    headers: { request: { set: { X-Literal: "$\${NOT_A_VAR}" } } }
`
  const path = write(dir, 'interp.yaml', text)
  const r = mustLoad(load(path, { WORKERS: '2', CERT_DIR: dir, TICKETS: 'false', NAME: '' }))
  assert.is(r.config.workers, 2)
  assert.is(r.config.listen.https.port, 8443)
  assert.is(r.config.tls.session_tickets, false)
  assert.is(r.config.tls.certificates[0]?.cert_file, join(dir, 'site.pem'))
  assert.is(r.config.apis[0]?.name, 'fallback-api', 'an empty variable takes the default, as in the shell')
  assert.equal(r.config.apis[0]?.upstream.targets, ['http://127.0.0.1:9000'])
  assert.is(r.config.apis[0]?.headers.request.set['X-Literal'], '${NOT_A_VAR}')
})

test('a missing variable without a default is an error naming it at its column', () => {
  const text = configWith('  - name: a\n    upstream: { targets: ["http://${UPSTREAM_HOST}:9000", "${OTHER}"] }\n')
  const path = write(dir, 'missing-var.yaml', text)
  const r = load(path, {})
  assert.is(r.ok, false)
  if (r.ok) return
  assert.equal(r.errors.map(formatDiagnostic), [
    `${path}:8:35: apis[0].upstream.targets[0]: environment variable 'UPSTREAM_HOST' is not set (export UPSTREAM_HOST, or give a default: \${UPSTREAM_HOST:-value})`,
    `${path}:8:60: apis[0].upstream.targets[1]: environment variable 'OTHER' is not set (export OTHER, or give a default: \${OTHER:-value})`
  ])
  assert.is(r.errors[0]?.code, 'GH_CONFIG_ENV_MISSING')
})

test('durations and sizes', () => {
  assert.is(parseDuration('500ms'), 500)
  assert.is(parseDuration('30s'), 30_000)
  assert.is(parseDuration('5m'), 300_000)
  assert.is(parseDuration('1h'), 3_600_000)
  assert.is(parseDuration('1.5s'), 1500)
  assert.is(parseDuration('0'), 0)
  assert.is(parseDuration('30'), null)
  assert.is(parseDuration('-1s'), null)
  assert.is(parseDuration('5d'), null)
  assert.is(parseSize('10MB'), 10_485_760)
  assert.is(parseSize('512KB'), 524_288)
  assert.is(parseSize('1GB'), 1_073_741_824)
  assert.is(parseSize('1048576'), 1_048_576)
  assert.is(parseSize('10 mb'), 10_485_760)
  assert.is(parseSize('ten'), null)
})

test('workers: auto stays auto in the Config (compile resolves it)', () => {
  const path = write(dir, 'auto.yaml', 'workers: auto\n' + configWith('  - name: a\n    upstream: { targets: [http://127.0.0.1:9000] }\n'))
  const r = load(path, {})
  assert.ok(r.ok && r.config.workers === 'auto')
})

test('an empty file reports the missing certificates', () => {
  const path = write(dir, 'empty.yaml', '')
  const r = load(path, {})
  assert.is(r.ok, false)
  if (r.ok) return
  assert.equal(r.errors.map((e) => e.code), ['GH_CONFIG_NO_CERTIFICATES'])
})

test.run()
