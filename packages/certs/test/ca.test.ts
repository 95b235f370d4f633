// Root and intermediate CAs, checked with the real openssl binary: every
// extension the issue lists, positive random 128-bit serials, notBefore on a
// whole second, and encrypted PKCS#8 keys that `openssl pkey -passin` reads.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { X509Certificate } from 'node:crypto'
import { CertsError, createIntermediate, createLeaf, createRootCa, unlockCa, type KeyType } from '@gatehouse/certs'
import { openssl, put, rejectsWith, tempDir } from './_helpers.js'

const test = suite('ca')
const tmp = tempDir('ca')
test.after(() => tmp.cleanup())

const CURVES: Record<string, string> = { ec256: 'prime256v1', ec384: 'secp384r1' }
const SIG_ALG: Record<string, RegExp> = {
  ec256: /Signature Algorithm: ecdsa-with-SHA256/,
  ec384: /Signature Algorithm: ecdsa-with-SHA384/,
  rsa2048: /Signature Algorithm: sha256WithRSAEncryption/,
  rsa3072: /Signature Algorithm: sha256WithRSAEncryption/
}
// rsa4096 is covered once below, outside this loop (slow to generate).
const TYPES: KeyType[] = ['ec256', 'ec384', 'rsa2048', 'rsa3072']

for (const keyType of TYPES) {
  test(`root CA ${keyType}: CA:TRUE critical, keyCertSign+cRLSign, SKI, self-verifies in openssl`, async () => {
    const ca = await createRootCa({ keyType, cn: `Test Root ${keyType}` })
    const file = put(tmp.dir, `root-${keyType}.pem`, ca.certPem)
    const text = openssl('x509', '-in', file, '-noout', '-text').stdout
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE\n/)
    assert.match(text, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/)
    assert.match(text, /X509v3 Subject Key Identifier:/)
    assert.match(text, /Subject: CN = Test Root /)
    if (keyType.startsWith('ec')) assert.match(text, new RegExp(`ASN1 OID: ${CURVES[keyType] ?? ''}`))
    else assert.match(text, new RegExp(`Public-Key: \\(${keyType.slice(3)} bit\\)`))
    const v = openssl('verify', '-check_ss_sig', '-CAfile', file, file)
    assert.is(v.code, 0, v.stderr)
    assert.is(ca.keyType, keyType)
    // A trust anchor's own signature is not checked by verify: prove the CA key signs, with a leaf.
    const leaf = put(tmp.dir, `leaf-by-${keyType}.pem`, (await createLeaf(ca, ['signed.localhost'])).certPem)
    const lv = openssl('verify', '-CAfile', file, leaf)
    assert.is(lv.code, 0, lv.stdout + lv.stderr)
    assert.match(openssl('x509', '-in', leaf, '-noout', '-text').stdout, SIG_ALG[keyType] ?? /never/)
  })
}

test('rsa4096 root (once)', async () => {
  const ca = await createRootCa({ keyType: 'rsa4096' })
  const file = put(tmp.dir, 'root-rsa4096.pem', ca.certPem)
  assert.match(openssl('x509', '-in', file, '-noout', '-text').stdout, /Public-Key: \(4096 bit\)/)
  assert.match(openssl('x509', '-in', file, '-noout', '-text').stdout, /sha256WithRSAEncryption/)
  const leaf = put(tmp.dir, 'leaf-by-rsa4096.pem', (await createLeaf(ca, ['signed.localhost'])).certPem)
  assert.is(openssl('verify', '-CAfile', file, leaf).code, 0)
  // -check_ss_sig makes openssl check the root's self-signature too.
  assert.is(openssl('verify', '-check_ss_sig', '-CAfile', file, file).code, 0)
})

test('serials are random, positive and 128-bit; notBefore is on a whole second; 10 years by default', async () => {
  const a = new X509Certificate((await createRootCa()).certPem)
  const b = new X509Certificate((await createRootCa()).certPem)
  assert.is.not(a.serialNumber, b.serialNumber)
  for (const c of [a, b]) {
    const serial = BigInt(`0x${c.serialNumber}`)
    assert.ok(serial > 0n)
    assert.ok(serial < 2n ** 128n)
    assert.ok(c.serialNumber.length >= 24, 'serial is not short')
    const nb = new Date(c.validFrom).getTime()
    assert.is(nb % 1000, 0)
    const years = (new Date(c.validTo).getTime() - nb) / (365.25 * 86_400_000)
    assert.ok(years > 9.99 && years < 10.01, `validity ${years} years`)
  }
  // openssl prints the serial as a non-negative integer.
  const file = put(tmp.dir, 'serial.pem', a.toString())
  assert.not.match(openssl('x509', '-in', file, '-noout', '-serial').stdout, /-/)
})

