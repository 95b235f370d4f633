// `ensureDevCertificates`, what `gatehouse demo` calls: one call makes a
// name-constrained development CA and a leaf; the next call reuses both; new
// SANs re-issue only the leaf; a broken CA is replaced.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { X509Certificate } from 'node:crypto'
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureDevCertificates } from '@gatehouse/certs'
import { openssl, rejectsWith, tempDir } from './_helpers.js'

const test = suite('dev')
const tmp = tempDir('dev')
test.after(() => tmp.cleanup())
const SANS = ['localhost', '*.tyk.localhost', '127.0.0.1', '::1']
const fingerprint = (file: string): string => new X509Certificate(readFileSync(file)).fingerprint256

test('first call creates CA and leaf; the files verify and keys are 0600', async () => {
  const r = await ensureDevCertificates(tmp.dir, SANS)
  assert.is(r.createdCa, true)
  assert.is(r.createdLeaf, true)
  assert.is(r.caCertFile, join(tmp.dir, 'ca.pem'))
  assert.is(r.fullchainFile, join(tmp.dir, 'dev-fullchain.pem'))
  assert.is(statSync(r.keyFile).mode & 0o777, 0o600)
  assert.is(statSync(r.caKeyFile).mode & 0o777, 0o600)
  const v = openssl('verify', '-CAfile', r.caCertFile, r.fullchainFile)
  assert.is(v.code, 0, v.stderr)
  assert.match(openssl('x509', '-in', r.caCertFile, '-noout', '-text').stdout, /Name Constraints: critical\s+Permitted:\s+DNS:localhost/)
})

test('second call reuses both (same fingerprints, nothing created)', async () => {
  const ca = fingerprint(join(tmp.dir, 'ca.pem'))
  const leaf = fingerprint(join(tmp.dir, 'dev.pem'))
  const r = await ensureDevCertificates(tmp.dir, ['127.0.0.1', 'localhost'])
  assert.is(r.createdCa, false)
  assert.is(r.createdLeaf, false)
  assert.is(fingerprint(r.caCertFile), ca)
  assert.is(fingerprint(r.certFile), leaf)
})

test('a new SAN re-issues the leaf under the same CA', async () => {
  const ca = fingerprint(join(tmp.dir, 'ca.pem'))
  const r = await ensureDevCertificates(tmp.dir, [...SANS, 'api.test'])
  assert.is(r.createdCa, false)
  assert.is(r.createdLeaf, true)
  assert.is(fingerprint(r.caCertFile), ca)
  assert.match(openssl('x509', '-in', r.certFile, '-noout', '-ext', 'subjectAltName').stdout, /DNS:api.test/)
})

test('a CA whose key is missing or broken is replaced, and the leaf with it', async () => {
  const ca = fingerprint(join(tmp.dir, 'ca.pem'))
  writeFileSync(join(tmp.dir, 'ca-key.pem'), 'garbage')
  const r = await ensureDevCertificates(tmp.dir, SANS)
  assert.is(r.createdCa, true)
  assert.is(r.createdLeaf, true)
  assert.is.not(fingerprint(r.caCertFile), ca)
  assert.is(openssl('verify', '-CAfile', r.caCertFile, r.fullchainFile).code, 0)
  unlinkSync(r.keyFile)
  const again = await ensureDevCertificates(tmp.dir, SANS)
  assert.is(again.createdCa, false)
  assert.is(again.createdLeaf, true)
})

test('a SAN outside the development constraints is refused with the CA named', async () => {
  await rejectsWith(ensureDevCertificates(tmp.dir, ['api.example.com']), 'GH_CERTS_SAN_OUTSIDE_CONSTRAINTS',
    "SAN 'api.example.com' is outside the name constraints of CA 'Gatehouse Demo CA' (permitted DNS: localhost, test, example, invalid, local, internal, home.arpa)")
})

test('in an empty directory, an out-of-bounds SAN is refused before any CA is written', async () => {
  const empty = tempDir('dev-empty')
  try {
    await rejectsWith(ensureDevCertificates(empty.dir, ['localhost', 'www.example.org']), 'GH_CERTS_SAN_OUTSIDE_CONSTRAINTS')
    assert.equal(readdirSync(empty.dir), [])
  } finally {
    empty.cleanup()
  }
})

test.run()
