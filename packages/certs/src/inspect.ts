// `certs inspect`: what a PEM file holds, as structured data (for scripts and
// for the gateway's certificate-expiry metric) and as text. Certificates are
// read with node:crypto's X509Certificate (OpenSSL) for fingerprints, keys and
// signature checks, and with @peculiar/x509 for the extensions. The chain in a
// file is checked link by link, then anchored at a self-signed root in the
// file, a CA file given by the caller, or the system trust bundle.
import { X509Certificate as NodeCert, createPublicKey } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { readNameConstraints, describeConstraints } from './constraints.js'
import { keyTypeOf } from './keys.js'
import { certificateBlocks, isSelfIssued } from './pem.js'
import { formatSan, type San } from './san.js'
import { x509 } from './x509.js'
import { GatehouseError } from './errors.js'
import { readText } from './files.js'

/** One certificate, as `inspect` reports it. */
export interface CertificateInfo {
  readonly subject: string
  readonly issuer: string
  readonly serialNumber: string
  readonly notBefore: string
  readonly notAfter: string
  /** Whole days until notAfter (negative once expired). */
  readonly daysLeft: number
  readonly expired: boolean
  readonly sans: readonly San[]
  /** ec256, ec384, rsa2048, … or a description of another key. */
  readonly keyType: string
  readonly keyBits: number
  readonly isCa: boolean
  readonly pathLen: number | null
  readonly selfSigned: boolean
  readonly keyUsage: readonly string[]
  readonly extendedKeyUsage: readonly string[]
  readonly nameConstraints: readonly string[]
  /** SHA-256 fingerprint, colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256`). */
  readonly fingerprintSha256: string
}

/** The chain check of one file. */
export interface ChainCheck {
  /** Every link verifies, it ends at a trusted or self-signed root, and nothing has expired. */
  readonly ok: boolean
  /** Where the chain was anchored: 'file' (a root in the file), 'ca-file', 'system', or null. */
  readonly anchor: 'file' | 'ca-file' | 'system' | null
  readonly problems: readonly string[]
}

/** What one file holds. */
export interface FileReport {
  readonly file: string
  readonly certificates: readonly CertificateInfo[]
  readonly chain: ChainCheck | null
  /** A private key in the file: its type, whether it is encrypted, and whether it matches the first certificate. */
  readonly privateKey: { readonly keyType: string, readonly encrypted: boolean, readonly matchesCertificate: boolean | null } | null
  /** A certificate request in the file: subject, SANs and whether its signature verifies. */
  readonly csr: { readonly subject: string, readonly sans: readonly San[], readonly keyType: string, readonly signatureValid: boolean } | null
}

const KU_NAMES: Array<[number, string]> = [
  [x509.KeyUsageFlags.digitalSignature, 'digitalSignature'],
  [x509.KeyUsageFlags.nonRepudiation, 'nonRepudiation'],
  [x509.KeyUsageFlags.keyEncipherment, 'keyEncipherment'],
  [x509.KeyUsageFlags.dataEncipherment, 'dataEncipherment'],
  [x509.KeyUsageFlags.keyAgreement, 'keyAgreement'],
  [x509.KeyUsageFlags.keyCertSign, 'keyCertSign'],
  [x509.KeyUsageFlags.cRLSign, 'cRLSign']
]
const EKU_NAMES: Record<string, string> = {
  [x509.ExtendedKeyUsage.serverAuth]: 'serverAuth',
  [x509.ExtendedKeyUsage.clientAuth]: 'clientAuth',
  [x509.ExtendedKeyUsage.codeSigning]: 'codeSigning',
  [x509.ExtendedKeyUsage.emailProtection]: 'emailProtection'
}
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem']
const DAY_MS = 86_400_000
const CSR_BLOCK = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----[\s\S]+?-----END (?:NEW )?CERTIFICATE REQUEST-----/

function sansOf (cert: x509.X509Certificate | x509.Pkcs10CertificateRequest): San[] {
  const ext = cert.getExtension('2.5.29.17')
  if (!ext) return []
  const names = new x509.SubjectAlternativeNameExtension(ext.rawData).names.items
  return names.flatMap((n): San[] => {
    if (n.type === 'dns' || n.type === 'ip' || n.type === 'email') return [{ type: n.type, value: n.value }]
    if (n.type === 'url') return [{ type: 'uri', value: n.value }]
    return []
  })
}

function keyBits (key: ReturnType<typeof createPublicKey>): number {
  const d = key.asymmetricKeyDetails ?? {}
  if (d.modulusLength !== undefined) return d.modulusLength
  if (d.namedCurve === 'prime256v1') return 256
  if (d.namedCurve === 'secp384r1') return 384
  if (d.namedCurve === 'secp521r1') return 521
  return key.asymmetricKeyType === 'ed25519' ? 256 : 0
}

