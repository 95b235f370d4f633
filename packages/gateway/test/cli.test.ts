// The `gatehouse` entry point: dispatch to the packages that own each command,
// and the exit codes of DESIGN.md (0 ok, 1 invalid input, 2 usage).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI, runCommand, tempDir } from './helpers/cluster.js'

const test = suite('cli')
const ctx = {} as { tmp: ReturnType<typeof tempDir> }
test.before(() => { ctx.tmp = tempDir() })
test.after(() => { ctx.tmp?.cleanup() })

const gatehouse = async (...args: string[]): ReturnType<typeof runCommand> => await runCommand(process.execPath, [CLI, ...args], '', 20_000)

test('no command and unknown commands are usage errors (exit 2)', async () => {
  assert.is((await gatehouse()).code, 2)
  const r = await gatehouse('frobnicate')
  assert.is(r.code, 2)
  assert.match(r.stderr, /unknown command 'frobnicate'/)
  assert.is((await gatehouse('import', 'kong', 'x.json')).code, 2)
  assert.is((await gatehouse('start', '--workers', '0')).code, 2)
  assert.is((await gatehouse('start', '--bogus')).code, 2)
})

test('version and help exit 0', async () => {
  const v = await gatehouse('version')
  assert.is(v.code, 0)
  assert.match(v.stdout, /^gatehouse \d+\.\d+\.\d+ \(node v\d+/)
  assert.is((await gatehouse('--help')).code, 0)
})

test('certs is dispatched to @gatehouse/certs', async () => {
  const out = join(ctx.tmp.dir, 'ca')
  const r = await gatehouse('certs', 'ca', '--out', out)
  assert.is(r.code, 0, r.stderr)
  assert.ok(existsSync(join(out, 'ca.pem')))
  assert.is((await gatehouse('certs', 'issue', '--ca', out, '--out', join(ctx.tmp.dir, 'leaf'))).code, 2, 'missing --san is a usage error')
})

test('check reports file:line:col and exits 1; start refuses the same file with exit 1', async () => {
  const file = join(ctx.tmp.dir, 'bad.yaml')
  writeFileSync(file, 'version: 1\nlisten:\n  https: { host: 127.0.0.1, port: 8443 }\nworkerz: 2\n')
  const check = await gatehouse('check', '-c', file)
  assert.is(check.code, 1)
  assert.match(check.stdout + check.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:1: .*workerz.*did you mean .workers.`))
  const start = await gatehouse('start', '-c', file)
  assert.is(start.code, 1)
  assert.match(start.stdout, /workerz/)
  assert.match(start.stdout, /not starting/)
})

test('start exits 1 with the reason when the public port is taken', async () => {
  const { createServer } = await import('node:net')
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  const port = (holder.address() as { port: number }).port
  const dir = ctx.tmp.dir
  await runCommand('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '5', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'])
  const file = join(dir, 'taken.yaml')
  writeFileSync(file, `version: 1\nworkers: 2\nlisten:\n  https: { host: 127.0.0.1, port: ${port} }\nadmin: { host: 127.0.0.1, port: 0 }\ntls:\n  certificates:\n    - { cert_file: c.pem, key_file: k.pem }\napis:\n  - { name: a, listen_path: /, upstream: { targets: [http://127.0.0.1:9] } }\n`)
  const r = await gatehouse('start', '-c', file)
  holder.close()
  assert.is(r.code, 1)
  assert.match(r.stdout, /not starting: .*EADDRINUSE/)
})

test('import tyk is dispatched to @gatehouse/config', async () => {
  const file = join(ctx.tmp.dir, 'api.json')
  writeFileSync(file, JSON.stringify({ name: 'httpbin', api_id: 'x', active: true, use_keyless: true, proxy: { listen_path: '/httpbin/', target_url: 'http://127.0.0.1:9000', strip_listen_path: true } }))
  const r = await gatehouse('import', 'tyk', file)
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /name: httpbin/)
  assert.match(r.stdout, /http:\/\/127\.0\.0\.1:9000/)
})

test.run()
