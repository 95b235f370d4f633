// PKCS#12 (RFC 7292) bundles for `issue --p12`: the leaf, its chain and its
// key in one password-protected file, in the modern profile that OpenSSL 3
// reads without -legacy: the key is an encrypted PKCS#8 bag (PBES2,
// PBKDF2-HMAC-SHA256, AES-256-CBC, made by Node's OpenSSL) and the integrity
// MAC is HMAC-SHA256. The ASN.1 structure comes from @peculiar/asn1-pfx; every
// cryptographic operation is node:crypto.
import { createHash, createHmac, createPrivateKey, randomBytes } from 'node:crypto'
import { ContentInfo, id_data } from '@peculiar/asn1-cms'
import { AuthenticatedSafe, CertBag, id_certBag, id_pkcs8ShroudedKeyBag, id_x509Certificate, MacData, PFX, PKCS12Attribute, SafeBag, SafeContents } from '@peculiar/asn1-pfx'
import { DigestInfo } from '@peculiar/asn1-rsa'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import { certificateBlocks } from './pem.js'

/** The password `--p12` uses unless one is given (the same default as mkcert and Java keystores). */
export const DEFAULT_P12_PASSWORD = 'changeit'

const ID_SHA256 = '2.16.840.1.101.3.4.2.1'
const ID_FRIENDLY_NAME = '1.2.840.113549.1.9.20'
const ID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21'
const MAC_ITERATIONS = 2048

function der (value: unknown): ArrayBuffer {
  return AsnConvert.serialize(value)
}

function octets (bytes: Uint8Array): ArrayBuffer {
  return der(new OctetString(bytes))
}

function bmpString (text: string): ArrayBuffer {
  const body = Buffer.from(text, 'utf16le').swap16()
  const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length])
  return new Uint8Array(Buffer.concat([Buffer.from([0x1e]), len, body])).buffer
}

/**
 * RFC 7292 Appendix B.2 key derivation (ID 3 = MAC key), over SHA-256: the
 * password is a BMPString with a two-byte terminator.
 */
function pkcs12Kdf (password: string, salt: Buffer, iterations: number, id: number, size: number): Buffer {
  const u = 32
  const v = 64
  const pass = password === '' ? Buffer.alloc(0) : Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)])
  const fill = (src: Buffer): Buffer => {
    if (src.length === 0) return Buffer.alloc(0)
    const out = Buffer.alloc(v * Math.ceil(src.length / v))
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length] ?? 0
    return out
  }
  const D = Buffer.alloc(v, id)
  const I = Buffer.concat([fill(salt), fill(pass)])
  const blocks: Buffer[] = []
  for (let produced = 0; produced < size; produced += u) {
    let A = createHash('sha256').update(D).update(I).digest()
    for (let r = 1; r < iterations; r++) A = createHash('sha256').update(A).digest()
    blocks.push(A)
    const B = fill(A)
    for (let j = 0; j < I.length; j += v) {
      let carry = 1
      for (let k = v - 1; k >= 0; k--) {
        const sum = (I[j + k] ?? 0) + (B[k] ?? 0) + carry
        I[j + k] = sum & 0xff
        carry = sum >> 8
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, size)
}

// asn1-pfx 2.11's PKCS12Attribute constructor drops its argument
// (`Object.assign(params)`), so the fields are set after construction.
function attribute (attrId: string, value: ArrayBuffer): PKCS12Attribute {
  return Object.assign(new PKCS12Attribute(), { attrId, attrValues: [value] })
}

function attributes (localKeyId: Buffer, friendlyName: string | undefined): PKCS12Attribute[] {
  const attrs = [attribute(ID_LOCAL_KEY_ID, octets(localKeyId))]
  if (friendlyName !== undefined) attrs.unshift(attribute(ID_FRIENDLY_NAME, bmpString(friendlyName)))
  return attrs
}

/** Builds a PKCS#12 file: the first certificate of `certPem` is the key's; the rest (and `chainPem`) are its chain. */
export function toPkcs12 (certPem: string, keyPem: string, password: string = DEFAULT_P12_PASSWORD, friendlyName?: string): Buffer {
  const certs = certificateBlocks(certPem).map((b) => new Uint8Array(Buffer.from(b.replace(/-----[^-]+-----|\s/g, ''), 'base64')))
  const leaf = certs[0]
  if (!leaf) throw new Error('toPkcs12: no certificate')
  const localKeyId = createHash('sha1').update(leaf).digest()
  const encryptedKey = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: password })
  const certBags = certs.map((c, i) => new SafeBag({
    bagId: id_certBag,
    bagValue: der(new CertBag({ certId: id_x509Certificate, certValue: octets(c) })),
    ...(i === 0 ? { bagAttributes: attributes(localKeyId, friendlyName) } : {})
  }))
  const keyBag = new SafeBag({
    bagId: id_pkcs8ShroudedKeyBag,
    bagValue: new Uint8Array(encryptedKey).buffer,
    bagAttributes: attributes(localKeyId, friendlyName)
  })
  const data = (contents: SafeContents): ContentInfo => new ContentInfo({ contentType: id_data, content: octets(new Uint8Array(der(contents))) })
  const authSafe = new Uint8Array(der(new AuthenticatedSafe([data(new SafeContents(certBags)), data(new SafeContents([keyBag]))])))
  const salt = randomBytes(16)
  const macKey = pkcs12Kdf(password, salt, MAC_ITERATIONS, 3, 32)
  const mac = createHmac('sha256', macKey).update(authSafe).digest()
  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: id_data, content: octets(authSafe) }),
    macData: new MacData({
      mac: new DigestInfo({ digestAlgorithm: new AlgorithmIdentifier({ algorithm: ID_SHA256, parameters: null }), digest: new OctetString(mac) }),
      macSalt: new OctetString(salt),
      iterations: MAC_ITERATIONS
    })
  })
  return Buffer.from(der(pfx))
}
