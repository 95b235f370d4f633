// The gatehouse.yaml shipped in deploy/kubernetes/configmap.yaml is a config the real
// gateway accepts: `gatehouse check` passes on it, without a warning, once the TLS Secret's
// mount paths point at a real certificate (made here with openssl). That includes
// `reload: { watch: true }` and `admin.host: 0.0.0.0`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parse } from 'yaml'
import { CLI, requireBuiltGateway, selfSignedCert } from './gateway-run.js'
import { readDeploy, run } from './tools.js'

const configMap = parse(readDeploy('kubernetes/configmap.yaml')) as { data: Record<string, string> }
const TLS_DIR = '/etc/gatehouse/tls'

const test = suite<{ dir: string }>('kubernetes gatehouse.yaml', { dir: '' })

test.before((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'gatehouse-k8s-config-'))
})
test.after((ctx) => {
  rmSync(ctx.dir, { recursive: true, force: true })
})

test('gatehouse check accepts the ConfigMap\'s gatehouse.yaml with no warning', ({ dir }) => {
  requireBuiltGateway()
  const text = configMap.data['gatehouse.yaml'] ?? ''
  assert.ok(text.includes(`${TLS_DIR}/tls.crt`) && text.includes(`${TLS_DIR}/tls.key`))
  // The Secret's certificate covers the example API's domain, as a real one would.
  const { cert, key } = selfSignedCert(dir, 'DNS:api.example.com')
  const file = join(dir, 'gatehouse.yaml')
  writeFileSync(file, text.replaceAll(`${TLS_DIR}/tls.crt`, cert).replaceAll(`${TLS_DIR}/tls.key`, key))
  const r = run(process.execPath, [CLI, 'check', '-c', file], { timeoutMs: 30_000 })
  assert.is(r.status, 0, r.stdout + r.stderr)
  assert.not.match(r.stdout + r.stderr, /warning/i)
})

test('the check above fails on a config the gateway would refuse (control)', ({ dir }) => {
  requireBuiltGateway()
  const file = join(dir, 'bad.yaml')
  const good = configMap.data['gatehouse.yaml'] ?? ''
  const bad = good.replace('reload:\n  watch: true', 'reload:\n  wach: true')
  assert.is.not(bad, good)
  writeFileSync(file, bad)
  const r = run(process.execPath, [CLI, 'check', '-c', file], { timeoutMs: 30_000 })
  assert.is(r.status, 1, r.stdout + r.stderr)
  assert.match(r.stdout + r.stderr, /wach/)
})

test.run()
