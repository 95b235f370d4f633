// Reading the certificate and key files a config refers to, with Node's own
// OpenSSL (X509Certificate, createPrivateKey): each file is read once per
// load into a `Sources` record (its bytes are part of the table's version
// hash), and the facts compile() needs are derived from those same bytes.

import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** What load() read: the config text and every referenced file, by absolute path (UTF-8). */
export interface Sources {
  /** Absolute path of the config file. */
  file: string
  /** The config file's text as read. */
  text: string
  /** Referenced certificate / key / CA / passphrase files: absolute path -> contents. */
  files: Record<string, string>
  /** What load() learnt from each serving certificate file (so compile() need not parse it again). */
  leaves: Record<string, LeafSummary>
}

/** Plain-data facts about a certificate file's leaf. */
export interface LeafSummary {
  chainPem: string
  dnsNames: string[]
  notAfter: number
  serial: string
  fingerprint256: string
}

/** The plain-data part of parsed leaf facts. */
export function summarise (leaf: LeafFacts): LeafSummary {
  return { chainPem: leaf.chainPem, dnsNames: leaf.dnsNames, notAfter: leaf.notAfter, serial: leaf.x509.serialNumber.toUpperCase(), fingerprint256: leaf.x509.fingerprint256 }
}

/** Reads each referenced file once; a failed read is remembered as its error message. */
export class FileStore {
  readonly files: Record<string, string> = {}
  readonly leaves: Record<string, LeafSummary> = {}
  /** Private keys already loaded in this load, by file + passphrase (wildcard estates share keys). */
  readonly keys = new Map<string, KeyObject>()
  readonly #failed = new Map<string, string>()

  /** The file's text, or an Error whose message says why it could not be read. */
  read (path: string): string | Error {
    const have = this.files[path]
    if (have !== undefined) return have
    const failed = this.#failed.get(path)
    if (failed !== undefined) return new Error(failed)
    try {
      const text = readFileSync(path, 'utf8')
      this.files[path] = text
      return text
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message
      this.#failed.set(path, why)
      return new Error(why)
    }
  }
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g

/** PEM blocks of the given label, in file order, each ending with a newline. */
export function pemBlocks (text: string, label: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(BLOCK)) if (m[1] === label) out.push(m[0] + '\n')
  return out
}

/** Facts about a certificate file's leaf that the loader and compile() use. */
export interface LeafFacts {
  x509: X509Certificate
  /** Leaf first, then intermediates, PEM. */
  chainPem: string
  /** Lower-cased DNS SANs. */
  dnsNames: string[]
  /** IP SANs as written by OpenSSL. */
  ipAddresses: string[]
  notBefore: number
  notAfter: number
}

/** Parse a PEM certificate file (leaf first); throws with OpenSSL's reason. */
export function readLeaf (text: string): LeafFacts {
  const blocks = pemBlocks(text, 'CERTIFICATE')
  if (blocks.length === 0) throw new Error('no -----BEGIN CERTIFICATE----- block')
  // Only the leaf is parsed here; the chain is parsed again by every worker's
  // createSecureContext, which reports a broken intermediate at startup.
  const x509 = new X509Certificate(blocks[0] as string)
  const dnsNames: string[] = []
  const ipAddresses: string[] = []
  for (const part of (x509.subjectAltName ?? '').split(', ')) {
    if (part.startsWith('DNS:')) dnsNames.push(part.slice(4).toLowerCase())
    else if (part.startsWith('IP Address:')) ipAddresses.push(part.slice(11).toLowerCase())
  }
  return { x509, chainPem: blocks.join(''), dnsNames, ipAddresses, notBefore: Date.parse(x509.validFrom), notAfter: Date.parse(x509.validTo) }
}

/** First line of a passphrase file, without its line ending. */
export function passphraseOf (text: string): string {
  return (text.split(/\r?\n/)[0] ?? '')
}

/** Load a private key (decrypting with `passphrase` when given); throws with OpenSSL's reason. */
export function readPrivateKey (text: string, passphrase: string | null): KeyObject {
  return passphrase === null ? createPrivateKey({ key: text, format: 'pem' }) : createPrivateKey({ key: text, format: 'pem', passphrase })
}

/** Whether a PEM private key file is encrypted (then the table carries a decrypted copy). */
export function isEncryptedKey (text: string): boolean {
  return text.includes('ENCRYPTED')
}

/** Parse a PEM public key, or a certificate whose public key is meant; throws when neither. */
export function readPublicKey (text: string): KeyObject {
  const cert = pemBlocks(text, 'CERTIFICATE')[0]
  return cert !== undefined ? new X509Certificate(cert).publicKey : createPublicKey({ key: text, format: 'pem' })
}
