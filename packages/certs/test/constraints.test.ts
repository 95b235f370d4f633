// Name constraints: a CA limited to development names refuses an outside SAN
// before signing, and a leaf forced past that check with the low-level signer
// is rejected by openssl itself — the protection does not depend on us.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildTemplate, createIntermediate, createLeaf, createRootCa, parseSans, signTemplate, unlockCa, type CaResult } from '@gatehouse/certs'
import { openssl, put, rejectsWith, tempDir } from './_helpers.js'
import { X509Certificate, webcrypto } from 'node:crypto'

const test = suite('constraints')
const tmp = tempDir('nc')
let ca: CaResult
let caFile = ''
test.before(async () => {
  ca = await createRootCa({ cn: 'Constrained Root', nameConstraints: ['tyk.localhost', '127.0.0.0/8'] })
  caFile = put(tmp.dir, 'ca.pem', ca.certPem)
})
test.after(() => tmp.cleanup())

test('SANs inside the constraints are issued and verify in openssl', async () => {
  const leaf = await createLeaf(ca, ['tyk.localhost', '*.tyk.localhost', 'a.b.tyk.localhost', '127.0.0.1'])
  const v = openssl('verify', '-CAfile', caFile, put(tmp.dir, 'in.pem', leaf.certPem))
  assert.is(v.code, 0, v.stderr)
})

test('an IP-only leaf under DNS+IP constraints verifies (no CN for OpenSSL to mistake for a host name)', async () => {
  const leaf = await createLeaf(ca, ['127.0.0.1'])
  const file = put(tmp.dir, 'ip-only.pem', leaf.certPem)
  const v = openssl('verify', '-CAfile', caFile, file)
  assert.is(v.code, 0, v.stdout + v.stderr)
  assert.match(openssl('x509', '-in', file, '-noout', '-ext', 'subjectAltName').stdout, /Subject Alternative Name: critical\s+IP Address:127.0.0.1/)
})

test('a SAN outside is refused before signing, naming the SAN, the CA and the constraint', async () => {
  await rejectsWith(createLeaf(ca, ['api.tyk.localhost', 'www.google.com']), 'GH_CERTS_SAN_OUTSIDE_CONSTRAINTS',
    "SAN 'www.google.com' is outside the name constraints of CA 'Constrained Root' (permitted DNS: tyk.localhost)")
  await rejectsWith(createLeaf(ca, ['10.0.0.1']), 'GH_CERTS_SAN_OUTSIDE_CONSTRAINTS',
    "SAN '10.0.0.1' is outside the name constraints of CA 'Constrained Root' (permitted IP ranges: 127.0.0.0/8)")
  await rejectsWith(createLeaf(ca, ['eviltyk.localhost']), 'GH_CERTS_SAN_OUTSIDE_CONSTRAINTS')
})

test('DNS-only constraints exclude every IP address', async () => {
  const dnsOnly = await createRootCa({ cn: 'DNS Only', nameConstraints: ['localhost'] })
  await rejectsWith(createLeaf(dnsOnly, ['a.localhost', '127.0.0.1']), 'GH_CERTS_SAN_OUTSIDE_CONSTRAINTS',
    "SAN '127.0.0.1' is outside the name constraints of CA 'DNS Only' (it permits no IP addresses; permitted DNS: localhost)")
  await rejectsWith(createLeaf(dnsOnly, ['::1']), 'GH_CERTS_SAN_OUTSIDE_CONSTRAINTS')
})

test('an intermediate under a constrained root inherits the check', async () => {
  const inter = await createIntermediate(ca, {})
  await rejectsWith(createLeaf(inter, ['example.com']), 'GH_CERTS_SAN_OUTSIDE_CONSTRAINTS',
    "SAN 'example.com' is outside the name constraints of CA 'Constrained Root' (permitted DNS: tyk.localhost)")
})

test('invalid constraints are GH_CERTS_INVALID_NAME_CONSTRAINT', async () => {
  await rejectsWith(createRootCa({ nameConstraints: ['*.tyk.localhost'] }), 'GH_CERTS_INVALID_NAME_CONSTRAINT',
    "invalid name constraint '*.tyk.localhost': not a DNS domain or an IP range")
  await rejectsWith(createRootCa({ nameConstraints: ['10.0.0.0/33'] }), 'GH_CERTS_INVALID_NAME_CONSTRAINT',
    "invalid name constraint '10.0.0.0/33': prefix length 33 is longer than 32")
})

test('a leaf forced outside the constraints with the low-level signer is rejected by openssl verify', async () => {
  const issuer = await unlockCa(ca)
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair
  const spki = await webcrypto.subtle.exportKey('spki', pair.publicKey)
  for (const [name, sans, reason] of [
    ['dns', ['www.google.com'], /permitted subtree violation/],
    ['ip', ['10.0.0.1'], /permitted subtree violation/]
  ] as const) {
    const template = await buildTemplate({
      role: 'leaf', subject: [{ CN: [sans[0]] }], spki, keyAlgorithm: 'ec', days: 30, issuerCert: issuer.cert, sans: parseSans(sans)
    })
    const forced = await signTemplate(template, issuer)
    const file = put(tmp.dir, `forced-${name}.pem`, forced.pem)
    // The signature itself is good: only the name constraint can fail.
    assert.ok(new X509Certificate(forced.pem).verify(new X509Certificate(ca.certPem).publicKey))
    const v = openssl('verify', '-CAfile', caFile, file)
    assert.is.not(v.code, 0, `openssl accepted ${sans[0]}`)
    assert.match(v.stdout + v.stderr, reason)
  }
})

test.run()
