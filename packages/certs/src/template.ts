// The one template builder every certificate goes through (STYLE #10): root,
// intermediate and leaf differ only in the extensions chosen here. Validity
// starts on a whole second, backdated one minute so a client whose clock is a
// little behind still accepts a certificate made a moment ago. `signTemplate`
// is the low-level signer: it signs whatever it is given, with no policy check,
// which is what the tests use to prove openssl rejects an out-of-bounds leaf.
//
// The certificate is assembled from @peculiar/asn1-x509 structures and signed
// with Node's WebCrypto. @peculiar/x509's generator does the same but wraps
// every extension in an object that it serialises, re-parses and parses again
// as a whole certificate at the end: three times the CPU of an ec256 issue.
import { createHash, randomBytes, webcrypto } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import {
  AlgorithmIdentifier, AuthorityKeyIdentifier, BasicConstraints, Certificate, ExtendedKeyUsage, Extension, Extensions,
  GeneralName, KeyIdentifier, KeyUsage, KeyUsageFlags, Name, SubjectAlternativeName, SubjectKeyIdentifier,
  SubjectPublicKeyInfo, TBSCertificate, Validity, Version, id_ce_authorityKeyIdentifier, id_ce_basicConstraints,
  id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectAltName, id_ce_subjectKeyIdentifier, id_kp_clientAuth, id_kp_serverAuth
} from '@peculiar/asn1-x509'
import { x509 } from './x509.js'
import { nameConstraintsExtension, type Constraints } from './constraints.js'
import type { KeyType, SigningKey } from './keys.js'
import type { San } from './san.js'

/** What a certificate is for. */
export type Role = 'root' | 'intermediate' | 'leaf'

/** Everything that goes into one certificate before it is signed. */
export interface Template {
  readonly role: Role
  /** Subject, DER-ready. */
  readonly subject: Name
  /** SubjectPublicKeyInfo of the key being certified, DER. */
  readonly spki: ArrayBuffer
  readonly serialHex: string
  readonly notBefore: Date
  readonly notAfter: Date
  readonly extensions: Extension[]
}

/** The issuer side of a signature: its certificate (null for a self-signed root) and unlocked key. */
export interface Issuer {
  readonly cert: x509.X509Certificate | null
  readonly key: SigningKey
}

/** A signed certificate: DER, PEM, and the facts callers report. */
export interface SignedCertificate {
  readonly der: Uint8Array
  readonly pem: string
  readonly serialNumber: string
  readonly notAfter: Date
}

/** Inputs of `buildTemplate`. */
export interface TemplateSpec {
  readonly role: Role
  /** Subject as an RDN list, e.g. [{ CN: ['x'] }, { O: ['y'] }]; [] for an empty subject. */
  readonly subject: x509.JsonName
  readonly spki: ArrayBuffer
  /** Algorithm family of the certified key: decides a leaf's keyUsage. */
  readonly keyAlgorithm: 'ec' | 'rsa'
  readonly days: number
  readonly issuerCert: x509.X509Certificate | null
  readonly pathLen?: number | undefined
  readonly nameConstraints?: Constraints | null | undefined
  readonly sans?: readonly San[] | undefined
  readonly client?: boolean | undefined
  /** Latest notAfter allowed (the issuer's), so a leaf never outlives its CA. */
  readonly notAfterLimit?: Date | undefined
  readonly now?: Date | undefined
}

/** Default validity, in days: 10 years for a root, 5 for an intermediate, 397 for a leaf (under Apple's 398-day limit for public CAs). */
export const DEFAULT_DAYS = { root: 3650, intermediate: 1825, leaf: 397 } as const
/** Apple's limit for leaves from private CAs; longer leaves get a warning. */
export const MAX_PRIVATE_LEAF_DAYS = 825

const DAY_MS = 86_400_000
const SKEW_MS = 60_000

/** A random positive 128-bit serial (RFC 5280 4.1.2.2 allows up to 20 octets). */
export function randomSerialHex (): string {
  const bytes = randomBytes(16)
  if (bytes[0] === 0) bytes[0] = 1
  return bytes.toString('hex')
}

/** An extension whose value is the DER of `value`. */
export function extension (extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) })
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING, computed by node:crypto. */
function keyIdentifier (spki: ArrayBuffer): Buffer {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo)
  return createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest()
}

// An issuer signs many leaves: read its name and key identifier once.
const issuerFacts = new WeakMap<x509.X509Certificate, { name: Name, keyId: Buffer }>()

function issuerOf (cert: x509.X509Certificate): { name: Name, keyId: Buffer } {
  let facts = issuerFacts.get(cert)
  if (facts === undefined) {
    const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId
    facts = {
      name: AsnConvert.parse(cert.subjectName.toArrayBuffer(), Name),
      // The issuer's own SKI, so AKI matches it byte for byte.
      keyId: ski !== undefined ? Buffer.from(ski, 'hex') : keyIdentifier(cert.publicKey.rawData)
    }
    issuerFacts.set(cert, facts)
  }
  return facts
}

function generalName (san: San): GeneralName {
  switch (san.type) {
    case 'dns': return new GeneralName({ dNSName: san.value })
    case 'ip': return new GeneralName({ iPAddress: san.value })
    case 'email': return new GeneralName({ rfc822Name: san.value })
    case 'uri': return new GeneralName({ uniformResourceIdentifier: san.value })
  }
}

