// Certificate authorities: create a root, create an intermediate under a CA,
// and unlock a CA (certificate + possibly encrypted key + the chain above it)
// for signing. A CA is plain data (`CaInput`): PEM strings, so the gateway can
// keep one in memory and the CLI can load one from a directory.
import { createPublicKey, type KeyObject } from 'node:crypto'
import { hostname, userInfo } from 'node:os'
import { x509 } from './x509.js'
import { parseNameConstraints, readNameConstraints, type Constraints } from './constraints.js'
import { GatehouseError } from './errors.js'
import { exportPrivateKeyPem, generateKey, readPrivateKey, toSigningKey, type KeyType, type SigningKey } from './keys.js'
import { commonName, isSelfIssued, parseCertificates, toPem } from './pem.js'
import { buildTemplate, DEFAULT_DAYS, signTemplate } from './template.js'

/** A CA as PEM text. `keyFile`/`certFile` only name the files in error messages. */
export interface CaInput {
  readonly certPem: string
  readonly keyPem: string
  /** Issuer certificates above this CA, up to the root (intermediates only). */
  readonly chainPem?: string | undefined
  readonly passphrase?: string | undefined
  readonly certFile?: string | undefined
  readonly keyFile?: string | undefined
}

/** A CA ready to sign: parsed certificate, unlocked key, chain and name constraints. */
export interface UnlockedCa {
  readonly cert: x509.X509Certificate
  readonly key: SigningKey
  /** Certificates above `cert`, up to and including the root. */
  readonly chain: readonly x509.X509Certificate[]
  /** Constraints of `cert` and of every CA above it, each with the CA's name. */
  readonly constraints: ReadonlyArray<{ readonly ca: string, readonly constraints: Constraints }>
}

/** A new CA: PEM certificate, PEM key (encrypted PKCS#8 when a passphrase was given) and its chain. */
export interface CaResult {
  readonly certPem: string
  readonly keyPem: string
  /** Certificates above this CA up to the root; '' for a root. */
  readonly chainPem: string
  readonly keyType: KeyType
  readonly notAfter: Date
}

/** Options of `createRootCa`. */
export interface RootCaOptions {
  readonly cn?: string | undefined
  readonly keyType?: KeyType | undefined
  readonly days?: number | undefined
  /** basicConstraints pathLenConstraint; unset = no limit. */
  readonly pathLen?: number | undefined
  /** --name-constraint values: DNS domains and CIDR IP ranges. */
  readonly nameConstraints?: readonly string[] | undefined
  /** Encrypts the key (AES-256-CBC PKCS#8) when set. */
  readonly passphrase?: string | undefined
  readonly now?: Date | undefined
}

/** Options of `createIntermediate`. */
export interface IntermediateOptions extends RootCaOptions {}

/** Rejects a validity that is not a whole number of days in 1..36500. */
export function checkDays (days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 36500) throw new GatehouseError('GH_CERTS_INVALID_DAYS', String(days))
  return days
}

function whoAmI (): string {
  try {
    return `${userInfo().username}@${hostname()}`
  } catch {
    return hostname()
  }
}

function caSubject (cn: string): x509.JsonName {
  return [{ CN: [cn] }, { O: ['Gatehouse'] }, { OU: [whoAmI()] }]
}

function spkiOf (key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' })
}

/** Parses and unlocks a CA: checks it is a CA, that the key matches, and decrypts the key. */
export async function unlockCa (ca: CaInput | UnlockedCa): Promise<UnlockedCa> {
  if ('key' in ca) return ca
  const certFile = ca.certFile ?? 'the CA certificate'
  const keyFile = ca.keyFile ?? 'the CA key'
  const [cert, ...rest] = parseCertificates(ca.certPem, certFile)
  if (!cert) throw new GatehouseError('GH_CERTS_BAD_CERT', certFile)
  const bc = cert.getExtension(x509.BasicConstraintsExtension)
  if (!bc?.ca) throw new GatehouseError('GH_CERTS_NOT_A_CA', certFile)
  const keyObject = readPrivateKey(ca.keyPem, keyFile, ca.passphrase)
  if (!spkiOf(keyObject).equals(Buffer.from(cert.publicKey.rawData))) {
    throw new GatehouseError('GH_CERTS_KEY_MISMATCH', keyFile, certFile)
  }
  const key = await toSigningKey(keyObject, keyFile)
  const chain = [...rest, ...(ca.chainPem ? parseCertificates(ca.chainPem, 'the CA chain') : [])]
  const constraints: Array<{ ca: string, constraints: Constraints }> = []
  for (const c of [cert, ...chain]) {
    const nc = readNameConstraints(c)
    if (nc) constraints.push({ ca: commonName(c), constraints: nc })
  }
  return { cert, key, chain, constraints }
}

async function createCa (issuer: UnlockedCa | null, opts: RootCaOptions, role: 'root' | 'intermediate'): Promise<CaResult> {
  const keyType = opts.keyType ?? 'ec256'
  const days = checkDays(opts.days ?? DEFAULT_DAYS[role])
  const nameConstraints = parseNameConstraints(opts.nameConstraints ?? [])
  const key = await generateKey(keyType)
  const cn = opts.cn ?? (role === 'root' ? 'Gatehouse Development CA' : 'Gatehouse Intermediate CA')
  const template = await buildTemplate({
    role,
    subject: caSubject(cn),
    spki: key.spki,
    keyAlgorithm: keyType.startsWith('rsa') ? 'rsa' : 'ec',
    days,
    issuerCert: issuer?.cert ?? null,
    // An intermediate signs leaves only unless told otherwise.
    pathLen: opts.pathLen ?? (role === 'intermediate' ? 0 : undefined),
    nameConstraints,
    notAfterLimit: issuer?.cert.notAfter,
    now: opts.now
  })
  const cert = await signTemplate(template, { cert: issuer?.cert ?? null, key: issuer?.key ?? key })
  return {
    certPem: cert.pem,
    keyPem: exportPrivateKeyPem(key.privateKey, opts.passphrase),
    chainPem: issuer ? toPem([issuer.cert, ...issuer.chain]) : '',
    keyType,
    notAfter: cert.notAfter
  }
}

/** Creates a self-signed root CA: CA:TRUE (critical), keyCertSign+cRLSign, SKI, optional name constraints; 10 years by default. */
export async function createRootCa (opts: RootCaOptions = {}): Promise<CaResult> {
  return await createCa(null, opts, 'root')
}

/** Creates an intermediate CA signed by `ca` (pathLen 0 by default; 5 years, never past the issuer). */
export async function createIntermediate (ca: CaInput | UnlockedCa, opts: IntermediateOptions = {}): Promise<CaResult> {
  return await createCa(await unlockCa(ca), opts, 'intermediate')
}

/** The certificates a server sends after its leaf: this CA when it is an intermediate, and the intermediates above it (never the root). */
export function servedChain (ca: UnlockedCa): x509.X509Certificate[] {
  return [ca.cert, ...ca.chain].filter((c) => !isSelfIssued(c))
}
