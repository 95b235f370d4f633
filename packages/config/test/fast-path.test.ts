// load()'s two parse paths agree (README "Stages"): for every valid file the
// other tests load (configs.ts), Tyk import output, robustness' seeded
// mutations and routing's seeded random estates, `positions: 'lazy'` (the
// default: js-yaml without positions, kept only when nothing is reported) and
// `positions: 'always'` (the yaml package with positions) give deep-equal
// Configs and RoutingTables apart from `compiledAt`, and the valid files
// really took the fast path. Files with errors or warnings still get the exact
// file:line:col of the positional path, never a placeholder.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { importTykCli, load, loadAndCompile, loadText, compile } from '@gatehouse/config'
import type { CliIo, Diagnostic, LoadResult, RoutingTable } from '@gatehouse/config'
import { configWith, makeCert, tempDir, write } from './helpers.js'
import { COMPILE_CONFIG, EVERY_KEY, PARENTS, ROBUSTNESS_BASE, ROBUSTNESS_COMPILE_ROUNDS, ROBUSTNESS_ROUNDS, ROUTING_ESTATES, ROUTING_SEED, mutatedConfigs, prng, randomEstate } from './configs.js'

const ERRORS_DIR = fileURLToPath(new URL('./fixtures/errors/', import.meta.url))
const TYK_DIR = fileURLToPath(new URL('./fixtures/tyk/', import.meta.url))

const test = suite('fast-path')
let dir = ''
let cleanup = (): void => {}
/** Subdirectories with the certificates each borrowed config expects. */
let tyk = ''
let comp = ''
let routing = ''
let jwtPem = ''

test.before(() => {
  ({ dir, cleanup } = tempDir('gh-fast-'))
  // load.test / robustness / check-cli / errors fixtures: site.pem for *.tyk.localhost.
  makeCert(dir, 'site', ['*.tyk.localhost', 'tyk.localhost'])
  makeCert(dir, 'upstream-client', ['client.internal'])
  makeCert(dir, 'clients-ca', ['clients.internal'])
  jwtPem = readFileSync(join(dir, 'site.pem'), 'utf8')
  for (const f of ['env-missing', 'target-url', 'warnings', 'yaml-syntax']) copyFileSync(join(ERRORS_DIR, `${f}.yaml`), join(dir, `${f}.yaml`))
  comp = join(dir, 'compile')
  mkdirSync(comp)
  makeCert(comp, 'wild', ['*.tyk.localhost', 'tyk.localhost'], { passphrase: 'correct horse' })
  makeCert(comp, 'api', ['api.example.com', 'www.example.com'], { keyType: 'rsa' })
  write(comp, 'pass.txt', 'correct horse\n')
  routing = join(dir, 'routing')
  mkdirSync(routing)
  // Every parent of the random estates, so that most estates have nothing to warn about.
  makeCert(routing, 'site', PARENTS.flatMap((p) => [p, `*.${p}`]))
  tyk = join(dir, 'tyk')
  mkdirSync(join(tyk, 'certs'), { recursive: true })
  makeCert(join(tyk, 'certs'), 'tyk.local-fullchain', ['*.tyk.localhost', 'tyk.localhost'])
})
test.after(() => cleanup())

/** The table without its compile time, the one field that differs between two compiles. */
function stable (t: RoutingTable): Omit<RoutingTable, 'compiledAt'> {
  const { compiledAt: _, ...rest } = t
  return rest
}

const where = (ds: Diagnostic[]): string[] => ds.map((d) => `${d.severity} ${d.code} ${d.line}:${d.col} ${d.message}`)

