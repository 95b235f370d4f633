// The seed walkthrough as one test, for real on this Debian machine (as root):
// a CA with a passphrase, a leaf with the seven SANs of the classic Tyk setup,
// `certs trust`, a TLS server on 127.0.0.1 presenting the full chain, and curl
// succeeding without --cacert; after `certs untrust` it fails again. The CA
// gets a unique name, and teardown always untrusts it, even on failure.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { runTrustPlan, trustPlan } from '@gatehouse/certs'
import { cli, plainEnv, run, runAsync, tempDir } from './_helpers.js'

const test = suite('walkthrough')
const tmp = tempDir('walk')
const caDir = join(tmp.dir, 'ca')
const caFile = join(caDir, 'ca.pem')
const cn = `Gatehouse Walkthrough ${randomBytes(4).toString('hex')}`
const SANS = ['tyk.local', 'dashboard.tyk.localhost', 'gateway.tyk.localhost', 'httpbin.tyk.localhost', '*.tyk.local', 'tyk-gateway', 'tyk-dashboard']
let server: Server | null = null
// Set just before `certs trust` runs, cleared once `certs untrust` succeeded.
let trusted = false

function untrustQuietly (): void {
  if (!trusted || !existsSync(caFile)) return
  trusted = false
  cli(['untrust', caFile])
  // Belt and braces: remove our file by name even if the CLI failed.
  const plan = trustPlan(caFile, 'untrust')
  const dest = plan.steps.find((s) => s.argv.includes('rm'))?.argv.at(-1)
  if (dest !== undefined && existsSync(dest)) {
    run('rm', ['-f', dest])
    run('update-ca-certificates', ['--fresh'])
  }
}

test.after(async () => {
  untrustQuietly()
  if (server) await new Promise<void>((resolve) => { server?.closeAllConnections(); server?.close(() => resolve()) })
  tmp.cleanup()
})

async function curl (port: number): Promise<{ code: number, body: string, stderr: string }> {
  const r = await runAsync('curl', ['-sS', '--noproxy', '*', '--max-time', '10',
    '--resolve', `httpbin.tyk.localhost:${port}:127.0.0.1`, `https://httpbin.tyk.localhost:${port}/get`], { env: plainEnv() })
  return { code: r.code, body: r.stdout, stderr: r.stderr }
}

// Installing into the system store for real needs root and Debian's tool (CI has both).
const canTrust = process.getuid?.() === 0 && run('update-ca-certificates', ['--help']).code !== -1

test('ca (passphrase) -> issue (seven SANs) -> trust -> curl without --cacert -> untrust', async () => {
  if (!canTrust) {
    console.log('walkthrough skipped: needs root and update-ca-certificates')
    return
  }
  const passFile = join(tmp.dir, 'passphrase')
  writeFileSync(passFile, 'tyk-walkthrough\n')
  try {
    const ca = cli(['ca', '--out', caDir, '--cn', cn, '--passphrase-file', passFile])
    assert.is(ca.code, 0, ca.stderr)
    const prefix = join(tmp.dir, 'certs', 'tyk.local')
    const issue = cli(['issue', '--ca', caDir, ...SANS.flatMap((s) => ['--san', s]), '--out', prefix], {
      env: { ...process.env, GATEHOUSE_CA_PASSPHRASE: 'tyk-walkthrough' }
    })
    assert.is(issue.code, 0, issue.stderr)
    const sanLine = run('openssl', ['x509', '-in', `${prefix}.pem`, '-noout', '-ext', 'subjectAltName']).stdout
    assert.match(sanLine, /DNS:tyk.local, DNS:dashboard.tyk.localhost, DNS:gateway.tyk.localhost, DNS:httpbin.tyk.localhost, DNS:\*.tyk.local, DNS:tyk-gateway, DNS:tyk-dashboard/)

    server = createServer({ cert: readFileSync(`${prefix}-fullchain.pem`), key: readFileSync(`${prefix}-key.pem`) }, (req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ url: req.url, host: req.headers.host }))
    })
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port

    const before = await curl(port)
    assert.is(before.code, 60, `curl trusted the CA before \`certs trust\`: ${before.stderr}`)

    trusted = true
    const trust = cli(['trust', caFile])
    assert.is(trust.code, 0, trust.stderr)
    const after = await curl(port)
    assert.is(after.code, 0, after.stderr)
    assert.equal(JSON.parse(after.body), { url: '/get', host: `httpbin.tyk.localhost:${port}` })
    // openssl's default verify paths read the same store.
    assert.is(run('openssl', ['verify', `${prefix}.pem`], { env: plainEnv() }).code, 0)

    const untrust = cli(['untrust', caFile])
    assert.is(untrust.code, 0, untrust.stderr)
    trusted = false
    const gone = await curl(port)
    assert.is(gone.code, 60, 'curl still trusts the CA after `certs untrust`')
  } finally {
    untrustQuietly()
  }
})

test('NSS: trust adds the CA to an NSS database (certutil), untrust removes it', async () => {
  if (run('certutil', ['-H']).code === -1) {
    console.log('certutil not installed: NSS check skipped')
    return
  }
  if (!existsSync(caFile)) assert.is(cli(['ca', '--out', caDir, '--cn', cn]).code, 0)
  const home = join(tmp.dir, 'home')
  const db = join(home, '.pki', 'nssdb')
  run('mkdir', ['-p', db])
  assert.is(run('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']).code, 0)
  const plan = trustPlan(caFile, 'trust', { home })
  const nss = plan.steps.filter((s) => s.store === 'nss')
  assert.is(nss.length, 1)
  assert.equal(nss[0]?.argv, ['certutil', '-A', '-d', `sql:${db}`, '-t', 'C,,', '-n', plan.name, '-i', caFile])
  runTrustPlan({ ...plan, steps: nss })
  const listed = run('certutil', ['-L', '-d', `sql:${db}`, '-n', plan.name])
  assert.is(listed.code, 0, listed.stderr)
  assert.match(listed.stdout, new RegExp(cn))
  const un = trustPlan(caFile, 'untrust', { home })
  runTrustPlan({ ...un, steps: un.steps.filter((s) => s.store === 'nss') })
  assert.is.not(run('certutil', ['-L', '-d', `sql:${db}`, '-n', plan.name]).code, 0)
})

test.run()