test('pathLen and name constraints appear in openssl -text', async () => {
  const ca = await createRootCa({ pathLen: 1, nameConstraints: ['tyk.localhost', '127.0.0.0/8', '::1/128'] })
  const file = put(tmp.dir, 'nc.pem', ca.certPem)
  const text = openssl('x509', '-in', file, '-noout', '-text').stdout
  assert.match(text, /CA:TRUE, pathlen:1/)
  assert.match(text, /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:tyk.localhost\s+IP:127.0.0.0\/255.0.0.0\s+IP:0:0:0:0:0:0:0:1\/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF/)
})

test('a passphrase encrypts the key as PKCS#8 that openssl pkey -passin reads; a wrong one fails', async () => {
  const ca = await createRootCa({ passphrase: 'correct horse' })
  assert.match(ca.keyPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/)
  const file = put(tmp.dir, 'enc-key.pem', ca.keyPem)
  const ok = openssl('pkey', '-in', file, '-passin', 'pass:correct horse', '-noout', '-text')
  assert.is(ok.code, 0, ok.stderr)
  assert.match(ok.stdout, /Private-Key: \(256 bit/)
  assert.is.not(openssl('pkey', '-in', file, '-passin', 'pass:wrong', '-noout').code, 0)
  assert.match(openssl('asn1parse', '-in', file).stdout, /aes-256-cbc/)
  try {
    await unlockCa({ certPem: ca.certPem, keyPem: ca.keyPem, passphrase: 'nope', keyFile: '/x/ca-key.pem' })
    assert.unreachable()
  } catch (err) {
    assert.instance(err, CertsError)
    assert.is((err as CertsError).code, 'GH_CERTS_WRONG_PASSPHRASE')
    assert.is((err as Error).message, 'wrong passphrase for /x/ca-key.pem')
  }
})

test('intermediate: signed by the root, AKI = root SKI, pathLen 0, verifies, own key encrypted', async () => {
  const root = await createRootCa({ passphrase: 'p' })
  const inter = await createIntermediate({ ...root, passphrase: 'p' }, { keyType: 'ec384', cn: 'Test Intermediate', passphrase: 'q' })
  const rootFile = put(tmp.dir, 'i-root.pem', root.certPem)
  const interFile = put(tmp.dir, 'i-inter.pem', inter.certPem)
  const v = openssl('verify', '-CAfile', rootFile, interFile)
  assert.is(v.code, 0, v.stderr)
  const rootText = openssl('x509', '-in', rootFile, '-noout', '-ext', 'subjectKeyIdentifier').stdout
  const interText = openssl('x509', '-in', interFile, '-noout', '-text').stdout
  const ski = /\n\s+([0-9A-F:]{59})/.exec(rootText)?.[1]
  assert.ok(ski)
  assert.match(interText, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${ski ?? 'x'}`))
  assert.match(interText, /CA:TRUE, pathlen:0/)
  assert.match(interText, /Issuer: CN = Gatehouse Development CA/)
  assert.is(inter.chainPem.trim(), root.certPem.trim())
  assert.match(inter.keyPem, /ENCRYPTED/)
})

test('unlockCa refuses a leaf as CA, a missing passphrase and a key of another CA', async () => {
  const a = await createRootCa()
  const b = await createRootCa()
  await rejectsWith(unlockCa({ certPem: a.certPem, keyPem: b.keyPem, certFile: 'a.pem', keyFile: 'b-key.pem' }),
    'GH_CERTS_KEY_MISMATCH', 'the key in b-key.pem does not belong to the certificate in a.pem')
  const enc = await createRootCa({ passphrase: 'x' })
  await rejectsWith(unlockCa({ certPem: enc.certPem, keyPem: enc.keyPem, keyFile: 'k.pem' }),
    'GH_CERTS_PASSPHRASE_REQUIRED', 'k.pem is encrypted and no passphrase was given')
  await rejectsWith(unlockCa({ certPem: (await createLeaf(a, ['x.localhost'])).certPem, keyPem: a.keyPem, certFile: 'leaf.pem' }),
    'GH_CERTS_NOT_A_CA', 'leaf.pem is not a CA certificate (basicConstraints CA:TRUE is missing)')
})

test.run()