/** Both paths on one result pair: same outcome, Config, sources, diagnostics and table. */
function same (lazy: LoadResult, always: LoadResult, label: string): void {
  assert.is(lazy.ok, always.ok, `${label}: ok`)
  if (always.ok) assert.is(always.positions, true, `${label}: 'always' parses with positions`)
  if (lazy.ok && always.ok) {
    assert.equal(lazy.config, always.config, `${label}: Config`)
    assert.equal(lazy.sources, always.sources, `${label}: sources`)
    assert.equal(where(lazy.warnings), where(always.warnings), `${label}: warnings`)
    // Warnings only ever come from the positional path (the callers check that the fast path was taken).
    assert.ok(lazy.warnings.length === 0 || lazy.positions, `${label}: warnings with positions`)
    assert.equal(stable(compile(lazy.config, lazy.sources)), stable(compile(always.config, always.sources)), `${label}: RoutingTable`)
  } else if (!lazy.ok && !always.ok) {
    assert.equal(where(lazy.errors), where(always.errors), `${label}: errors`)
    assert.equal(where(lazy.warnings), where(always.warnings), `${label}: warnings`)
  }
  for (const d of lazy.ok ? lazy.warnings : [...lazy.errors, ...lazy.warnings]) {
    assert.ok(d.line >= 1 && d.col >= 1, `${label}: placeholder position in ${d.code} ${d.line}:${d.col}`)
  }
}

/** Load `file` both ways and compare; returns the lazy result. */
function both (file: string, env: Record<string, string> = {}): LoadResult {
  const lazy = load(file, env, { positions: 'lazy' })
  same(lazy, load(file, env, { positions: 'always' }), file)
  return lazy
}

test('the valid files of load, compile, robustness and check-cli tests: same Config and table, via the fast path', () => {
  const files = [
    write(dir, 'every.yaml', EVERY_KEY),
    write(dir, 'base.yaml', ROBUSTNESS_BASE),
    write(dir, 'minimal.yaml', configWith('  - name: a\n    upstream: { targets: [http://127.0.0.1:9000] }\n    rate_limit: { rate: 5 }\n    listen_path: /x\n  - name: b\n    upstream: { targets: [http://127.0.0.1:9000] }\n')),
    write(dir, 'http.yaml', 'listen:\n  http: { port: 8081 }\n' + configWith('  - name: a\n    upstream: { targets: [http://127.0.0.1:9000] }\n')),
    write(dir, 'auto.yaml', 'workers: auto\n' + configWith('  - name: a\n    upstream: { targets: [http://127.0.0.1:9000] }\n')),
    write(comp, 'gatehouse.yaml', COMPILE_CONFIG),
    write(comp, 'explicit.yaml', COMPILE_CONFIG.replace('version: 1\n', 'version: 1\nworkers: 2\nscheduling: round_robin\nreload: { watch: true }\nlisten:\n  http: { port: 8080, redirect_https: false }\n')
      .replace('  certificates:\n', '  min_version: TLSv1.3\n  ciphers: ECDHE-RSA-AES128-GCM-SHA256\n  certificates:\n'))
  ]
  let fast = 0
  for (const file of files) {
    const r = both(file)
    assert.ok(r.ok, `${file} is valid`)
    if (r.ok && !r.positions) fast++
  }
  assert.ok(fast >= 5, `most of these files have nothing to report and take the fast path (${fast})`)
})

