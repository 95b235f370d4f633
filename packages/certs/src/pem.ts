// PEM helpers shared by the CA, leaf, file and inspect code: split a bundle
// into certificates, and tell a self-signed root from the certificates a
// server should send.
import { x509 } from './x509.js'
import { GatehouseError } from './errors.js'

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** The PEM blocks of every certificate in a bundle, in order. */
export function certificateBlocks (pem: string): string[] {
  return pem.match(CERT_BLOCK) ?? []
}

/** Parses every certificate in a PEM bundle; `file` names the source in errors. */
export function parseCertificates (pem: string, file: string): x509.X509Certificate[] {
  const blocks = certificateBlocks(pem)
  if (blocks.length === 0) throw new GatehouseError('GH_CERTS_BAD_CERT', file)
  try {
    return blocks.map((b) => new x509.X509Certificate(b))
  } catch {
    throw new GatehouseError('GH_CERTS_BAD_CERT', file)
  }
}

/** True when the certificate names itself as issuer (a root). */
export function isSelfIssued (cert: x509.X509Certificate): boolean {
  return cert.subject === cert.issuer
}

/** PEM text of certificates, one after the other, ending in a newline. */
export function toPem (certs: readonly x509.X509Certificate[]): string {
  return certs.map((c) => `${c.toString('pem').trim()}\n`).join('')
}

/** The common name of a certificate, or its whole subject when it has none. */
export function commonName (cert: x509.X509Certificate): string {
  return cert.subjectName.getField('CN')[0] ?? cert.subject
}
