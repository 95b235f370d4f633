// Bad input never crashes the loader: seeded random mutations of a valid file
// (values swapped for other types, characters deleted, keys misspelt) always
// come back as a result with well-formed diagnostics, never an exception, and
// whatever still loads also compiles.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ERRORS, loadAndCompile, loadText } from '@gatehouse/config'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeCert, tempDir } from './helpers.js'

const test = suite('robustness')
let dir = ''
let cleanup = (): void => {}
test.before(() => {
  ({ dir, cleanup } = tempDir())
  makeCert(dir, 'site', ['*.tyk.localhost', 'tyk.localhost'])
})
test.after(() => cleanup())

const BASE = `version: 1
workers: 2
listen:
  https: { host: 127.0.0.1, port: 0 }
  http: { port: 8080 }
admin: { port: 9091 }
timeouts: { headers: 10s, keep_alive: 5s, request: 5m }
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

const REPLACEMENTS = ['[]', '{}', 'null', '0', '-1', '99999', 'true', '"x"', '1.5', '"30s"', '[1, 2]', '{ a: 1 }', '${NOPE}', '"${NOPE:-}"', '*.', '/']

function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function mutate (r: () => number, text: string): string {
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

const ROUNDS = 250

test(`${ROUNDS} seeded mutations: no exception, diagnostics well-formed, valid results compile`, () => {
  const base = loadText(BASE, join(dir, 'base.yaml'), {})
  assert.ok(base.ok, 'the base file is valid')
  const r = prng(20261128)
  let invalid = 0
  for (let n = 0; n < ROUNDS; n++) {
    let text = BASE
    const count = 1 + Math.floor(r() * 3)
    for (let m = 0; m < count; m++) text = mutate(r, text)
    const file = join(dir, `m${n}.yaml`)
    let res
    try {
      res = loadText(text, file, {})
    } catch (err) {
      assert.unreachable(`loadText threw on mutation ${n}: ${(err as Error).stack ?? String(err)}\n${text}`)
      return
    }
    const all = res.ok ? res.warnings : [...res.errors, ...res.warnings]
    for (const d of all) {
      assert.ok(d.code in ERRORS, `unknown code ${d.code}`)
      assert.ok(Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.col) && d.col >= 1, `bad position ${d.line}:${d.col}`)
      assert.is(d.file, file)
      assert.ok(d.message.length > 0 && d.hint.length > 0)
    }
    if (!res.ok) {
      invalid++
      assert.ok(res.errors.length > 0)
    }
  }
  assert.ok(invalid > ROUNDS / 2, `most mutations must be caught (${invalid}/${ROUNDS})`)
})

test('whatever loads also compiles (file-based, so compile sees the sources)', () => {
  const r = prng(7)
  let compiled = 0
  for (let n = 0; n < 60; n++) {
    const text = mutate(r, BASE)
    const file = join(dir, `c${n}.yaml`)
    writeFileSync(file, text)
    const res = loadAndCompile(file, {})
    if (res.ok) { compiled++; assert.ok(res.table.apis.length >= 0) }
  }
  assert.ok(compiled > 0)
})

test.run()
