// `gatehouse demo` in an empty directory: it makes its CA and certificate,
// starts within 15 s, and the curl command it prints returns 200 from the
// embedded upstream over verified HTTPS. A second start reuses the same CA.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, runCli, tempDir } from './helpers/cluster.js'

const test = suite('demo')
const ctx = {} as { tmp: ReturnType<typeof tempDir> }

test.before(() => { ctx.tmp = tempDir() })
test.after(() => { ctx.tmp?.cleanup() })

async function runDemoOnce (): Promise<{ curl: string[], caPem: string }> {
  const port = await freePort()
  const admin = await freePort()
  const started = Date.now()
  const demo = runCli(['demo', '--port', String(port), '--admin-port', String(admin)], { cwd: ctx.tmp.dir })
  try {
    const line = await demo.waitFor((l) => l.includes('curl --cacert') && l.includes('httpbin.gatehouse.localhost'), 15_000)
    assert.ok(Date.now() - started < 15_000)
    const words = line.trim().split(/\s+/)
    assert.is(words[0], 'curl')
    // Run the printed command as printed (curl resolves *.localhost to loopback itself).
    const out = execFileSync(words[0] ?? 'curl', [...words.slice(1), '-s', '-w', '\n%{http_code}'], { cwd: ctx.tmp.dir, encoding: 'utf8', timeout: 10_000 })
    const status = out.slice(out.lastIndexOf('\n') + 1)
    assert.is(status, '200', out)
    const body = JSON.parse(out.slice(0, out.lastIndexOf('\n'))) as { url: string, headers: Record<string, string> }
    assert.match(body.url, /\/get$/)
    assert.is(body.headers['x-forwarded-proto'] ?? body.headers['X-Forwarded-Proto'], 'https')
    demo.proc.kill('SIGINT')
    assert.is(await demo.exited, 0)
    return { curl: words, caPem: readFileSync(join(ctx.tmp.dir, '.gatehouse', 'ca.pem'), 'utf8') }
  } finally {
    await demo.stop()
  }
}

test('the printed curl command returns 200 over HTTPS, and Ctrl-C exits 0', async () => {
  const { caPem } = await runDemoOnce()
  assert.match(caPem, /BEGIN CERTIFICATE/)
  // The CA key stays private to the user.
  const keyFile = join(ctx.tmp.dir, '.gatehouse', 'ca-key.pem')
  assert.is(statSync(keyFile).mode & 0o077, 0)
})

test('a second run reuses the CA it made', async () => {
  const first = readFileSync(join(ctx.tmp.dir, '.gatehouse', 'ca.pem'), 'utf8')
  const { caPem } = await runDemoOnce()
  assert.is(caPem, first)
})

test.run()
