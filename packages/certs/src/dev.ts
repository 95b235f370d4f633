// `ensureDevCertificates`: the development CA and leaf that `gatehouse demo`
// serves, made in one call and reused on the next. The CA is name-constrained
// to development names (localhost, .test, .internal, …, loopback addresses) so
// that its unencrypted key, sitting in the project directory, can never vouch
// for a real site. Existing files are kept while they are valid, unexpired for
// another 30 days, and (for the leaf) cover the requested SANs.
import { X509Certificate as NodeCert, createPrivateKey, createPublicKey } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createRootCa, unlockCa } from './ca.js'
import { readCaDir, writeCaDir, writeLeafFiles, leafPaths, CA_FILES } from './files.js'
import { createLeaf } from './leaf.js'
import { parseSans, type San } from './san.js'
import { describeCertificate } from './inspect.js'
import { parseNameConstraints, violation } from './constraints.js'
import { GatehouseError } from './errors.js'

/** Name constraints of the development CA: special-use names (RFC 6761, RFC 8375, .internal) and loopback addresses. */
export const DEV_NAME_CONSTRAINTS = ['localhost', 'test', 'example', 'invalid', 'local', 'internal', 'home.arpa', '127.0.0.0/8', '::1/128'] as const

/** Paths of the development certificates, and whether this call created them. */
export interface DevCertificates {
  readonly caCertFile: string
  readonly caKeyFile: string
  readonly certFile: string
  readonly keyFile: string
  readonly fullchainFile: string
  readonly createdCa: boolean
  readonly createdLeaf: boolean
  /** When the leaf expires. */
  readonly notAfter: Date
}

/** Options of `ensureDevCertificates`. */
export interface DevOptions {
  /** Leaf file prefix inside `dir`; default 'dev' (dev.pem, dev-key.pem, dev-fullchain.pem). */
  readonly name?: string | undefined
  /** CA name constraints; default DEV_NAME_CONSTRAINTS. Pass [] for an unconstrained CA. */
  readonly nameConstraints?: readonly string[] | undefined
  readonly now?: Date | undefined
}

const RENEW_MS = 30 * 86_400_000
const DEV_CA_NAME = 'Gatehouse Demo CA'

function sameKey (certPem: string, keyPem: string): boolean {
  try {
    const a = new NodeCert(certPem).publicKey.export({ type: 'spki', format: 'der' })
    const b = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' })
    return a.equals(b)
  } catch {
    return false
  }
}

function leafUsable (certFile: string, keyFile: string, caPem: string, sans: readonly San[], now: Date): boolean {
  if (!existsSync(certFile) || !existsSync(keyFile)) return false
  try {
    const certPem = readFileSync(certFile, 'utf8')
    const info = describeCertificate(certPem, now)
    if (new Date(info.notAfter).getTime() - now.getTime() < RENEW_MS) return false
    const leaf = new NodeCert(certPem)
    const ca = new NodeCert(caPem)
    if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return false
    const have = new Set(info.sans.map((s) => `${s.type}:${s.value}`))
    if (!sans.every((s) => have.has(`${s.type}:${s.value}`))) return false
    return sameKey(certPem, readFileSync(keyFile, 'utf8'))
  } catch {
    return false
  }
}

/**
 * Makes sure `dir` holds a development CA (ca.pem, ca-key.pem) and a leaf for
 * `sans` signed by it (dev.pem, dev-key.pem, dev-fullchain.pem); reuses what
 * is there when still valid. Returns the file paths.
 */
export async function ensureDevCertificates (dir: string, sans: readonly string[], opts: DevOptions = {}): Promise<DevCertificates> {
  const d = resolve(dir)
  const now = opts.now ?? new Date()
  const wanted = parseSans(sans)
  const caCertFile = join(d, CA_FILES.cert)
  const caKeyFile = join(d, CA_FILES.key)
  let createdCa = false
  let caOk = false
  if (existsSync(caCertFile) && existsSync(caKeyFile)) {
    try {
      const caPem = readFileSync(caCertFile, 'utf8')
      const info = describeCertificate(caPem, now)
      caOk = info.isCa && new Date(info.notAfter).getTime() - now.getTime() > RENEW_MS && sameKey(caPem, readFileSync(caKeyFile, 'utf8'))
    } catch {
      caOk = false
    }
  }
  if (!caOk) {
    // Refuse an out-of-bounds SAN before writing a CA that could never sign it.
    const constraints = parseNameConstraints(opts.nameConstraints ?? DEV_NAME_CONSTRAINTS)
    for (const san of constraints ? wanted : []) {
      const why = constraints ? violation(san, constraints) : null
      if (why !== null) throw new GatehouseError('GH_CERTS_SAN_OUTSIDE_CONSTRAINTS', san.value, DEV_CA_NAME, why)
    }
    const ca = await createRootCa({ cn: DEV_CA_NAME, nameConstraints: opts.nameConstraints ?? DEV_NAME_CONSTRAINTS, now })
    writeCaDir(d, ca, { force: true })
    createdCa = true
  }
  const paths = leafPaths(join(d, opts.name ?? 'dev'))
  const caPem = readFileSync(caCertFile, 'utf8')
  if (!createdCa && leafUsable(paths.cert, paths.key, caPem, wanted, now)) {
    return { caCertFile, caKeyFile, certFile: paths.cert, keyFile: paths.key, fullchainFile: paths.fullchain, createdCa, createdLeaf: false, notAfter: new Date(describeCertificate(readFileSync(paths.cert, 'utf8'), now).notAfter) }
  }
  const unlocked = await unlockCa(readCaDir(d))
  const leaf = await createLeaf(unlocked, sans, { now })
  writeLeafFiles(join(d, opts.name ?? 'dev'), leaf, { force: true })
  return { caCertFile, caKeyFile, certFile: paths.cert, keyFile: paths.key, fullchainFile: paths.fullchain, createdCa, createdLeaf: true, notAfter: leaf.notAfter }
}
