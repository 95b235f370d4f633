// The one template builder every certificate goes through (STYLE #10): root,
// intermediate and leaf differ only in the extensions chosen here. Validity
// starts on a whole second, backdated one minute so a client whose clock is a
// little behind still accepts a certificate made a moment ago. `signTemplate`
// is the low-level signer: it signs whatever it is given, with no policy check,
// which is what the tests use to prove openssl rejects an out-of-bounds leaf.
import { createHash, randomBytes } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509'
import { x509 } from './x509.js'
import { nameConstraintsExtension, type Constraints } from './constraints.js'
import type { SigningKey } from './keys.js'
import type { San } from './san.js'

/** What a certificate is for. */
export type Role = 'root' | 'intermediate' | 'leaf'

/** Everything that goes into one certificate before it is signed. */
export interface Template {
  readonly role: Role
  /** Subject as an RDN list, e.g. [{ CN: ['x'] }, { O: ['y'] }]. */
  readonly subject: x509.JsonName
  /** SubjectPublicKeyInfo of the key being certified, DER. */
  readonly spki: ArrayBuffer
  readonly serialHex: string
  readonly notBefore: Date
  readonly notAfter: Date
  readonly extensions: x509.Extension[]
}

/** The issuer side of a signature: its certificate (null for a self-signed root) and unlocked key. */
export interface Issuer {
  readonly cert: x509.X509Certificate | null
  readonly key: SigningKey
}

/** Inputs of `buildTemplate`. */
export interface TemplateSpec {
  readonly role: Role
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
  // @peculiar/x509 prepends a zero octet when the top bit is set, keeping it positive.
  return bytes.toString('hex')
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING, computed by node:crypto. */
function keyIdentifier (spki: ArrayBuffer): string {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo)
  return createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest('hex')
}

// An issuer signs many leaves: read its key identifier once.
const issuerKeyIds = new WeakMap<x509.X509Certificate, string>()

/** The issuer's SKI (so AKI matches it byte for byte), or one computed from its key. */
function issuerKeyId (cert: x509.X509Certificate): string {
  let id = issuerKeyIds.get(cert)
  if (id === undefined) {
    id = cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? keyIdentifier(cert.publicKey.rawData)
    issuerKeyIds.set(cert, id)
  }
  return id
}

function asnName (san: San): x509.JsonGeneralName {
  return { type: san.type === 'uri' ? 'url' : san.type, value: san.value }
}

/** Builds the template for a root, an intermediate or a leaf. */
export async function buildTemplate (spec: TemplateSpec): Promise<Template> {
  const now = spec.now ?? new Date()
  const start = Math.floor(now.getTime() / 1000) * 1000
  const notBefore = new Date(start - SKEW_MS)
  let notAfter = new Date(start + spec.days * DAY_MS)
  if (spec.notAfterLimit && notAfter > spec.notAfterLimit) notAfter = spec.notAfterLimit
  const extensions: x509.Extension[] = []
  const ski = new x509.SubjectKeyIdentifierExtension(keyIdentifier(spec.spki))
  if (spec.role === 'leaf') {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true))
    // RSA key exchange (TLS 1.2 RSA suites) needs keyEncipherment; ECDSA keys only sign.
    const usages = spec.keyAlgorithm === 'rsa'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature
    extensions.push(new x509.KeyUsagesExtension(usages, true))
    const eku: string[] = [x509.ExtendedKeyUsage.serverAuth]
    if (spec.client === true) eku.push(x509.ExtendedKeyUsage.clientAuth)
    extensions.push(new x509.ExtendedKeyUsageExtension(eku, false))
    // RFC 5280 4.2.1.6: the SAN extension is critical when the subject is empty.
    const emptySubject = spec.subject.length === 0
    extensions.push(new x509.SubjectAlternativeNameExtension((spec.sans ?? []).map(asnName), emptySubject))
  } else {
    extensions.push(new x509.BasicConstraintsExtension(true, spec.pathLen, true))
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true))
    if (spec.nameConstraints) extensions.push(nameConstraintsExtension(spec.nameConstraints))
  }
  extensions.push(ski)
  if (spec.issuerCert) {
    extensions.push(new x509.AuthorityKeyIdentifierExtension(issuerKeyId(spec.issuerCert)))
  } else if (spec.role !== 'root') {
    throw new Error('buildTemplate: an intermediate or a leaf needs an issuer certificate')
  }
  return { role: spec.role, subject: spec.subject, spki: spec.spki, serialHex: randomSerialHex(), notBefore, notAfter, extensions }
}

/** Signs a template with the issuer's key; no policy check (the callers make those). */
export async function signTemplate (template: Template, issuer: Issuer): Promise<x509.X509Certificate> {
  const params = {
    serialNumber: template.serialHex,
    subject: template.subject,
    issuer: issuer.cert ? issuer.cert.subjectName : template.subject,
    notBefore: template.notBefore,
    notAfter: template.notAfter,
    publicKey: template.spki,
    signingKey: issuer.key.privateKey,
    signingAlgorithm: issuer.key.signingAlgorithm,
    extensions: template.extensions
  }
  return await x509.X509CertificateGenerator.create(params as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[0])
}