test('interpolation: plain and quoted, defaults, empty variables, $${ escapes, re-typing', () => {
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
    upstream:
      targets: ["http://\${UP_HOST:-127.0.0.1}:9000"]
      timeout: \${TIMEOUT:-15s}
    auth:
      type: api_key
      keys:
        - '\${KEY}'
        - "\${KEY}-2"
        - \${NUMERIC_KEY}
    headers:
      request:
        set:
          X-Literal: "$\${NOT_A_VAR}"
          X-Port: \${PORT}
          X-Plain: \${PLAIN:-0x1F}
`
  const file = write(dir, 'interp.yaml', text)
  const r = both(file, { WORKERS: '2', CERT_DIR: dir, TICKETS: 'false', NAME: '', PORT: '9443', KEY: 'k-1', NUMERIC_KEY: '0012', TIMEOUT: '' })
  assert.ok(r.ok && !r.positions, 'fast path')
  if (!r.ok) return
  assert.is(r.config.workers, 2)
  assert.is(r.config.listen.https.port, 9443, 'a quoted ${PORT} is re-typed too (source.ts)')
  assert.is(r.config.tls.session_tickets, false)
  assert.is(r.config.apis[0]?.name, 'fallback-api')
  assert.is(r.config.apis[0]?.upstream.timeout, 15_000, 'an empty variable takes the default')
  // String readers get the exact substituted text, whatever YAML would type it as.
  assert.equal(r.config.apis[0]?.headers.request.set, { 'X-Literal': '${NOT_A_VAR}', 'X-Port': '9443', 'X-Plain': '0x1F' })
  const auth = r.config.apis[0]?.auth
  assert.equal(auth?.type === 'api_key' ? auth.keys : null, ['k-1', 'k-1-2', '0012'])
})

test('YAML 1.2 core typing, anchors, aliases, block and multi-line scalars: the same on both paths', () => {
  const text = `version: 1
tls:
  certificates:
    - cert_file: site.pem
      key_file: site-key.pem
apis:
  - name: typed
    listen_path: /typed
    upstream: &up
      targets:
        - http://127.0.0.1:9000
        - 'http://[::1]:9001/base/'
      timeout: 15s
    headers:
      request:
        set:
          X-Oct: 0o17
          X-Hex: 0x1F
          X-Dec: 012
          X-Plus: +12
          X-Under: 1_000
          X-Bin: 0b101
          X-NegHex: -0x1
          X-Inf: .inf
          X-Exp: 1e3
          X-Float: 1.50
          X-Quoted: "0x1F"
          X-Single: 'it''s'
          X-Escapes: "tab\\tnewline\\u00e9"
          X-Folded: a plain
            scalar on two lines
          X-Hash: value#not-a-comment   # a comment
    cache: &cache { ttl: 60s, status_codes: [200, 301] }
  - name: aliased
    listen_path: /aliased
    upstream: *up
    cache: *cache
    auth:
      type: jwt
      public_key: |
${jwtPem.trimEnd().split('\n').map((l) => `        ${l}`).join('\n')}
      algorithms: [ES256]
`
  const r = both(write(dir, 'typed.yaml', text))
  assert.ok(r.ok && !r.positions, 'fast path')
  if (!r.ok) return
  // What the yaml package's YAML 1.2 core schema makes of each (js-yaml's own CORE_SCHEMA differs on 1_000, 0b101, -0x1).
  assert.equal(r.config.apis[0]?.headers.request.set, {
    'X-Oct': '15', 'X-Hex': '31', 'X-Dec': '12', 'X-Plus': '12', 'X-Under': '1_000', 'X-Bin': '0b101', 'X-NegHex': '-0x1',
    'X-Inf': 'Infinity', 'X-Exp': '1000', 'X-Float': '1.5', 'X-Quoted': '0x1F', 'X-Single': "it's", 'X-Escapes': 'tab\tnewline\u00e9',
    'X-Folded': 'a plain scalar on two lines', 'X-Hash': 'value#not-a-comment'
  })
  assert.equal(r.config.apis[1]?.upstream, r.config.apis[0]?.upstream)
  assert.equal(r.config.apis[1]?.upstream.targets, ['http://127.0.0.1:9000', 'http://[::1]:9001/base'])
  const auth = r.config.apis[1]?.auth
  assert.is(auth?.type === 'jwt' ? auth.public_key : null, jwtPem.trimEnd() + '\n')
})

test('Tyk import output (list export, apps/ directory, httpbin with the certificates env): same both ways', async () => {
  const certs = JSON.stringify([{ domain_name: '*.tyk.localhost', cert_file: join(tyk, 'certs', 'tyk.local-fullchain.pem'), key_file: join(tyk, 'certs', 'tyk.local-fullchain-key.pem') }])
  for (const input of ['httpbin-dashboard-export.json', 'dashboard-list-export.json', 'apps']) {
    let out = ''
    const io: CliIo = { stdout: { write: (s: string) => { out += s } }, stderr: { write: () => {} }, env: { TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES: certs }, cwd: tyk }
    assert.is(await importTykCli([join(TYK_DIR, input)], io), 0)
    both(write(tyk, `${input}.yaml`, out))
  }
  const httpbin = load(join(tyk, 'httpbin-dashboard-export.json.yaml'), {})
  assert.ok(httpbin.ok && !httpbin.positions, 'the clean httpbin import takes the fast path')
})

test(`robustness' ${ROBUSTNESS_ROUNDS.rounds + ROBUSTNESS_COMPILE_ROUNDS.rounds} seeded mutations: same result either way, errors with real positions`, () => {
  let fast = 0
  let invalid = 0
  for (const run of [ROBUSTNESS_ROUNDS, ROBUSTNESS_COMPILE_ROUNDS]) {
    mutatedConfigs(run).forEach((text, n) => {
      const file = join(dir, `m${run.seed}-${n}.yaml`)
      const lazy = loadText(text, file, {})
      same(lazy, loadText(text, file, {}, { positions: 'always' }), `mutation ${run.seed}/${n}:\n${text}\n`)
      if (lazy.ok && !lazy.positions) fast++
      if (!lazy.ok) invalid++
    })
  }
  assert.ok(fast > 10 && invalid > 100, `both kinds are exercised (fast ${fast}, invalid ${invalid})`)
})

