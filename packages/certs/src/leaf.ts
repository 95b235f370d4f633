// Leaf certificates: issue one with a fresh key (`createLeaf`), or certify the
// key in someone else's CSR (`signCsr`). Both validate every SAN and refuse one
// outside the CA's name constraints before signing, then go through the same
// template builder as the CAs.
import { x509 } from './x509.js'
import { unlockCa, checkDays, servedChain, type CaInput, type UnlockedCa } from './ca.js'
import { violation } from './constraints.js'
import { GatehouseError } from './errors.js'
import { exportPrivateKeyPem, generateKey, type KeyType } from './keys.js'
import { commonName, toPem } from './pem.js'
import { formatSan, parseSans, type San } from './san.js'
import { buildTemplate, DEFAULT_DAYS, MAX_PRIVATE_LEAF_DAYS, signTemplate } from './template.js'

/** Options of `createLeaf` and `signCsr`. */
export interface LeafOptions {
  readonly keyType?: KeyType | undefined
  /** Validity in days; 397 by default, a warning above 825. */
  readonly days?: number | undefined
  /** Adds EKU clientAuth (for mTLS client certificates). */
  readonly client?: boolean | undefined
  readonly now?: Date | undefined
}

/** Options of `signCsr`. */
export interface SignCsrOptions extends LeafOptions {
  /** Replaces the CSR's SANs when non-empty. */
  readonly sans?: readonly string[] | undefined
  /** Names the CSR in error messages. */
  readonly csrFile?: string | undefined
}

/** A signed leaf. `fullchainPem` = leaf + intermediates (what a server sends). */
export interface SignedLeaf {
  readonly certPem: string
  /** Intermediates between the leaf and the root ('' when the root signed it). */
  readonly chainPem: string
  readonly fullchainPem: string
  readonly sans: readonly San[]
  readonly serialNumber: string
  readonly notAfter: Date
  /** Things worth telling the user (validity above 825 days, validity cut to the CA's). */
  readonly warnings: readonly string[]
}

/** A leaf with its new private key (unencrypted PKCS#8 PEM). */
export interface LeafResult extends SignedLeaf {
  readonly keyPem: string
}

/** Throws GH_CERTS_SAN_OUTSIDE_CONSTRAINTS for the first SAN any CA in the chain does not permit. */
export function checkSansAgainstCa (ca: UnlockedCa, sans: readonly San[]): void {
  for (const { ca: name, constraints } of ca.constraints) {
    for (const san of sans) {
      const why = violation(san, constraints)
      if (why !== null) throw new GatehouseError('GH_CERTS_SAN_OUTSIDE_CONSTRAINTS', san.value, name, why)
    }
  }
}

/**
 * CN = first SAN; an empty subject (the SAN extension then critical) when it is
 * longer than 64 characters (RFC 5280 ub-common-name), or when the chain has
 * name constraints and the leaf has no DNS SAN: OpenSSL then checks a CN like
 * `127.0.0.1` against the DNS constraints as if it were a host name, and fails.
 */
function leafSubject (sans: readonly San[], constrained: boolean): x509.JsonName {
  const first = sans[0]?.value ?? ''
  if (first === '' || first.length > 64) return []
  if (constrained && !sans.some((s) => s.type === 'dns')) return []
  return [{ CN: [first] }]
}

async function signLeaf (ca: UnlockedCa, spki: ArrayBuffer, keyAlgorithm: 'ec' | 'rsa', sans: readonly San[], opts: LeafOptions): Promise<SignedLeaf> {
  checkSansAgainstCa(ca, sans)
  const days = checkDays(opts.days ?? DEFAULT_DAYS.leaf)
  const warnings: string[] = []
  if (days > MAX_PRIVATE_LEAF_DAYS) {
    warnings.push(`validity of ${days} days is above ${MAX_PRIVATE_LEAF_DAYS}, the most Apple platforms accept for a certificate from a private CA`)
  }
  const template = await buildTemplate({
    role: 'leaf',
    subject: leafSubject(sans, ca.constraints.length > 0),
    spki,
    keyAlgorithm,
    days,
    issuerCert: ca.cert,
    sans,
    client: opts.client,
    notAfterLimit: ca.cert.notAfter,
    now: opts.now
  })
  if (template.notAfter.getTime() === ca.cert.notAfter.getTime()) {
    warnings.push(`validity cut to ${ca.cert.notAfter.toISOString()}, when the CA '${commonName(ca.cert)}' expires`)
  }
  const cert = await signTemplate(template, { cert: ca.cert, key: ca.key })
  const chain = servedChain(ca)
  return {
    certPem: cert.pem,
    chainPem: toPem(chain),
    fullchainPem: cert.pem + toPem(chain),
    sans,
    serialNumber: cert.serialNumber,
    notAfter: cert.notAfter,
    warnings
  }
}

/** Issues a leaf for `sans` with a new key: CN = first SAN, EKU serverAuth (+clientAuth), keyUsage per key type, AKI/SKI. */
export async function createLeaf (ca: CaInput | UnlockedCa, sans: readonly string[], opts: LeafOptions = {}): Promise<LeafResult> {
  const parsed = parseSans(sans)
  const unlocked = await unlockCa(ca)
  // Check before generating a key: a refused SAN should cost nothing.
  checkSansAgainstCa(unlocked, parsed)
  const keyType = opts.keyType ?? 'ec256'
  const key = await generateKey(keyType)
  const signed = await signLeaf(unlocked, key.spki, keyType.startsWith('rsa') ? 'rsa' : 'ec', parsed, opts)
  return { ...signed, keyPem: exportPrivateKeyPem(key.privateKey) }
}

function csrSans (csr: x509.Pkcs10CertificateRequest): string[] {
  const ext = csr.getExtension('2.5.29.17')
  if (ext) {
    const san = new x509.SubjectAlternativeNameExtension(ext.rawData)
    return san.names.items.map((n) => n.value)
  }
  const cn = csr.subjectName.getField('CN')[0]
  return cn === undefined ? [] : [cn]
}

/**
 * Signs a PEM CSR (e.g. from `openssl req -new`): its self-signature must
 * verify; its SANs are kept (or its CN when it has none) unless `sans` replaces them.
 */
export async function signCsr (ca: CaInput | UnlockedCa, csrPem: string, opts: SignCsrOptions = {}): Promise<SignedLeaf> {
  const file = opts.csrFile ?? 'the CSR'
  let csr: x509.Pkcs10CertificateRequest
  let valid: boolean
  try {
    if (!csrPem.includes('-----BEGIN CERTIFICATE REQUEST-----') && !csrPem.includes('-----BEGIN NEW CERTIFICATE REQUEST-----')) {
      throw new Error('no -----BEGIN CERTIFICATE REQUEST----- block')
    }
    csr = new x509.Pkcs10CertificateRequest(csrPem)
    valid = await csr.verify()
  } catch (err) {
    throw new GatehouseError('GH_CERTS_BAD_CSR', file, (err as Error).message)
  }
  if (!valid) throw new GatehouseError('GH_CERTS_CSR_SIGNATURE', file)
  const requested = opts.sans !== undefined && opts.sans.length > 0 ? opts.sans : csrSans(csr)
  const parsed = parseSans(requested)
  const unlocked = await unlockCa(ca)
  const keyAlgorithm = /^RSA/i.test(csr.publicKey.algorithm.name) ? 'rsa' : 'ec'
  return await signLeaf(unlocked, csr.publicKey.rawData, keyAlgorithm, parsed, opts)
}

/** One-line list of SANs as openssl prints them. */
export function describeSans (sans: readonly San[]): string {
  return sans.map(formatSan).join(', ')
}
