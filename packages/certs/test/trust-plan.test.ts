// The trust plans for each system, as data: the exact commands `--dry-run`
// prints and a real run executes, without touching any store.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { X509Certificate } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createRootCa, shellLine, trustPlan } from '@gatehouse/certs'
import { put, rejectsWith, tempDir } from './_helpers.js'

const test = suite('trust-plan')
const tmp = tempDir('plan')
test.after(() => tmp.cleanup())
let caFile = ''
let fp12 = ''
let sha1 = ''
test.before(async () => {
  const ca = await createRootCa({ cn: 'Plan Test CA' })
  caFile = put(tmp.dir, 'ca.pem', ca.certPem)
  const c = new X509Certificate(ca.certPem)
  fp12 = c.fingerprint256.replace(/:/g, '').toLowerCase().slice(0, 12)
  sha1 = c.fingerprint.replace(/:/g, '')
})

const only = (...cmds: string[]) => (cmd: string): boolean => cmds.includes(cmd)

test('Debian as a normal user: sudo install + update-ca-certificates; untrust rebuilds with --fresh', () => {
  const env = { platform: 'linux' as const, root: false, home: tmp.dir, has: only('update-ca-certificates') }
  const t = trustPlan(caFile, 'trust', env)
  assert.is(t.name, `gatehouse-plan-test-ca-${fp12}`)
  assert.equal(t.steps.map((s) => shellLine(s.argv)), [
    `sudo install -m 0644 ${caFile} /usr/local/share/ca-certificates/${t.name}.crt`,
    'sudo update-ca-certificates'
  ])
  assert.equal(t.notes, ['certutil not found: Chrome and Firefox (NSS) not updated; install libnss3-tools (Debian) or nss-tools (RHEL)'])
  const u = trustPlan(caFile, 'untrust', env)
  assert.equal(u.steps.map((s) => shellLine(s.argv)), [
    `sudo rm -f /usr/local/share/ca-certificates/${t.name}.crt`,
    'sudo update-ca-certificates --fresh'
  ])
})

test('RHEL/Fedora as root: anchors + update-ca-trust extract', () => {
  const t = trustPlan(caFile, 'trust', { platform: 'linux', root: true, home: tmp.dir, has: only('update-ca-trust') })
  assert.equal(t.steps.map((s) => shellLine(s.argv)), [
    `install -m 0644 ${caFile} /etc/pki/ca-trust/source/anchors/${t.name}.pem`,
    'update-ca-trust extract'
  ])
})

test('macOS: security add-trusted-cert / remove-trusted-cert + delete-certificate by SHA-1', () => {
  const t = trustPlan(caFile, 'trust', { platform: 'darwin', root: false, home: tmp.dir, has: () => false })
  assert.equal(t.steps.map((s) => shellLine(s.argv)), [
    `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${caFile}`
  ])
  const u = trustPlan(caFile, 'untrust', { platform: 'darwin', root: false, home: tmp.dir, has: () => false })
  assert.equal(u.steps.map((s) => shellLine(s.argv)), [
    `sudo security remove-trusted-cert -d ${caFile}`,
    `sudo security delete-certificate -Z ${sha1} /Library/Keychains/System.keychain`
  ])
})

test('NSS: one certutil step per database found (Chrome nssdb and Firefox profiles)', () => {
  const home = join(tmp.dir, 'home')
  const chrome = join(home, '.pki', 'nssdb')
  const firefox = join(home, '.mozilla', 'firefox', 'abc.default-release')
  for (const db of [chrome, firefox]) {
    mkdirSync(db, { recursive: true })
    put(db, 'cert9.db', '')
  }
  const t = trustPlan(caFile, 'trust', { platform: 'linux', root: true, home, has: only('update-ca-certificates', 'certutil') })
  assert.equal(t.steps.filter((s) => s.store === 'nss').map((s) => shellLine(s.argv)), [
    `certutil -A -d sql:${chrome} -t C,, -n ${t.name} -i ${caFile}`,
    `certutil -A -d sql:${firefox} -t C,, -n ${t.name} -i ${caFile}`
  ])
  const u = trustPlan(caFile, 'untrust', { platform: 'linux', root: true, home, has: only('update-ca-certificates', 'certutil') })
  assert.ok(u.steps.filter((s) => s.store === 'nss').every((s) => s.mayFail && s.argv[1] === '-D'))
})

test('no known store is GH_CERTS_TRUST_UNSUPPORTED; a non-certificate is GH_CERTS_BAD_CERT', async () => {
  await rejectsWith(() => trustPlan(caFile, 'trust', { platform: 'win32', home: tmp.dir, has: () => false }), 'GH_CERTS_TRUST_UNSUPPORTED',
    'no trust store gatehouse knows how to update on this system (win32)')
  const junk = put(tmp.dir, 'junk.pem', 'hello')
  await rejectsWith(() => trustPlan(junk, 'trust'), 'GH_CERTS_BAD_CERT', `no readable certificate in ${junk}`)
})

test.run()
