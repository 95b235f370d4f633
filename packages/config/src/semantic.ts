// Stage 3 of loading, semantic half: checks that need the files a config
// refers to. Certificates and keys must exist, parse and belong together;
// an expired certificate is an error and one expiring within 14 days a
// warning; configured `domains` must be covered by the SANs; the default
// certificate must exist; CA bundles and JWT keys must parse. Runs on a
// structurally valid Config (before it is frozen) and may fill derived values
// (JWT algorithms from the key type).

import type { Config } from './config.js'
import type { Checker } from './checker.js'
import type { FileStore, LeafFacts } from './pem.js'
import { isEncryptedKey, passphraseOf, readLeaf, readPrivateKey, readPublicKey, summarise } from './pem.js'
import { parentOf, sanCovers } from './syntax.js'

const DAY_MS = 86_400_000
/** Certificates expiring sooner than this are reported as a warning. */
export const EXPIRY_WARNING_DAYS = 14

/** Read every referenced file through `store` and report what is wrong with it. */
export function checkFiles (config: Config, c: Checker, store: FileStore, now: number): void {
  const certDomains: string[][] = []
  config.tls.certificates.forEach((cert, i) => {
    const p = `tls.certificates[${i}]`
    const leaf = checkPair(c, store, now, p, cert.cert_file, cert.key_file, cert.key_passphrase_file, true)
    if (leaf === null) { certDomains.push(cert.domains ?? []); return }
    store.leaves[cert.cert_file] ??= summarise(leaf)
    const names = [...leaf.dnsNames, ...leaf.ipAddresses]
    if (cert.domains !== null) {
      cert.domains.forEach((d, j) => {
        if (!names.some((san) => sanCovers(san, d))) c.error('GH_CONFIG_DOMAIN_NOT_COVERED', c.at(`${p}.domains[${j}]`), `${p}.domains[${j}]`, [d, names.join(', ') || 'none'])
      })
    }
    certDomains.push(cert.domains ?? leaf.dnsNames)
  })

  const all = certDomains.flat()
  const served = new Set(all)
  // Same answer as all.some((d) => sanCovers(d, domain)), in O(1) per API.
  const covered = (domain: string): boolean => served.has(domain) || (!domain.startsWith('*.') && served.has('*.' + parentOf(domain)))
  const dc = config.tls.default_certificate
  if (dc !== null && !all.includes(dc)) c.error('GH_CONFIG_DEFAULT_CERT_UNKNOWN', c.at('tls.default_certificate'), 'tls.default_certificate', [dc], [all.join(', ') || 'no certificate has domains'])

  if (config.tls.client_ca_file !== null) checkCaFile(c, store, 'tls.client_ca_file', config.tls.client_ca_file)

  config.apis.forEach((api, i) => {
    const p = `apis[${i}]`
    if (api.domain !== null && all.length > 0 && !covered(api.domain)) {
      c.warn('GH_CONFIG_CERT_FOR_DOMAIN', c.at(`${p}.domain`), `${p}.domain`, [api.domain])
    }
    const t = api.upstream.tls
    if (t.ca_file !== null) checkCaFile(c, store, `${p}.upstream.tls.ca_file`, t.ca_file)
    if (t.cert_file !== null && t.key_file !== null) checkPair(c, store, now, `${p}.upstream.tls`, t.cert_file, t.key_file, null, false)
    if (t.insecure_skip_verify && api.upstream.targets.some((u) => u.startsWith('https:'))) c.warn('GH_CONFIG_INSECURE_UPSTREAM', c.at(`${p}.upstream.tls.insecure_skip_verify`), `${p}.upstream.tls.insecure_skip_verify`, [api.name])
    const auth = api.auth
    if (auth.type === 'jwt' && auth.secret === null) {
      const where = auth.public_key_file !== null ? `${p}.auth.public_key_file` : `${p}.auth.public_key`
      let text: string | Error | null = auth.public_key
      if (auth.public_key_file !== null) text = store.read(auth.public_key_file)
      if (text instanceof Error) { c.error('GH_CONFIG_FILE_MISSING', c.at(where), where, [auth.public_key_file as string, text.message], [c.dir]); return }
      try {
        const key = readPublicKey(text as string)
        if (auth.algorithms.length === 0) {
          const kind = key.asymmetricKeyType
          auth.algorithms = kind === 'rsa' ? ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] : kind === 'ec' ? ['ES256', 'ES384', 'ES512'] : ['EdDSA']
        }
      } catch (err) {
        c.error('GH_CONFIG_KEY_PARSE', c.at(where), where, [auth.public_key_file ?? 'public_key', (err as Error).message], ['use a PEM public key (-----BEGIN PUBLIC KEY-----) or a certificate'])
      }
    }
  })
}

