import 'reflect-metadata'
import { webcrypto, createHash } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import * as a from '@peculiar/asn1-x509'
const m = await import('../dist/index.js')
const ca = await m.unlockCa(await m.createRootCa())
const sans = m.parseSans(['a.localhost', '*.b.localhost', '127.0.0.1'])
const issuerName = AsnConvert.parse(ca.cert.subjectName.toArrayBuffer(), a.Name)
async function direct () {
  const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
  const spki = await webcrypto.subtle.exportKey('spki', pair.publicKey)
  const spkiAsn = AsnConvert.parse(spki, a.SubjectPublicKeyInfo)
  const ext = (id, critical, value) => new a.Extension({ extnID: id, critical, extnValue: new (a.Extension.prototype.constructor === a.Extension ? Object : Object)() })
  const mk = (id, critical, v) => { const e = new a.Extension({ extnID: id, critical, extnValue: new (AsnConvert.parse(AsnConvert.serialize(new (class {})()), Object)).constructor() }); return e }
  void ext; void mk
  const E = (id, critical, v) => { const e = new a.Extension(); e.extnID = id; e.critical = critical; e.extnValue = new (e.extnValue.constructor)(AsnConvert.serialize(v)); return e }
  const exts = [
    E(a.id_ce_basicConstraints, true, new a.BasicConstraints({ cA: false })),
    E(a.id_ce_keyUsage, true, new a.KeyUsage(a.KeyUsageFlags.digitalSignature)),
    E(a.id_ce_extKeyUsage, false, new a.ExtendedKeyUsage(['1.3.6.1.5.5.7.3.1'])),
    E(a.id_ce_subjectAltName, false, new a.SubjectAlternativeName(sans.map((s) => new a.GeneralName(s.type === 'dns' ? { dNSName: s.value } : { iPAddress: s.value })))),
    E(a.id_ce_subjectKeyIdentifier, false, new a.SubjectKeyIdentifier(createHash('sha1').update(new Uint8Array(spkiAsn.subjectPublicKey)).digest())),
  ]
  const now = Math.floor(Date.now() / 1000) * 1000
  const tbs = new a.TBSCertificate({
    version: a.Version.v3,
    serialNumber: new Uint8Array([1, 2, 3]).buffer,
    signature: new a.AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }),
    issuer: issuerName,
    validity: new a.Validity({ notBefore: new Date(now), notAfter: new Date(now + 86400000 * 397) }),
    subject: AsnConvert.parse(new (await import('@peculiar/x509')).Name([{ CN: ['a.localhost'] }]).toArrayBuffer(), a.Name),
    subjectPublicKeyInfo: spkiAsn,
    extensions: new a.Extensions(exts)
  })
  const tbsDer = AsnConvert.serialize(tbs)
  const sig = new Uint8Array(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ca.key.privateKey, tbsDer))
  const int = (b) => { let i = 0; while (i < b.length - 1 && b[i] === 0) i++; let x = b.slice(i); if (x[0] & 0x80) x = Buffer.concat([Buffer.from([0]), x]); return Buffer.concat([Buffer.from([2, x.length]), x]) }
  const body = Buffer.concat([int(Buffer.from(sig.slice(0, 32))), int(Buffer.from(sig.slice(32)))])
  const sv = Buffer.concat([Buffer.from([0x30, body.length]), body])
  const cert = new a.Certificate({ tbsCertificate: tbs, signatureAlgorithm: new a.AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }), signatureValue: new Uint8Array(sv).buffer })
  return Buffer.from(AsnConvert.serialize(cert))
}
const der = await direct()
const { X509Certificate } = await import('node:crypto')
console.log(new X509Certificate(der).verify(ca.cert.publicKey.rawData ? (await import('node:crypto')).createPublicKey({ key: Buffer.from(ca.cert.publicKey.rawData), format: 'der', type: 'spki' }) : null))
for (const [name, fn] of [['generator', () => m.createLeaf(ca, ['a.localhost', '*.b.localhost', '127.0.0.1'])], ['direct', direct]]) {
  for (let i = 0; i < 20; i++) await fn()
  const c0 = process.cpuUsage(); const t0 = performance.now()
  for (let i = 0; i < 200; i++) await fn()
  const c = process.cpuUsage(c0)
  console.log(name, 'wall/issue', ((performance.now() - t0) / 200).toFixed(2), 'cpu/issue', ((c.user + c.system) / 1000 / 200).toFixed(2))
}