/** Structured facts about one PEM certificate. */
export function describeCertificate (pem: string, now: Date = new Date()): CertificateInfo {
  const node = new NodeCert(pem)
  const cert = new x509.X509Certificate(pem)
  const bc = cert.getExtension(x509.BasicConstraintsExtension)
  const ku = cert.getExtension(x509.KeyUsagesExtension)
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension)
  const nc = readNameConstraints(cert)
  const notAfter = cert.notAfter
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
    expired: notAfter.getTime() < now.getTime(),
    sans: sansOf(cert),
    keyType: keyTypeOf(node.publicKey),
    keyBits: keyBits(node.publicKey),
    isCa: bc?.ca === true,
    pathLen: bc?.pathLength ?? null,
    selfSigned: isSelfIssued(cert) && node.verify(node.publicKey),
    keyUsage: ku ? KU_NAMES.filter(([flag]) => (ku.usages & flag) !== 0).map(([, name]) => name) : [],
    extendedKeyUsage: eku ? eku.usages.map((u) => EKU_NAMES[String(u)] ?? String(u)) : [],
    nameConstraints: nc ? describeConstraints(nc) : [],
    fingerprintSha256: node.fingerprint256
  }
}

function loadBundle (path: string): NodeCert[] {
  try {
    return certificateBlocks(readFileSync(path, 'utf8')).map((b) => new NodeCert(b))
  } catch {
    return []
  }
}

function findIssuer (cert: NodeCert, candidates: readonly NodeCert[]): NodeCert | undefined {
  return candidates.find((c) => cert.checkIssued(c) && cert.verify(c.publicKey))
}

/** Checks the certificates of a file as a chain, in file order (leaf first). */
export function checkChain (pems: readonly string[], opts: { caFile?: string | undefined, now?: Date } = {}): ChainCheck {
  const now = opts.now ?? new Date()
  const certs = pems.map((p) => new NodeCert(p))
  const problems: string[] = []
  certs.forEach((c, i) => {
    if (new Date(c.validTo).getTime() < now.getTime()) problems.push(`certificate ${i + 1} (${c.subject.replace(/\n/g, ', ')}) expired on ${new Date(c.validTo).toISOString()}`)
    if (new Date(c.validFrom).getTime() > now.getTime()) problems.push(`certificate ${i + 1} is not valid before ${new Date(c.validFrom).toISOString()}`)
    const next = certs[i + 1]
    if (next && !(c.checkIssued(next) && c.verify(next.publicKey))) {
      problems.push(`certificate ${i + 1} was not signed by certificate ${i + 2}, which follows it`)
    }
  })
  const last = certs[certs.length - 1]
  let anchor: ChainCheck['anchor'] = null
  if (last) {
    if (last.checkIssued(last) && last.verify(last.publicKey)) {
      anchor = 'file'
    } else if (opts.caFile !== undefined && findIssuer(last, loadBundle(opts.caFile))) {
      anchor = 'ca-file'
    } else {
      const bundle = SYSTEM_BUNDLES.find((p) => existsSync(p))
      if (bundle && findIssuer(last, loadBundle(bundle))) anchor = 'system'
    }
    if (anchor === null) {
      problems.push(`the chain ends at '${last.issuer.replace(/\n/g, ', ')}', which is not in the file${opts.caFile !== undefined ? ', in ' + opts.caFile : ''} or the system trust store`)
    }
  }
  return { ok: certs.length > 0 && problems.length === 0, anchor, problems }
}