function checkCaFile (c: Checker, store: FileStore, path: string, file: string): void {
  const text = store.read(file)
  if (text instanceof Error) { c.error('GH_CONFIG_FILE_MISSING', c.at(path), path, [file, text.message], [c.dir]); return }
  try { readLeaf(text) } catch (err) { c.error('GH_CONFIG_CERT_PARSE', c.at(path), path, [file, (err as Error).message]) }
}

/** Check a certificate + key pair; returns the leaf when the certificate parsed. */
function checkPair (c: Checker, store: FileStore, now: number, p: string, certFile: string, keyFile: string, passFile: string | null, serving: boolean): LeafFacts | null {
  let leaf: LeafFacts | null = null
  const certText = store.read(certFile)
  if (certText instanceof Error) {
    c.error('GH_CONFIG_FILE_MISSING', c.at(`${p}.cert_file`), `${p}.cert_file`, [certFile, certText.message], [c.dir])
  } else {
    try { leaf = readLeaf(certText) } catch (err) { c.error('GH_CONFIG_CERT_PARSE', c.at(`${p}.cert_file`), `${p}.cert_file`, [certFile, (err as Error).message]) }
  }
  if (leaf !== null) {
    const at = c.at(`${p}.cert_file`)
    const until = new Date(leaf.notAfter).toISOString()
    if (leaf.notAfter <= now) c.error('GH_CONFIG_CERT_EXPIRED', at, `${p}.cert_file`, [certFile, until])
    else if (serving && leaf.notAfter - now < EXPIRY_WARNING_DAYS * DAY_MS) c.warn('GH_CONFIG_CERT_EXPIRING', at, `${p}.cert_file`, [certFile, Math.floor((leaf.notAfter - now) / DAY_MS), until])
    if (leaf.notBefore > now) c.warn('GH_CONFIG_CERT_NOT_YET_VALID', at, `${p}.cert_file`, [certFile, new Date(leaf.notBefore).toISOString()])
  }
  let passphrase: string | null = null
  if (passFile !== null) {
    const pt = store.read(passFile)
    if (pt instanceof Error) { c.error('GH_CONFIG_FILE_MISSING', c.at(`${p}.key_passphrase_file`), `${p}.key_passphrase_file`, [passFile, pt.message], [c.dir]); return leaf }
    passphrase = passphraseOf(pt)
  }
  const keyText = store.read(keyFile)
  if (keyText instanceof Error) {
    c.error('GH_CONFIG_FILE_MISSING', c.at(`${p}.key_file`), `${p}.key_file`, [keyFile, keyText.message], [c.dir])
    return leaf
  }
  const cacheKey = `${keyFile}\0${passphrase ?? ''}`
  let key = store.keys.get(cacheKey)
  try {
    if (key === undefined) {
      key = readPrivateKey(keyText, passphrase)
      store.keys.set(cacheKey, key)
    }
  } catch (err) {
    const encrypted = isEncryptedKey(keyText)
    const hint = encrypted && passphrase === null
      ? 'the key is encrypted: set key_passphrase_file to a file holding its passphrase'
      : encrypted ? 'check that key_passphrase_file holds the right passphrase' : 'the file must hold a PEM private key (-----BEGIN PRIVATE KEY-----)'
    c.error('GH_CONFIG_KEY_PARSE', c.at(`${p}.key_file`), `${p}.key_file`, [keyFile, (err as Error).message.split('\n')[0] ?? ''], [hint])
    return leaf
  }
  if (leaf !== null && !leaf.x509.checkPrivateKey(key)) c.error('GH_CONFIG_KEY_MISMATCH', c.at(`${p}.key_file`), `${p}.key_file`, [keyFile, certFile])
  return leaf
}
