// Valid configs and seeded config generators shared by several test files,
// so that fast-path.test.ts checks exactly the files the other tests load:
// load.test's every-key file, compile.test's certificates file, robustness'
// base file and its mutations, routing's random estates. Not a test file
// itself (the runner only picks up *.test.ts).

/** mulberry32: small, fast, good enough to explore estates reproducibly. */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// DESIGN.md's example, every key present, most set to a non-default value.
export const EVERY_KEY = `version: 1
workers: 3
scheduling: round_robin
reload: { watch: true }
shutdown_timeout: 45s
listen:
  https: { host: 127.0.0.1, port: 0 }
  http:  { host: 127.0.0.1, port: 8081, redirect_https: false }
admin:  { host: 127.0.0.1, port: 9091 }
access_log: logs/access.log
timeouts:
  headers: 7s
  keep_alive: 4s
  request: 0
  send: 90s
tls:
  min_version: TLSv1.3
  ciphers: ECDHE-ECDSA-AES128-GCM-SHA256
  certificates:
    - cert_file: site.pem
      key_file: site-key.pem
      key_passphrase_file: null
      domains: ["*.tyk.localhost"]
  default_certificate: "*.tyk.localhost"
  client_ca_file: clients-ca.pem
  session_tickets: false
redis: { url: redis://127.0.0.1:6379 }
apis:
  - name: httpbin
    domain: httpbin.tyk.localhost
    listen_path: /
    strip_listen_path: false
    upstream:
      targets: [http://127.0.0.1:9000, https://127.0.0.1:9001/base/]
      balance: least_conn
      preserve_host_header: true
      timeout: 500ms
      tls: { ca_file: clients-ca.pem, insecure_skip_verify: false, cert_file: upstream-client.pem, key_file: upstream-client-key.pem, min_version: TLSv1.3 }
      health_check: { path: /health, interval: 5s }
    auth: keyless
    rate_limit: { rate: 100, per: 1s }
    cache: { ttl: 60s, status_codes: [200], by_headers: [Accept] }
    cors: { allowed_origins: ["https://app.example.com"], allowed_methods: [get, POST], allowed_headers: [X-Token], exposed_headers: [X-Id], allow_credentials: true, max_age: 1h }
    ip_allow: [10.0.0.0/8, "2001:db8::/32", 192.168.1.7]
    ip_deny: ["::1"]
    headers: { request: { set: { X-Env: prod }, remove: [X-Debug] }, response: { set: {}, remove: [Server] } }
    size_limit: 10MB
  - name: keys
    domain: "*.tyk.localhost"
    listen_path: /keys/
    upstream: { targets: [http://127.0.0.1:9000] }
    auth: { type: api_key, header: X-Key, query: key, keys: [k1, k2] }
  - name: basic
    listen_path: /basic
    upstream: { targets: [http://127.0.0.1:9000] }
    auth: { type: basic, realm: staff, users: { alice: s3cret } }
  - name: jwt
    listen_path: /jwt
    upstream: { targets: [http://127.0.0.1:9000] }
    auth: { type: jwt, public_key_file: site.pem, issuer: https://issuer.example.com, audience: gatehouse }
  - name: mtls
    listen_path: /mtls
    upstream: { targets: [http://127.0.0.1:9000] }
    auth: { type: mtls }
`

/** compile.test's file: a passphrase-protected wildcard certificate (wild.pem, pass.txt) and an RSA one (api.pem). */
export const COMPILE_CONFIG = `version: 1
tls:
  certificates:
    - cert_file: wild.pem
      key_file: wild-key.pem
      key_passphrase_file: pass.txt
    - cert_file: api.pem
      key_file: api-key.pem
      domains: [api.example.com]
  default_certificate: api.example.com
apis:
  - name: wild
    domain: "*.tyk.localhost"
    listen_path: /w
    upstream: { targets: [http://127.0.0.1:9000] }
    rate_limit: { rate: 10, per: 1m }
    headers: { request: { set: { X-Env: Prod } }, response: { remove: [Server] } }
  - name: exact
    domain: httpbin.tyk.localhost
    upstream: { targets: [http://127.0.0.1:9001/base/] }
    cors: { allowed_origins: ["https://a.example"], max_age: 90s }
  - name: any
    listen_path: /health
    upstream: { targets: [http://127.0.0.1:9002] }
    auth: { type: api_key, keys: [k] }
`

/** robustness.test's base file (certificate site.pem for *.tyk.localhost). */
export const ROBUSTNESS_BASE = `version: 1
workers: 2
listen:
  https: { host: 127.0.0.1, port: 0 }
  http: { port: 8080 }
admin: { port: 9091 }
timeouts: { headers: 10s, keep_alive: 5s, request: 5m, send: 60s }
tls:
  certificates:
    - cert_file: site.pem
      key_file: site-key.pem
      domains: ["*.tyk.localhost"]
apis:
  - name: httpbin
    domain: httpbin.tyk.localhost
    listen_path: /api
    upstream:
      targets: [http://127.0.0.1:9000]
      health_check: { path: /health, interval: 5s }
    auth: { type: api_key, keys: [k1] }
    rate_limit: { rate: 100, per: 1s }
    cache: { ttl: 60s }
    cors: { allowed_origins: ["https://a.example"] }
    ip_allow: [10.0.0.0/8]
    headers: { request: { set: { X-Env: prod } } }
    size_limit: 10MB
  - name: jwt
    listen_path: /jwt
    upstream: { targets: [http://127.0.0.1:9000] }
    auth: { type: jwt, secret: s }
`

