// Key pairs for every certificate gatehouse makes. Generation and signing run
// in Node's own OpenSSL through WebCrypto (no pure-JS crypto); PEM import and
// export, including passphrase-encrypted PKCS#8, go through node:crypto's
// KeyObject, which is the same OpenSSL that `openssl pkey -passin` uses.
import { createPrivateKey, KeyObject, webcrypto } from 'node:crypto'
import { GatehouseError } from './errors.js'

/** The key types `--key-type` accepts; ec256 is the default. */
export const KEY_TYPES = ['ec256', 'ec384', 'rsa2048', 'rsa3072', 'rsa4096'] as const
/** One of KEY_TYPES. */
export type KeyType = typeof KEY_TYPES[number]

type CryptoKey = webcrypto.CryptoKey

/** A signing key unlocked in memory, with the WebCrypto algorithm its signatures use. */
export interface SigningKey {
  readonly privateKey: CryptoKey
  readonly keyType: KeyType
  /** The algorithm for `subtle.sign`: ECDSA carries its hash here, RSA in the key. */
  readonly signingAlgorithm: { name: string, hash?: string }
}

/** A freshly generated key pair. */
export interface GeneratedKey extends SigningKey {
  readonly publicKey: CryptoKey
  /** SubjectPublicKeyInfo, DER. */
  readonly spki: ArrayBuffer
}

const RSA_EXPONENT = new Uint8Array([1, 0, 1])

function importParams (keyType: KeyType): webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams {
  switch (keyType) {
    case 'ec256': return { name: 'ECDSA', namedCurve: 'P-256' }
    case 'ec384': return { name: 'ECDSA', namedCurve: 'P-384' }
    default: return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  }
}

function signingAlgorithm (keyType: KeyType): { name: string, hash?: string } {
  switch (keyType) {
    case 'ec256': return { name: 'ECDSA', hash: 'SHA-256' }
    case 'ec384': return { name: 'ECDSA', hash: 'SHA-384' }
    default: return { name: 'RSASSA-PKCS1-v1_5' }
  }
}

function rsaBits (keyType: KeyType): number {
  return keyType === 'rsa4096' ? 4096 : keyType === 'rsa3072' ? 3072 : 2048
}

/** Checks a `--key-type` value. */
export function parseKeyType (value: string): KeyType {
  if ((KEY_TYPES as readonly string[]).includes(value)) return value as KeyType
  throw new GatehouseError('GH_CERTS_INVALID_KEY_TYPE', value)
}

/** Generates a key pair of the given type in Node's OpenSSL. */
export async function generateKey (keyType: KeyType = 'ec256'): Promise<GeneratedKey> {
  const params = keyType.startsWith('rsa')
    ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: rsaBits(keyType), publicExponent: RSA_EXPONENT }
    : importParams(keyType)
  const pair = await webcrypto.subtle.generateKey(params, true, ['sign', 'verify']) as webcrypto.CryptoKeyPair
  const spki = await webcrypto.subtle.exportKey('spki', pair.publicKey)
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, spki, keyType, signingAlgorithm: signingAlgorithm(keyType) }
}

/** The key type of a node:crypto key, or a description of why it has none. */
export function keyTypeOf (key: KeyObject): KeyType | string {
  const details = key.asymmetricKeyDetails ?? {}
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return 'ec256'
    if (details.namedCurve === 'secp384r1') return 'ec384'
    return `EC ${details.namedCurve ?? 'unknown curve'}`
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0
    if (bits >= 4096) return 'rsa4096'
    if (bits >= 3072) return 'rsa3072'
    if (bits >= 2048) return 'rsa2048'
    return `RSA ${bits} bits`
  }
  return key.asymmetricKeyType ?? 'an unknown key type'
}

/** PKCS#8 PEM of a private key, encrypted with AES-256-CBC (PBES2, PBKDF2-SHA256) when a passphrase is given. */
export function exportPrivateKeyPem (key: CryptoKey | KeyObject, passphrase?: string): string {
  const object = key instanceof KeyObject ? key : KeyObject.from(key)
  if (passphrase === undefined || passphrase === '') {
    return object.export({ type: 'pkcs8', format: 'pem' }) as string
  }
  return object.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }) as string
}

/**
 * Reads a PEM private key (PKCS#8, encrypted PKCS#8 or a traditional EC/RSA key).
 * `file` only names the key in error messages.
 */
export function readPrivateKey (pem: string, file: string, passphrase?: string): KeyObject {
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)
  if (encrypted && (passphrase === undefined || passphrase === '')) {
    throw new GatehouseError('GH_CERTS_PASSPHRASE_REQUIRED', file)
  }
  try {
    return createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase: passphrase ?? '' } : { key: pem, format: 'pem' })
  } catch (err) {
    if (encrypted) throw new GatehouseError('GH_CERTS_WRONG_PASSPHRASE', file)
    throw new GatehouseError('GH_CERTS_BAD_KEY', file, (err as Error).message)
  }
}

/** Turns a node:crypto private key into a WebCrypto signing key. */
export async function toSigningKey (key: KeyObject, file: string): Promise<SigningKey> {
  const keyType = keyTypeOf(key)
  if (!(KEY_TYPES as readonly string[]).includes(keyType)) {
    throw new GatehouseError('GH_CERTS_UNSUPPORTED_KEY', file, keyType)
  }
  const kt = keyType as KeyType
  const der = key.export({ type: 'pkcs8', format: 'der' })
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, importParams(kt), false, ['sign'])
  return { privateKey, keyType: kt, signingAlgorithm: signingAlgorithm(kt) }
}
