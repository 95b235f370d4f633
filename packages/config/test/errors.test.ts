// Every kind of config error, one fixture each (test/fixtures/errors/*.yaml,
// loaded next to certificates made at test time), with the exact
// file:line:col and code expected; all errors of a file are collected; the
// error registry and the README list the same codes (STYLE #1).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { copyFileSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ERRORS, GatehouseError, formatDiagnostic, load } from '@gatehouse/config'
import type { Diagnostic } from '@gatehouse/config'
import { makeCert, tempDir, write } from './helpers.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/errors/', import.meta.url))
const README = fileURLToPath(new URL('../README.md', import.meta.url))
const DAY = 86_400_000

const test = suite('errors')
let dir = ''
let cleanup = (): void => {}

test.before(() => {
  ({ dir, cleanup } = tempDir())
  makeCert(dir, 'site', ['*.tyk.localhost', 'tyk.localhost'])
  makeCert(dir, 'other', ['other.example.com'])
  write(dir, 'garbage.pem', 'this is not PEM\n')
  for (const f of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, f), join(dir, f))
})
test.after(() => cleanup())

/** `CODE line:col` for every error and warning of a fixture, in file order. */
function diagnose (name: string, now?: number): { ok: boolean, list: string[], all: Diagnostic[] } {
  const r = load(join(dir, `${name}.yaml`), {}, now === undefined ? {} : { now })
  const all = [...(r.ok ? [] : r.errors), ...r.warnings].sort((a, b) => a.line - b.line || a.col - b.col)
  return { ok: r.ok, all, list: all.map((d) => `${d.severity === 'warning' ? 'warning ' : ''}${d.code} ${d.line}:${d.col}`) }
}

const EXPECTED: Record<string, string[]> = {
  'yaml-syntax': ['GH_CONFIG_YAML 7:11'],
  'unknown-key': ['GH_CONFIG_UNKNOWN_KEY 9:5'],
  'wrong-type': ['GH_CONFIG_TYPE 3:33'],
  enum: ['GH_CONFIG_ENUM 3:16'],
  required: ['GH_CONFIG_REQUIRED 7:5'],
  'empty-targets': ['GH_CONFIG_EMPTY 8:26'],
  range: ['GH_CONFIG_RANGE 2:16'],
  // Longer than a Node timer holds (2^31 - 1 ms): setTimeout would fire after 1 ms.
  'duration-range': ['GH_CONFIG_RANGE 2:19'],
  duration: ['GH_CONFIG_DURATION 10:16'],
  size: ['GH_CONFIG_SIZE 9:17'],
  'env-missing': ['GH_CONFIG_ENV_MISSING 8:35'],
  'env-syntax': ['GH_CONFIG_ENV_SYNTAX 8:35'],
  version: ['GH_CONFIG_VERSION 1:10'],
  'file-missing': ['GH_CONFIG_FILE_MISSING 4:18'],
  'cert-parse': ['GH_CONFIG_CERT_PARSE 4:18'],
  'key-parse': ['GH_CONFIG_KEY_PARSE 5:17'],
  'key-mismatch': ['GH_CONFIG_KEY_MISMATCH 5:17'],
  'domain-not-covered': ['GH_CONFIG_DOMAIN_NOT_COVERED 6:36'],
  'domain-invalid': ['GH_CONFIG_DOMAIN_INVALID 9:13'],
  'no-certificates': ['GH_CONFIG_NO_CERTIFICATES 3:17'],
  'default-cert-unknown': ['GH_CONFIG_DEFAULT_CERT_UNKNOWN 3:24'],
  'duplicate-api': ['GH_CONFIG_DUPLICATE_API 10:11'],
  'duplicate-route': ['GH_CONFIG_DUPLICATE_ROUTE 12:18'],
  'listen-path': ['GH_CONFIG_LISTEN_PATH 9:18'],
  'target-url': ['GH_CONFIG_TARGET_URL 8:27', 'GH_CONFIG_TARGET_URL 8:49'],
  cidr: ['GH_CONFIG_CIDR 9:16', 'GH_CONFIG_CIDR 9:29', 'GH_CONFIG_CIDR 10:15'],
  'port-clash': ['GH_CONFIG_PORT_CLASH 4:16'],
  'redis-url': ['GH_CONFIG_REDIS_URL 6:15'],
  'header-name': ['GH_CONFIG_HEADER_NAME 10:25', 'GH_CONFIG_HEADER_NAME 10:53'],
  auth: ['GH_CONFIG_AUTH 9:11', 'GH_CONFIG_AUTH 13:11'],
  cors: ['GH_CONFIG_CORS 9:32'],
  warnings: ['warning GH_CONFIG_INSECURE_UPSTREAM 10:36', 'warning GH_CONFIG_CERT_FOR_DOMAIN 11:13', 'warning GH_CONFIG_API_KEY_EMPTY 12:11'],
  // Five unrelated mistakes in one file: all of them are reported, not just the first.
  many: ['GH_CONFIG_TYPE 6:10', 'GH_CONFIG_TYPE 9:60', 'GH_CONFIG_TYPE 10:24', 'GH_CONFIG_UNKNOWN_KEY 11:5', 'GH_CONFIG_RANGE 12:25']
}