test(`routing's ${ROUTING_ESTATES} seeded random estates: identical tables, the fast path when nothing is reported`, () => {
  let fast = 0
  for (let e = 0; e < ROUTING_ESTATES; e++) {
    const { apis, yaml } = randomEstate(prng(ROUTING_SEED + e))
    const file = write(routing, `estate-${e}.yaml`, yaml)
    const lazy = loadAndCompile(file, {})
    const always = loadAndCompile(file, {}, { positions: 'always' })
    assert.ok(lazy.ok && always.ok, `estate ${e} is valid`)
    if (!lazy.ok || !always.ok) return
    assert.is(lazy.table.apis.length, apis.length)
    assert.equal(stable(lazy.table), stable(always.table), `estate ${e}`)
    const r = load(file, {})
    same(r, load(file, {}, { positions: 'always' }), `estate ${e}`)
    // Hosts outside *.example.com are warned about (not covered by the certificate); the rest is fast.
    assert.ok(r.ok && r.positions === r.warnings.length > 0, `estate ${e}: fast path unless there are warnings`)
    if (r.ok && !r.positions) fast++
  }
  assert.ok(fast >= ROUTING_ESTATES / 2, `most estates have nothing to report (${fast})`)
})

test('a generated estate like the benchmark (300 APIs, flow mappings, ${VAR:-default} in flow sequences)', () => {
  const lines = ['version: 1', 'workers: auto', 'listen:', '  https: { host: 0.0.0.0, port: 8443 }', 'tls:', '  certificates:', '    - cert_file: site.pem', '      key_file: site-key.pem', 'apis:']
  for (let i = 0; i < 300; i++) {
    lines.push(`  - name: api-${i}`, i % 10 === 0 ? `    domain: "*.t${i}.tyk.localhost"` : `    domain: svc${i}.tyk.localhost`,
      `    listen_path: /v${i % 3}/svc${i}`, '    upstream:', `      targets: [http://10.0.${i & 255}.1:8080, http://10.0.${i & 255}.2:8080]`, '      timeout: 15s')
    if (i % 4 === 0) {
      lines.push('    rate_limit: { rate: 100, per: 1s }', '    auth: { type: api_key, header: X-Api-Key, keys: ["${BENCH_KEY:-k1}"] }',
        '    headers: { request: { set: { X-Env: prod }, remove: [X-Debug] }, response: { remove: [Server] } }',
        '    ip_allow: [10.0.0.0/8, 192.168.0.0/16]', '    cors: { allowed_origins: ["https://app.example.com"], max_age: 10m }', '    size_limit: 10MB')
    }
  }
  // *.tN.tyk.localhost is two labels below the certificate's wildcard: only the exact hosts are covered.
  const text = lines.join('\n').replace(/"\*\.t(\d+)\.tyk\.localhost"/g, 'w$1.tyk.localhost') + '\n'
  const r = both(write(dir, 'estate.yaml', text), { BENCH_KEY: 'bench' })
  assert.ok(r.ok && !r.positions, 'fast path')
  if (r.ok) assert.is(r.config.apis.length, 300)
})

