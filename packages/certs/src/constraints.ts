// Name constraints (RFC 5280 4.2.1.10): the permitted DNS subtrees and IP
// ranges a CA may vouch for. A development CA limited to, say, `localhost`
// cannot impersonate real sites even if its key leaks. This file builds the
// extension, reads it back from CA certificates, and checks SANs against it so
// that an out-of-bounds leaf is refused before anything is signed.
import { isIPv4, isIPv6 } from 'node:net'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import { Extension, GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509'
import { x509 } from './x509.js'
import { GatehouseError } from './errors.js'
import { ipBytes, parseSan, type San } from './san.js'

/** One IP range: network address and mask, both 4 or 16 bytes. */
export interface IpRange {
  readonly address: Uint8Array
  readonly mask: Uint8Array
  /** CIDR text, e.g. 127.0.0.0/8. */
  readonly text: string
}

/** The constraints of one CA certificate, in a form that can be checked. */
export interface Constraints {
  readonly permittedDns: readonly string[]
  readonly excludedDns: readonly string[]
  readonly permittedIp: readonly IpRange[]
  readonly excludedIp: readonly IpRange[]
}

function maskOf (bits: number, length: number): Uint8Array {
  const mask = new Uint8Array(length)
  for (let i = 0; i < length; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8))
    mask[i] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff
  }
  return mask
}

function prefixLength (mask: Uint8Array): number {
  let n = 0
  for (const b of mask) for (let bit = 7; bit >= 0; bit--) if ((b >> bit) & 1) n++
  return n
}

function ipText (bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.')
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16))
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')
}

function range (address: Uint8Array, mask: Uint8Array): IpRange {
  const network = address.map((b, i) => b & (mask[i] ?? 0))
  return { address: network, mask, text: `${ipText(network)}/${prefixLength(mask)}` }
}

/** Every IPv4 address and every IPv6 address: excluded when only DNS constraints are given. */
const ALL_IPV4 = range(new Uint8Array(4), new Uint8Array(4))
const ALL_IPV6 = range(new Uint8Array(16), new Uint8Array(16))

/**
 * Parses `--name-constraint` values: DNS domains (a domain also permits its
 * subdomains; a leading dot permits only subdomains) and CIDR IP ranges. With
 * DNS constraints and no IP range, every IP address is excluded: otherwise the
 * CA could still vouch for any address.
 */
export function parseNameConstraints (inputs: readonly string[]): Constraints | null {
  if (inputs.length === 0) return null
  const permittedDns: string[] = []
  const permittedIp: IpRange[] = []
  for (const input of inputs) {
    const raw = input.trim()
    const cidr = /^\[?([0-9a-fA-F:.]+)\]?(?:\/(\d{1,3}))?$/.exec(raw)
    if (cidr && (isIPv4(cidr[1] ?? '') || isIPv6(cidr[1] ?? ''))) {
      const address = ipBytes(cidr[1] ?? '')
      const max = address.length * 8
      const bits = cidr[2] === undefined ? max : Number(cidr[2])
      if (bits > max) throw new GatehouseError('GH_CERTS_INVALID_NAME_CONSTRAINT', input, `prefix length ${bits} is longer than ${max}`)
      permittedIp.push(range(address, maskOf(bits, address.length)))
      continue
    }
    const leadingDot = raw.startsWith('.')
    let host: string
    try {
      const san = parseSan(leadingDot ? raw.slice(1) : raw)
      if (san.type !== 'dns' || san.value.includes('*')) throw new Error('not a domain')
      host = san.value
    } catch {
      throw new GatehouseError('GH_CERTS_INVALID_NAME_CONSTRAINT', input, 'not a DNS domain or an IP range')
    }
    permittedDns.push(leadingDot ? `.${host}` : host)
  }
  const excludedIp = permittedIp.length === 0 ? [ALL_IPV4, ALL_IPV6] : []
  return { permittedDns, excludedDns: [], permittedIp, excludedIp }
}

function subtrees (dns: readonly string[], ips: readonly IpRange[]): GeneralSubtrees | undefined {
  if (dns.length === 0 && ips.length === 0) return undefined
  return new GeneralSubtrees([
    ...dns.map((d) => new GeneralSubtree({ base: new GeneralName({ dNSName: d }) })),
    ...ips.map((r) => new GeneralSubtree({ base: new GeneralName({ iPAddress: r.text }) }))
  ])
}