for (const [name, expected] of Object.entries(EXPECTED)) {
  test(`${name}.yaml: ${expected.join(', ')}`, () => {
    const r = diagnose(name)
    assert.equal(r.list, expected)
    assert.is(r.ok, expected.every((e) => e.startsWith('warning ')))
  })
}

test('every fixture has an expectation', () => {
  const fixtures = readdirSync(FIXTURES).map((f) => f.replace(/\.yaml$/, '')).filter((f) => f !== 'cert-expired').sort()
  assert.equal(fixtures, Object.keys(EXPECTED).sort())
})

test('exact messages: unknown key, wrong type, enum, missing variable, duplicate route', () => {
  const line = (name: string): string => formatDiagnostic(diagnose(name).all[0] as Diagnostic)
  const f = (name: string): string => join(dir, `${name}.yaml`)
  assert.is(line('unknown-key'), `${f('unknown-key')}:9:5: apis[0].strip_listen_pth: unknown key 'strip_listen_pth' (did you mean \`strip_listen_path\`?)`)
  assert.is(line('wrong-type'), `${f('wrong-type')}:3:33: listen.https.port: expected a whole number, got the string 'eighty' (write e.g. 8443 (0 = any free port))`)
  assert.is(line('enum'), `${f('enum')}:3:16: tls.min_version: 'TLSv1.1' is not allowed (use one of: TLSv1.2 | TLSv1.3)`)
  assert.is(line('env-missing'), `${f('env-missing')}:8:35: apis[0].upstream.targets[0]: environment variable 'UPSTREAM_HOST' is not set (export UPSTREAM_HOST, or give a default: \${UPSTREAM_HOST:-value})`)
  assert.is(line('duplicate-route'), `${f('duplicate-route')}:12:18: apis[1].listen_path: API 'two' has the same domain and listen_path as API 'one' (line 9) (change the domain or the listen_path of one of them)`)
  const d = diagnose('unknown-key').all[0] as Diagnostic
  assert.equal({ path: d.path, hint: d.hint, severity: d.severity }, { path: 'apis[0].strip_listen_pth', hint: 'did you mean `strip_listen_path`?', severity: 'error' })
})

test('an expired certificate is an error; one expiring within 14 days a warning', () => {
  // site.pem is valid for 30 days from now.
  assert.equal(diagnose('cert-expired', Date.now() + 31 * DAY).list, ['GH_CONFIG_CERT_EXPIRED 4:18'])
  assert.equal(diagnose('cert-expired', Date.now() + 20 * DAY).list, ['warning GH_CONFIG_CERT_EXPIRING 4:18'])
  assert.equal(diagnose('cert-expired', Date.now() + 10 * DAY).list, [])
  assert.equal(diagnose('cert-expired', Date.now() - 2 * DAY).list, ['warning GH_CONFIG_CERT_NOT_YET_VALID 4:18'])
})

test('a missing config file', () => {
  const r = load(join(dir, 'nope.yaml'), {})
  assert.is(r.ok, false)
  if (r.ok) return
  assert.is(formatDiagnostic(r.errors[0] as Diagnostic), `${join(dir, 'nope.yaml')}:1:1: cannot read config file '${join(dir, 'nope.yaml')}': no such file (check the path given with -c (or GATEHOUSE_CONFIG) and its permissions)`)
})

test('GatehouseError carries the code, the filled message and the hint', () => {
  const e = new GatehouseError('GH_CONFIG_UNKNOWN_KEY', ['strip_listen_pth'], ['did you mean `strip_listen_path`?'])
  assert.instance(e, Error)
  assert.is(e.code, 'GH_CONFIG_UNKNOWN_KEY')
  assert.is(e.message, "unknown key 'strip_listen_pth'")
  assert.is(e.hint, 'did you mean `strip_listen_path`?')
})

test('every registry code is documented in the README, and every documented code exists', () => {
  const readme = readFileSync(README, 'utf8')
  const documented = new Set(readme.match(/GH_[A-Z_]+/g) ?? [])
  const codes = Object.keys(ERRORS)
  assert.equal(codes.filter((c) => !documented.has(c)), [], 'codes missing from README')
  assert.equal([...documented].filter((c) => !(c in ERRORS)), [], 'README codes not in the registry')
})

test.run()