test('errors and warnings keep the exact file:line:col of the positional path', () => {
  const expected: Record<string, string[]> = {
    'env-missing': ['error GH_CONFIG_ENV_MISSING 8:35'],
    'target-url': ['error GH_CONFIG_TARGET_URL 8:27', 'error GH_CONFIG_TARGET_URL 8:49'],
    'yaml-syntax': ['error GH_CONFIG_YAML 7:11'],
    warnings: ['warning GH_CONFIG_INSECURE_UPSTREAM 10:36', 'warning GH_CONFIG_CERT_FOR_DOMAIN 11:13', 'warning GH_CONFIG_API_KEY_EMPTY 12:11']
  }
  for (const [name, want] of Object.entries(expected)) {
    const r = both(join(dir, `${name}.yaml`))
    const all = [...(r.ok ? [] : r.errors), ...r.warnings].sort((a, b) => a.line - b.line || a.col - b.col)
    assert.equal(all.map((d) => `${d.severity} ${d.code} ${d.line}:${d.col}`), want, name)
    if (r.ok) assert.is(r.positions, true, `${name}: warnings come from the positional path`)
  }
})

test('YAML the fast path declines or js-yaml rejects: identical results from the positional path', () => {
  const cert = 'tls:\n  certificates:\n    - cert_file: site.pem\n      key_file: site-key.pem\n'
  const api = 'apis:\n  - name: a\n    upstream: { targets: [http://127.0.0.1:9000] }\n'
  const cases: Record<string, string> = {
    empty: '',
    comments: '# nothing here\n',
    'null document': '~\n',
    'two documents': `version: 1\n${cert}${api}---\nversion: 1\n`,
    'duplicate key': `version: 1\nversion: 1\n${cert}${api}`,
    'numeric vs string key': `version: 1\n${cert}${api}    headers: { request: { set: { 1: a, "1": b } } }\n`,
    'integer-like keys': `version: 1\n${cert}${api}    auth: { type: basic, users: { 2: b, 1: a } }\n`,
    'YAML 1.1 directive': `%YAML 1.1\n---\nversion: 1\n${cert}${api}    strip_listen_path: yes\n`,
    'explicit tags': `version: !!int "1"\n${cert}${api}`,
    'tab in a value': `version: 1\n${cert}${api}    listen_path:\t/tab\n`,
    'flow sequence over two lines': `version: 1\n${cert}apis:\n  - name: a\n    upstream: { targets: [http://127.0.0.1:9000,\n      http://127.0.0.1:9001] }\n`,
    'flow sequence under-indented': `version: 1\n${cert}apis:\n  - name: a\n    upstream: { targets: [http://127.0.0.1:9000,\nhttp://127.0.0.1:9001] }\n`,
    'complex key': `version: 1\n${cert}${api}    auth: { type: basic, users: { [alice]: pw } }\n`,
    'explicit key': `version: 1\n${cert}${api}    auth:\n      type: basic\n      users:\n        ? alice\n        : pw\n`,
    'alias as key': `version: 1\n${cert}${api}    auth: { type: basic, users: { &u alice: pw } }\n    headers: { request: { set: { *u : x } } }\n`,
    'alias cycle': `version: 1\n${cert}${api}    x: &a [*a]\n`,
    'lone CR': `version: 1\r${cert}${api}`,
    'glued comment': `version: 1\n${cert}${api}    ip_allow: [10.0.0.0/8]#comment\n`
  }
  for (const [name, text] of Object.entries(cases)) {
    const file = join(dir, `case-${name.replace(/\W+/g, '-')}.yaml`)
    const lazy = loadText(text, file, {})
    same(lazy, loadText(text, file, {}, { positions: 'always' }), name)
    if (lazy.ok) assert.is(lazy.positions, true, `${name}: declined by the fast path`)
  }
})

test.run()