/** The nameConstraints extension, critical as RFC 5280 4.2.1.10 requires. */
export function nameConstraintsExtension (c: Constraints): Extension {
  const params: { permittedSubtrees?: GeneralSubtrees, excludedSubtrees?: GeneralSubtrees } = {}
  const permitted = subtrees(c.permittedDns, c.permittedIp)
  const excluded = subtrees(c.excludedDns, c.excludedIp)
  if (permitted) params.permittedSubtrees = permitted
  if (excluded) params.excludedSubtrees = excluded
  return new Extension({ extnID: id_ce_nameConstraints, critical: true, extnValue: new OctetString(AsnConvert.serialize(new NameConstraints(params))) })
}

function readSubtrees (trees: GeneralSubtrees | undefined): { dns: string[], ip: IpRange[] } {
  const dns: string[] = []
  const ip: IpRange[] = []
  for (const tree of trees ?? []) {
    if (tree.base.dNSName !== undefined) dns.push(tree.base.dNSName.toLowerCase())
    if (tree.base.iPAddress !== undefined) {
      const [addr = '', bits = ''] = tree.base.iPAddress.split('/')
      const bytes = ipBytes(addr)
      ip.push(range(bytes, maskOf(Number(bits), bytes.length)))
    }
  }
  return { dns, ip }
}

/** The name constraints in a CA certificate, or null when it has none. */
export function readNameConstraints (cert: x509.X509Certificate): Constraints | null {
  const ext = cert.getExtension(id_ce_nameConstraints)
  if (!ext) return null
  const nc = AsnConvert.parse(ext.value, NameConstraints)
  const permitted = readSubtrees(nc.permittedSubtrees)
  const excluded = readSubtrees(nc.excludedSubtrees)
  return { permittedDns: permitted.dns, excludedDns: excluded.dns, permittedIp: permitted.ip, excludedIp: excluded.ip }
}

/** RFC 5280 4.2.1.10: a DNS constraint matches the name itself and any name with labels added on the left. */
function dnsWithin (name: string, base: string): boolean {
  if (base.startsWith('.')) return name.endsWith(base)
  return name === base || name.endsWith(`.${base}`)
}

function ipWithin (bytes: Uint8Array, r: IpRange): boolean {
  if (bytes.length !== r.address.length) return false
  return bytes.every((b, i) => (b & (r.mask[i] ?? 0)) === r.address[i])
}

/** Why a SAN falls outside the constraints, or null when it is within them. */
export function violation (san: San, c: Constraints): string | null {
  if (san.type === 'dns') {
    const name = san.value
    const hit = c.excludedDns.find((d) => dnsWithin(name, d))
    if (hit !== undefined) return `excluded: ${hit}`
    if (c.permittedDns.length > 0 && !c.permittedDns.some((d) => dnsWithin(name, d))) return `permitted DNS: ${c.permittedDns.join(', ')}`
  }
  if (san.type === 'email') {
    // An email's domain is checked against rfc822Name constraints only; we write none.
    return null
  }
  if (san.type === 'ip') {
    const bytes = ipBytes(san.value)
    const hit = c.excludedIp.find((r) => ipWithin(bytes, r))
    if (hit !== undefined) {
      return c.permittedDns.length > 0 && c.permittedIp.length === 0
        ? `it permits no IP addresses; permitted DNS: ${c.permittedDns.join(', ')}`
        : `excluded: ${hit.text}`
    }
    const sameFamily = c.permittedIp.filter((r) => r.address.length === bytes.length)
    if (c.permittedIp.length > 0 && !sameFamily.some((r) => ipWithin(bytes, r))) return `permitted IP ranges: ${c.permittedIp.map((r) => r.text).join(', ')}`
  }
  return null
}

/** Human summary of a CA's constraints, for `inspect`. */
export function describeConstraints (c: Constraints): string[] {
  const out: string[] = []
  for (const d of c.permittedDns) out.push(`permit DNS:${d}`)
  for (const r of c.permittedIp) out.push(`permit IP:${r.text}`)
  for (const d of c.excludedDns) out.push(`exclude DNS:${d}`)
  for (const r of c.excludedIp) out.push(`exclude IP:${r.text}`)
  return out
}