/** Inspects PEM text: certificates, the chain they form, a private key and a CSR if present. */
export function inspectPem (pem: string, file: string, opts: { caFile?: string | undefined, now?: Date } = {}): FileReport {
  const now = opts.now ?? new Date()
  const blocks = certificateBlocks(pem)
  let certificates: CertificateInfo[]
  try {
    certificates = blocks.map((b) => describeCertificate(b, now))
  } catch {
    throw new GatehouseError('GH_CERTS_BAD_CERT', file)
  }
  let privateKey: FileReport['privateKey'] = null
  const keyBlock = /-----BEGIN (?:ENCRYPTED |EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:ENCRYPTED |EC |RSA )?PRIVATE KEY-----/.exec(pem)?.[0]
  if (keyBlock !== undefined) {
    const encrypted = keyBlock.includes('ENCRYPTED')
    let keyType = 'encrypted'
    let matches: boolean | null = null
    if (!encrypted) {
      let pub: ReturnType<typeof createPublicKey>
      try {
        pub = createPublicKey(keyBlock)
      } catch (err) {
        throw new GatehouseError('GH_CERTS_BAD_KEY', file, (err as Error).message)
      }
      keyType = keyTypeOf(pub)
      const first = blocks[0]
      if (first !== undefined) {
        matches = new NodeCert(first).publicKey.export({ type: 'spki', format: 'der' }).equals(pub.export({ type: 'spki', format: 'der' }))
      }
    }
    privateKey = { keyType, encrypted, matchesCertificate: matches }
  }
  let csr: FileReport['csr'] = null
  const csrBlock = CSR_BLOCK.exec(pem)?.[0]
  if (csrBlock !== undefined) {
    try {
      const req = new x509.Pkcs10CertificateRequest(csrBlock)
      csr = { subject: req.subject, sans: sansOf(req), keyType: keyTypeOf(createPublicKey({ key: Buffer.from(req.publicKey.rawData), format: 'der', type: 'spki' })), signatureValid: false }
    } catch (err) {
      throw new GatehouseError('GH_CERTS_BAD_CSR', file, (err as Error).message)
    }
  }
  if (certificates.length === 0 && privateKey === null && csr === null) throw new GatehouseError('GH_CERTS_BAD_CERT', file)
  return { file, certificates, chain: blocks.length > 0 ? checkChain(blocks, { caFile: opts.caFile, now }) : null, privateKey, csr }
}

/** Inspects a file (async because a CSR's signature check is). */
export async function inspectFile (file: string, opts: { caFile?: string | undefined, now?: Date } = {}): Promise<FileReport> {
  const pem = readText(file)
  const report = inspectPem(pem, file, opts)
  if (report.csr) {
    const block = CSR_BLOCK.exec(pem)?.[0] ?? ''
    const valid = await new x509.Pkcs10CertificateRequest(block).verify().catch(() => false)
    return { ...report, csr: { ...report.csr, signatureValid: valid } }
  }
  return report
}

/** The text `certs inspect` prints for one file. */
export function formatReport (r: FileReport): string {
  const lines: string[] = [`${r.file}:`]
  r.certificates.forEach((c, i) => {
    const role = c.isCa ? (c.selfSigned ? 'root CA' : 'intermediate CA') : 'leaf'
    lines.push(`  certificate ${i + 1} (${role})`)
    lines.push(`    subject:     ${c.subject}`)
    lines.push(`    issuer:      ${c.issuer}`)
    if (c.sans.length > 0) lines.push(`    SANs:        ${c.sans.map(formatSan).join(', ')}`)
    lines.push(`    valid:       ${c.notBefore} to ${c.notAfter} (${c.expired ? `expired ${-c.daysLeft} days ago` : `${c.daysLeft} days left`})`)
    lines.push(`    key:         ${c.keyType} (${c.keyBits} bits)`)
    lines.push(`    serial:      ${c.serialNumber}`)
    if (c.keyUsage.length > 0) lines.push(`    key usage:   ${c.keyUsage.join(', ')}${c.extendedKeyUsage.length > 0 ? '; ' + c.extendedKeyUsage.join(', ') : ''}`)
    if (c.isCa) lines.push(`    CA:          pathLen ${c.pathLen ?? 'unlimited'}${c.nameConstraints.length > 0 ? '; name constraints: ' + c.nameConstraints.join(', ') : ''}`)
    lines.push(`    SHA-256:     ${c.fingerprintSha256}`)
  })
  if (r.chain) {
    const where = r.chain.anchor === 'file' ? 'to the root in the file' : r.chain.anchor === 'ca-file' ? 'to the given CA file' : r.chain.anchor === 'system' ? 'to the system trust store' : ''
    lines.push(`  chain: ${r.chain.ok ? `verifies ${where}` : 'does NOT verify'}`)
    for (const p of r.chain.problems) lines.push(`    - ${p}`)
  }
  if (r.privateKey) {
    const k = r.privateKey
    lines.push(`  private key: ${k.encrypted ? 'encrypted PKCS#8' : k.keyType}${k.matchesCertificate === null ? '' : k.matchesCertificate ? ' (matches certificate 1)' : ' (does NOT match certificate 1)'}`)
  }
  if (r.csr) {
    lines.push('  certificate request')
    lines.push(`    subject:     ${r.csr.subject}`)
    if (r.csr.sans.length > 0) lines.push(`    SANs:        ${r.csr.sans.map(formatSan).join(', ')}`)
    lines.push(`    key:         ${r.csr.keyType}`)
    lines.push(`    signature:   ${r.csr.signatureValid ? 'verifies' : 'does NOT verify'}`)
  }
  return lines.join('\n')
}
