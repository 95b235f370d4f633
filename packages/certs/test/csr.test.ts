// `signCsr` / `certs sign`: a CSR made by `openssl req -new` is signed with
// its own SANs or the --san list; a garbage or tampered CSR is refused.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRootCa, signCsr, type CaResult } from '@gatehouse/certs'
import { openssl, put, rejectsWith, tempDir } from './_helpers.js'

const test = suite('csr')
const tmp = tempDir('csr')
let ca: CaResult
let caFile = ''
let csrPem = ''
test.before(async () => {
  ca = await createRootCa({ cn: 'CSR Root' })
  caFile = put(tmp.dir, 'ca.pem', ca.certPem)
  const key = join(tmp.dir, 'req-key.pem')
  const csr = join(tmp.dir, 'req.csr')
  const r = openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr,
    '-subj', '/CN=legacy.tyk.local', '-addext', 'subjectAltName=DNS:legacy.tyk.local,DNS:tyk-gateway,IP:127.0.0.1')
  assert.is(r.code, 0, r.stderr)
  csrPem = readFileSync(csr, 'utf8')
})
test.after(() => tmp.cleanup())

test('an openssl CSR is signed with its own SANs, RSA keyUsage, and verifies', async () => {
  const signed = await signCsr(ca, csrPem)
  const file = put(tmp.dir, 'signed.pem', signed.certPem)
  const t = openssl('x509', '-in', file, '-noout', '-text').stdout
  assert.match(t, /DNS:legacy.tyk.local, DNS:tyk-gateway, IP Address:127.0.0.1/)
  assert.match(t, /Subject: CN = legacy.tyk.local/)
  assert.match(t, /Digital Signature, Key Encipherment/)
  assert.match(t, /TLS Web Server Authentication/)
  assert.is(openssl('verify', '-CAfile', caFile, file).code, 0)
  // The certified key is the CSR's.
  const certKey = openssl('x509', '-in', file, '-noout', '-pubkey').stdout
  const csrKey = openssl('req', '-in', put(tmp.dir, 'r.csr', csrPem), '-noout', '-pubkey').stdout
  assert.is(certKey, csrKey)
})

test('--san replaces the CSR SANs', async () => {
  const signed = await signCsr(ca, csrPem, { sans: ['other.tyk.local'] })
  const t = openssl('x509', '-in', put(tmp.dir, 'replaced.pem', signed.certPem), '-noout', '-ext', 'subjectAltName').stdout
  assert.match(t, /DNS:other.tyk.local\n/)
  assert.not.match(t, /legacy/)
})

test('a CSR with only a CN gets it as its SAN', async () => {
  const csr = join(tmp.dir, 'cn.csr')
  assert.is(openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp.dir, 'cn-key.pem'), '-out', csr, '-subj', '/CN=cn-only.localhost').code, 0)
  const signed = await signCsr(ca, readFileSync(csr, 'utf8'))
  assert.equal(signed.sans, [{ type: 'dns', value: 'cn-only.localhost' }])
})

test('garbage is GH_CERTS_BAD_CSR; a tampered CSR is GH_CERTS_CSR_SIGNATURE', async () => {
  await rejectsWith(signCsr(ca, 'hello', { csrFile: '/in/x.csr' }), 'GH_CERTS_BAD_CSR',
    'cannot read the certificate request in /in/x.csr: no -----BEGIN CERTIFICATE REQUEST----- block')
  await rejectsWith(signCsr(ca, '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'), 'GH_CERTS_BAD_CSR')
  // Change one byte of the subject (legacy -> legaby): the self-signature no longer matches.
  const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
  const at = der.indexOf(Buffer.from('legacy.tyk.local'))
  assert.ok(at > 0)
  der[at + 4] = 'b'.charCodeAt(0)
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`
  await rejectsWith(signCsr(ca, tampered, { csrFile: 'tampered.csr' }), 'GH_CERTS_CSR_SIGNATURE',
    'the signature of the certificate request in tampered.csr does not verify')
})

test.run()