function subjectName (json: x509.JsonName): Name {
  return json.length === 0 ? new Name([]) : AsnConvert.parse(new x509.Name(json).toArrayBuffer(), Name)
}

/** Builds the template for a root, an intermediate or a leaf. */
export async function buildTemplate (spec: TemplateSpec): Promise<Template> {
  const now = spec.now ?? new Date()
  const start = Math.floor(now.getTime() / 1000) * 1000
  const notBefore = new Date(start - SKEW_MS)
  let notAfter = new Date(start + spec.days * DAY_MS)
  if (spec.notAfterLimit && notAfter > spec.notAfterLimit) notAfter = spec.notAfterLimit
  const extensions: Extension[] = []
  if (spec.role === 'leaf') {
    extensions.push(extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })))
    // RSA key exchange (TLS 1.2 RSA suites) needs keyEncipherment; ECDSA keys only sign.
    const usages = spec.keyAlgorithm === 'rsa'
      ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment
      : KeyUsageFlags.digitalSignature
    extensions.push(extension(id_ce_keyUsage, true, new KeyUsage(usages)))
    extensions.push(extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage(spec.client === true ? [id_kp_serverAuth, id_kp_clientAuth] : [id_kp_serverAuth])))
    // RFC 5280 4.2.1.6: the SAN extension is critical when the subject is empty.
    extensions.push(extension(id_ce_subjectAltName, spec.subject.length === 0, new SubjectAlternativeName((spec.sans ?? []).map(generalName))))
  } else {
    const bc = new BasicConstraints({ cA: true })
    if (spec.pathLen !== undefined) bc.pathLenConstraint = spec.pathLen
    extensions.push(extension(id_ce_basicConstraints, true, bc))
    extensions.push(extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)))
    if (spec.nameConstraints) extensions.push(nameConstraintsExtension(spec.nameConstraints))
  }
  extensions.push(extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(spec.spki))))
  if (spec.issuerCert) {
    extensions.push(extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerOf(spec.issuerCert).keyId) })))
  } else if (spec.role !== 'root') {
    throw new Error('buildTemplate: an intermediate or a leaf needs an issuer certificate')
  }
  return { role: spec.role, subject: subjectName(spec.subject), spki: spec.spki, serialHex: randomSerialHex(), notBefore, notAfter, extensions }
}

/** Signature algorithm identifiers (RFC 5758 3.2, RFC 4055 5) and ECDSA field sizes. */
const SIGNATURE: Record<KeyType, { oid: string, nullParams: boolean, ecSize: number }> = {
  ec256: { oid: '1.2.840.10045.4.3.2', nullParams: false, ecSize: 32 },
  ec384: { oid: '1.2.840.10045.4.3.3', nullParams: false, ecSize: 48 },
  rsa2048: { oid: '1.2.840.113549.1.1.11', nullParams: true, ecSize: 0 },
  rsa3072: { oid: '1.2.840.113549.1.1.11', nullParams: true, ecSize: 0 },
  rsa4096: { oid: '1.2.840.113549.1.1.11', nullParams: true, ecSize: 0 }
}

function derLength (n: number): Buffer {
  return n < 128 ? Buffer.from([n]) : n < 256 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff])
}

function derInteger (bytes: Uint8Array): Buffer {
  let i = 0
  while (i < bytes.length - 1 && bytes[i] === 0) i++
  let v = Buffer.from(bytes.subarray(i))
  if (((v[0] ?? 0) & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v])
  return Buffer.concat([Buffer.from([0x02]), derLength(v.length), v])
}

/** WebCrypto's ECDSA signature is r||s (IEEE P1363); X.509 wants ECDSA-Sig-Value (RFC 3279 2.2.3). */
function ecdsaDer (raw: Uint8Array, size: number): Buffer {
  const body = Buffer.concat([derInteger(raw.subarray(0, size)), derInteger(raw.subarray(size, 2 * size))])
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body])
}

/** Signs a template with the issuer's key; no policy check (the callers make those). */
export async function signTemplate (template: Template, issuer: Issuer): Promise<SignedCertificate> {
  const sig = SIGNATURE[issuer.key.keyType]
  const algorithm = (): AlgorithmIdentifier => new AlgorithmIdentifier(sig.nullParams ? { algorithm: sig.oid, parameters: null } : { algorithm: sig.oid })
  const serial = Buffer.from(template.serialHex, 'hex')
  const tbs = new TBSCertificate({
    version: Version.v3,
    // DER INTEGER content: a leading zero octet keeps a high first bit positive.
    serialNumber: new Uint8Array(((serial[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), serial]) : serial).buffer,
    signature: algorithm(),
    issuer: issuer.cert ? issuerOf(issuer.cert).name : template.subject,
    validity: new Validity({ notBefore: template.notBefore, notAfter: template.notAfter }),
    subject: template.subject,
    subjectPublicKeyInfo: AsnConvert.parse(template.spki, SubjectPublicKeyInfo),
    extensions: new Extensions(template.extensions)
  })
  const tbsDer = AsnConvert.serialize(tbs)
  const raw = new Uint8Array(await webcrypto.subtle.sign(issuer.key.signingAlgorithm, issuer.key.privateKey, tbsDer))
  const signatureValue = sig.ecSize > 0 ? ecdsaDer(raw, sig.ecSize) : Buffer.from(raw)
  const der = new Uint8Array(AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm(), signatureValue: new Uint8Array(signatureValue).buffer })))
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
  return { der, pem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`, serialNumber: template.serialHex, notAfter: template.notAfter }
}
