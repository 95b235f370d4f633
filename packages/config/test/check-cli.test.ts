// `gatehouse check`: diagnostics as file:line:col, the one-line summary,
// exit codes 0/1/2, -c / GATEHOUSE_CONFIG / ./gatehouse.yaml, and --json.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { checkCli } from '@gatehouse/config'
import type { CliIo } from '@gatehouse/config'
import { makeCert, tempDir, write, configWith } from './helpers.js'

const test = suite('check-cli')
let dir = ''
let cleanup = (): void => {}

function io (cwd: string, env: Record<string, string> = {}): CliIo & { out: () => string, err: () => string } {
  let out = ''
  let err = ''
  return {
    stdout: { write: (s: string) => { out += s } },
    stderr: { write: (s: string) => { err += s } },
    env,
    cwd,
    out: () => out,
    err: () => err
  }
}

const GOOD = configWith(`  - name: httpbin
    domain: httpbin.tyk.localhost
    upstream: { targets: [http://127.0.0.1:9000] }
  - name: wild
    domain: "*.tyk.localhost"
    listen_path: /w
    upstream: { targets: [http://127.0.0.1:9000] }
  - name: any
    listen_path: /any
    upstream: { targets: [http://127.0.0.1:9000] }
`)

test.before(() => {
  ({ dir, cleanup } = tempDir())
  makeCert(dir, 'site', ['*.tyk.localhost', 'tyk.localhost'])
  write(dir, 'gatehouse.yaml', GOOD)
  write(dir, 'bad.yaml', configWith(`  - name: httpbin
    strip_listen_pth: true
    upstream: { targets: [ftp://x], timeout: soon }
`))
  write(dir, 'warn.yaml', configWith(`  - name: keys
    auth: { type: api_key }
    upstream: { targets: [http://127.0.0.1:9000] }
`))
})
test.after(() => cleanup())

test('a valid file: summary line, exit 0; ./gatehouse.yaml is the default', async () => {
  const o = io(dir)
  assert.is(await checkCli([], o), 0)
  assert.is(o.out(), 'ok: 3 APIs, 1 certificate, 2 hosts\n')
  assert.is(o.err(), '')
})

test('an invalid file: every error as file:line:col, then the count, exit 1', async () => {
  const o = io(dir)
  assert.is(await checkCli(['-c', 'bad.yaml'], o), 1)
  const f = join(dir, 'bad.yaml')
  assert.is(o.out(), [
    `${f}:8:5: apis[0].strip_listen_pth: unknown key 'strip_listen_pth' (did you mean \`strip_listen_path\`?)`,
    `${f}:9:27: apis[0].upstream.targets[0]: invalid upstream target 'ftp://x': scheme 'ftp' is not http or https (use an absolute http:// or https:// URL such as http://127.0.0.1:9000)`,
    `${f}:9:46: apis[0].upstream.timeout: invalid duration 'soon' (write a number with a unit: 500ms, 30s, 5m or 1h)`,
    '3 errors',
    ''
  ].join('\n'))
})

test('warnings are printed and counted but do not fail', async () => {
  const o = io(dir)
  assert.is(await checkCli(['--config', 'warn.yaml'], o), 0)
  const lines = o.out().trimEnd().split('\n')
  assert.match(lines[0] as string, new RegExp(`^${join(dir, 'warn.yaml')}:8:11: warning: apis\\[0\\]\\.auth\\.keys: API 'keys' uses api_key auth with no keys`))
  assert.is(lines[1], 'ok: 1 API, 1 certificate, 0 hosts (1 warning)')
})

test('GATEHOUSE_CONFIG names the file when -c is absent', async () => {
  const o = io('/', { GATEHOUSE_CONFIG: join(dir, 'bad.yaml') })
  assert.is(await checkCli([], o), 1)
  assert.match(o.out(), /3 errors\n$/)
})

test('--json prints one object for CI', async () => {
  const o = io(dir)
  assert.is(await checkCli(['-c', 'bad.yaml', '--json'], o), 1)
  const j = JSON.parse(o.out()) as { ok: boolean, file: string, errors: Array<{ code: string, line: number, col: number, path: string }>, warnings: unknown[], summary: unknown }
  assert.is(j.ok, false)
  assert.is(j.file, join(dir, 'bad.yaml'))
  assert.equal(j.errors.map((e) => [e.code, e.line, e.col, e.path]), [
    ['GH_CONFIG_UNKNOWN_KEY', 8, 5, 'apis[0].strip_listen_pth'],
    ['GH_CONFIG_TARGET_URL', 9, 27, 'apis[0].upstream.targets[0]'],
    ['GH_CONFIG_DURATION', 9, 46, 'apis[0].upstream.timeout']
  ])
  assert.is(j.summary, null)
  const g = io(dir)
  assert.is(await checkCli(['--json'], g), 0)
  const k = JSON.parse(g.out()) as { ok: boolean, summary: { apis: number, certificates: number, hosts: number, version: string } }
  assert.is(k.ok, true)
  assert.equal({ ...k.summary, version: k.summary.version.length }, { apis: 3, certificates: 1, hosts: 2, version: 64 })
})

test('usage errors exit 2; a missing file exits 1 naming it', async () => {
  const a = io(dir)
  assert.is(await checkCli(['--frobnicate'], a), 2)
  assert.match(a.err(), /unknown argument '--frobnicate'\nusage: gatehouse check/)
  const b = io(dir)
  assert.is(await checkCli(['-c'], b), 2)
  const c = io(dir)
  assert.is(await checkCli(['-c', 'nope.yaml'], c), 1)
  assert.is(c.out(), `${join(dir, 'nope.yaml')}:1:1: cannot read config file '${join(dir, 'nope.yaml')}': no such file (check the path given with -c (or GATEHOUSE_CONFIG) and its permissions)\n1 error\n`)
})

test.run()
