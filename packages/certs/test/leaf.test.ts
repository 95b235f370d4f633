// Leaf certificates checked with the real openssl: verify -CAfile (root) and
// -untrusted (intermediate chain), each extension in x509 -text, keyUsage per
// key type, default validity and the 825-day warning, and the PKCS#12 file
// that OpenSSL 3 reads without -legacy.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { X509Certificate } from 'node:crypto'
import { createIntermediate, createLeaf, createRootCa, toPkcs12, unlockCa, type CaResult } from '@gatehouse/certs'
import { openssl, put, tempDir } from './_helpers.js'

const test = suite('leaf')
const tmp = tempDir('leaf')
let root: CaResult
let rootFile = ''
test.before(async () => {
  root = await createRootCa({ cn: 'Leaf Test Root' })
  rootFile = put(tmp.dir, 'root.pem', root.certPem)
})
test.after(() => tmp.cleanup())

function text (name: string, pem: string): string {
  return openssl('x509', '-in', put(tmp.dir, name, pem), '-noout', '-text').stdout
}

test('ec256 leaf: every extension, CN = first SAN, verifies against the root', async () => {
  const leaf = await createLeaf(root, ['api.tyk.localhost', '*.tyk.localhost', '127.0.0.1', '::1', 'ops@tyk.local', 'spiffe://tyk.local/api'])
  const t = text('leaf.pem', leaf.certPem)
  assert.match(t, /Subject: CN = api.tyk.localhost\n/)
  assert.match(t, /X509v3 Basic Constraints: critical\s+CA:FALSE/)
  assert.match(t, /X509v3 Key Usage: critical\s+Digital Signature\n/)
  assert.match(t, /X509v3 Extended Key Usage: \s*\n\s+TLS Web Server Authentication\n/)
  assert.match(t, /X509v3 Subject Alternative Name: \s*\n\s+DNS:api.tyk.localhost, DNS:\*.tyk.localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, email:ops@tyk.local, URI:spiffe:\/\/tyk.local\/api\n/)
  assert.match(t, /X509v3 Subject Key Identifier:/)
  assert.match(t, /X509v3 Authority Key Identifier:/)
  assert.match(t, /Signature Algorithm: ecdsa-with-SHA256/)
  const v = openssl('verify', '-CAfile', rootFile, '-purpose', 'sslserver', put(tmp.dir, 'leaf2.pem', leaf.certPem))
  assert.is(v.code, 0, v.stderr)
  assert.is(leaf.fullchainPem, leaf.certPem, 'a root-signed leaf has no intermediates to send')
  assert.is(openssl('pkey', '-in', put(tmp.dir, 'leaf-key.pem', leaf.keyPem), '-noout').code, 0)
})

test('rsa2048 leaf: keyUsage adds keyEncipherment; --client adds clientAuth', async () => {
  const leaf = await createLeaf(root, ['rsa.localhost'], { keyType: 'rsa2048', client: true })
  const t = text('rsa.pem', leaf.certPem)
  assert.match(t, /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/)
  assert.match(t, /TLS Web Server Authentication, TLS Web Client Authentication/)
  assert.match(t, /Public-Key: \(2048 bit\)/)
  const v = openssl('verify', '-CAfile', rootFile, '-purpose', 'sslclient', put(tmp.dir, 'rsa2.pem', leaf.certPem))
  assert.is(v.code, 0, v.stderr)
})

test('default validity is 397 days from a whole second; above 825 days warns', async () => {
  const now = new Date('2026-03-01T12:00:00.750Z')
  const leaf = await createLeaf(root, ['v.localhost'], { now })
  const c = new X509Certificate(leaf.certPem)
  const nb = new Date(c.validFrom).getTime()
  assert.is(nb % 1000, 0)
  assert.is(nb, Date.parse('2026-03-01T11:59:00Z'), 'backdated one minute from the truncated second')
  assert.is(new Date(c.validTo).getTime(), Date.parse('2026-03-01T12:00:00Z') + 397 * 86_400_000)
  assert.equal(leaf.warnings, [])
  const long = await createLeaf(root, ['v.localhost'], { days: 900 })
  assert.equal(long.warnings, ['validity of 900 days is above 825, the most Apple platforms accept for a certificate from a private CA'])
})

test('a leaf never outlives its CA: validity is cut, with a warning', async () => {
  const shortCa = await createRootCa({ days: 30 })
  const leaf = await createLeaf(shortCa, ['short.localhost'])
  const ca = new X509Certificate(shortCa.certPem)
  assert.is(new X509Certificate(leaf.certPem).validTo, ca.validTo)
  assert.match(leaf.warnings[0] ?? '', /^validity cut to .* when the CA 'Gatehouse Development CA' expires$/)
})

test('intermediate chain: fullchain = leaf + intermediate; openssl verify -untrusted passes, without it fails', async () => {
  const inter = await createIntermediate(root, { cn: 'Leaf Test Intermediate' })
  const leaf = await createLeaf({ ...inter }, ['chain.localhost'])
  const chain = [...leaf.fullchainPem.matchAll(/-----BEGIN CERTIFICATE-----/g)].length
  assert.is(chain, 2)
  assert.is(leaf.chainPem.trim(), inter.certPem.trim())
  const leafFile = put(tmp.dir, 'chain-leaf.pem', leaf.certPem)
  const interFile = put(tmp.dir, 'chain-inter.pem', leaf.chainPem)
  const ok = openssl('verify', '-CAfile', rootFile, '-untrusted', interFile, leafFile)
  assert.is(ok.code, 0, ok.stderr)
  assert.is.not(openssl('verify', '-CAfile', rootFile, leafFile).code, 0)
  // Order in the fullchain file: leaf first, then the intermediate.
  const first = new X509Certificate(leaf.fullchainPem)
  assert.match(first.subject, /CN=chain.localhost/)
  assert.match(text('ci.pem', leaf.certPem), /Issuer: CN = Leaf Test Intermediate/)
})

test('PKCS#12: openssl pkcs12 -info reads it without -legacy (PBES2/AES-256-CBC, SHA-256 MAC) and holds key + chain', async () => {
  const inter = await createIntermediate(root, {})
  const leaf = await createLeaf(await unlockCa(inter), ['p12.localhost'])
  const file = put(tmp.dir, 'x.p12', '')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(file, toPkcs12(leaf.fullchainPem, leaf.keyPem, 'pw-123'))
  const info = openssl('pkcs12', '-info', '-in', file, '-passin', 'pass:pw-123', '-noout')
  assert.is(info.code, 0, info.stderr)
  assert.match(info.stderr + info.stdout, /MAC: sha256, Iteration 2048/)
  assert.match(info.stderr + info.stdout, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/)
  const dump = openssl('pkcs12', '-in', file, '-passin', 'pass:pw-123', '-nodes')
  assert.is(dump.code, 0, dump.stderr)
  assert.is([...dump.stdout.matchAll(/BEGIN CERTIFICATE/g)].length, 2)
  assert.is([...dump.stdout.matchAll(/BEGIN PRIVATE KEY/g)].length, 1)
  assert.match(dump.stdout, /friendlyName: p12.localhost|subject=CN = p12.localhost/)
  assert.is.not(openssl('pkcs12', '-info', '-in', file, '-passin', 'pass:wrong', '-noout').code, 0)
})

test.run()