/** robustness.test's mutations: a value of another type, a deleted character, a misspelt key, a deleted line. */
export const REPLACEMENTS = ['[]', '{}', 'null', '0', '-1', '99999', 'true', '"x"', '1.5', '"30s"', '[1, 2]', '{ a: 1 }', '${NOPE}', '"${NOPE:-}"', '*.', '/']

/** One seeded mutation of `text` (robustness.test applies 1-3 per round). */
export function mutate (r: () => number, text: string): string {
  const lines = text.split('\n')
  const i = Math.floor(r() * lines.length)
  const line = lines[i] as string
  const k = r()
  if (k < 0.5 && line.includes(': ')) {
    // Replace the value after a `key: ` with something of another type.
    const at = line.indexOf(': ') + 2
    lines[i] = line.slice(0, at) + (REPLACEMENTS[Math.floor(r() * REPLACEMENTS.length)] as string)
  } else if (k < 0.7) {
    const c = Math.floor(r() * line.length)
    lines[i] = line.slice(0, c) + line.slice(c + 1)
  } else if (k < 0.85) {
    lines[i] = line.replace(/([a-z_]+):/, (_m, key: string) => `${key.slice(0, -1)}:`)
  } else {
    lines.splice(i, 1)
  }
  return lines.join('\n')
}

/** robustness.test's two runs: seed, rounds, and 1..max mutations per round. */
export interface MutationRun { seed: number, rounds: number, max: number }
export const ROBUSTNESS_ROUNDS: MutationRun = { seed: 20261128, rounds: 250, max: 3 }
export const ROBUSTNESS_COMPILE_ROUNDS: MutationRun = { seed: 7, rounds: 60, max: 1 }

/** The mutated files of one robustness run, in order (the same on every call). */
export function mutatedConfigs (run: MutationRun): string[] {
  const r = prng(run.seed)
  const out: string[] = []
  for (let n = 0; n < run.rounds; n++) {
    let text = ROBUSTNESS_BASE
    const count = run.max === 1 ? 1 : 1 + Math.floor(r() * run.max)
    for (let m = 0; m < count; m++) text = mutate(r, text)
    out.push(text)
  }
  return out
}

// routing.test's random estates: labels, parents and segments chosen to collide often.
export const LABELS = ['a', 'b', 'api', 'www', 'x1']
export const PARENTS = ['example.com', 'shop.example.com', 'localhost', 'ex.org']
export const SEGMENTS = ['api', 'apiary', 'v1', 'v2', 'users', 'x', 'a']

/** A random element of `list`. */
export function pick<T> (r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T
}

/** `/` plus 0..maxDepth random segments. */
export function randomPath (r: () => number, maxDepth: number): string {
  const depth = Math.floor(r() * (maxDepth + 1))
  const segs: string[] = []
  for (let i = 0; i < depth; i++) segs.push(pick(r, SEGMENTS))
  return '/' + segs.join('/')
}

/** null (any host), a one-label wildcard, a parent or a host. */
export function randomDomain (r: () => number): string | null {
  const k = r()
  if (k < 0.2) return null
  if (k < 0.45) return `*.${pick(r, PARENTS)}`
  if (k < 0.55) return pick(r, PARENTS)
  return `${pick(r, LABELS)}.${pick(r, PARENTS)}`
}

/** The routing test's seed: estate `e` is randomEstate(prng(ROUTING_SEED + e)). */
export const ROUTING_SEED = 0xC0FFEE
export const ROUTING_ESTATES = 40

/** A route of a random estate: the domain (null = any host) and the listen path as written. */
export interface Api { domain: string | null, listenPath: string }

/** Up to 25 APIs with distinct (domain, listen path), and the config file serving them with cert site.pem. */
export function randomEstate (r: () => number): { apis: Api[], yaml: string } {
  const apis: Api[] = []
  const seen = new Set<string>()
  const n = 1 + Math.floor(r() * 25)
  for (let i = 0; i < n; i++) {
    const a = { domain: randomDomain(r), listenPath: randomPath(r, 3) }
    const key = `${a.domain ?? ''} ${a.listenPath}`
    if (seen.has(key)) continue
    seen.add(key)
    apis.push(a)
  }
  const yaml = 'version: 1\ntls:\n  certificates:\n    - { cert_file: site.pem, key_file: site-key.pem }\napis:\n' +
    apis.map((a, i) => `  - name: api${i}\n${a.domain === null ? '' : `    domain: "${a.domain}"\n`}    listen_path: ${a.listenPath}${r() < 0.3 && a.listenPath !== '/' ? '/' : ''}\n    upstream: { targets: [http://127.0.0.1:9000] }\n`).join('')
  return { apis, yaml }
}
