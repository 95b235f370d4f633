// Subject Alternative Names: parsing and validation of what users type after
// --san, before anything is signed. A name that a TLS client would refuse to
// match (an empty label, a wildcard that is not a whole leftmost label, a
// wildcard over a single label, an all-numeric "IP" like 999.1.1.1) is an
// error here, not a certificate that silently fails later.
import { isIPv4, isIPv6 } from 'node:net'
import { domainToASCII } from 'node:url'
import { GatehouseError } from './errors.js'

/** One SAN: its GeneralName type (RFC 5280 4.2.1.6) and its normalised value. */
export interface San {
  readonly type: 'dns' | 'ip' | 'email' | 'uri'
  readonly value: string
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/
const URI = /^[a-z][a-z0-9+.-]*:\/\//i

function invalid (input: string, why: string): never {
  throw new GatehouseError('GH_CERTS_INVALID_SAN', input, why)
}

/**
 * Checks a DNS name and returns it in lower-case A-label form. Underscores are
 * allowed because docker compose service names use them; public CAs may not,
 * a development CA can.
 */
function dnsName (input: string, name: string, allowWildcard: boolean): string {
  let host = name.endsWith('.') ? name.slice(0, -1) : name
  if (host === '') invalid(input, 'the name is empty')
  if (host === '*') invalid(input, 'a bare * matches nothing; write *.example.localhost')
  if (/[^\x00-\x7f]/.test(host)) {
    const ascii = domainToASCII(host)
    if (ascii === '') invalid(input, 'not a valid internationalised domain name')
    host = ascii
  }
  host = host.toLowerCase()
  if (host.length > 253) invalid(input, 'longer than 253 characters')
  const labels = host.split('.')
  labels.forEach((label, i) => {
    if (label === '') invalid(input, 'empty label (two dots in a row, or a leading dot)')
    if (label.includes('*')) {
      if (!allowWildcard) invalid(input, 'a wildcard is not allowed here')
      if (i !== 0 || label !== '*') invalid(input, 'a wildcard must be the whole leftmost label, once (*.example.localhost)')
      // RFC 6125 6.4.3 and Node's checkServerIdentity refuse *.tld.
      if (labels.length < 3) invalid(input, 'a wildcard needs at least two labels after it (clients refuse *.tld); write *.app.localhost')
      return
    }
    if (label.length > 63) invalid(input, `label '${label}' is longer than 63 characters`)
    if (!LABEL.test(label)) invalid(input, `label '${label}' may only hold letters, digits, '-' and '_', and may not start or end with '-'`)
  })
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) {
    invalid(input, labels.length === 4 ? 'not a valid IPv4 address (each part is 0-255)' : 'the last label is all digits, which is neither a host name nor an IP address')
  }
  return host
}

/** Parses one --san value: a DNS name, a one-label wildcard, an IPv4/IPv6 address, an email or a URI. */
export function parseSan (input: string): San {
  const raw = input.trim()
  if (raw === '') invalid(input, 'the name is empty')
  if (URI.test(raw)) {
    let url: URL
    try { url = new URL(raw) } catch { invalid(input, 'not a valid URI') }
    if (/\s/.test(raw)) invalid(input, 'a URI may not contain spaces')
    if (url.protocol === '') invalid(input, 'a URI needs a scheme')
    return { type: 'uri', value: raw }
  }
  const bracketed = /^\[(.*)\]$/.exec(raw)
  const ip = bracketed?.[1] ?? raw
  if (isIPv4(ip)) return { type: 'ip', value: ip }
  if (isIPv6(ip)) return { type: 'ip', value: normaliseIPv6(ip) }
  if (bracketed) invalid(input, 'not a valid IPv6 address')
  const at = raw.lastIndexOf('@')
  if (at !== -1) {
    const local = raw.slice(0, at)
    if (local === '' || !/^[\x21-\x7e]+$/.test(local) || local.includes('@')) invalid(input, 'not a valid email address')
    return { type: 'email', value: `${local}@${dnsName(input, raw.slice(at + 1), false)}` }
  }
  return { type: 'dns', value: dnsName(input, raw, true) }
}

/** Parses a list of --san values; rejects an empty list and drops exact duplicates. */
export function parseSans (inputs: readonly string[]): San[] {
  if (inputs.length === 0) throw new GatehouseError('GH_CERTS_NO_SAN')
  const seen = new Set<string>()
  const out: San[] = []
  for (const input of inputs) {
    const san = parseSan(input)
    const key = `${san.type}:${san.value}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(san)
  }
  return out
}

/** The address bytes of an IPv4 or IPv6 address. */
export function ipBytes (ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number))
  const [head = '', tail] = ip.split('::')
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'))
  let left = groups(head)
  let right = tail === undefined ? [] : groups(tail)
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const v4 = (list: string[]): string[] => {
    const last = list[list.length - 1]
    if (last === undefined || !last.includes('.')) return list
    const b = last.split('.').map(Number)
    return [...list.slice(0, -1), (((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16), (((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)]
  }
  if (tail === undefined) left = v4(left)
  else right = v4(right)
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0')
  const all = [...left, ...fill, ...right]
  const out = new Uint8Array(16)
  all.forEach((g, i) => {
    const n = parseInt(g, 16)
    out[i * 2] = n >> 8
    out[i * 2 + 1] = n & 0xff
  })
  return out
}

function normaliseIPv6 (ip: string): string {
  const b = ipBytes(ip)
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16))
  // RFC 5952 4.2: compress the longest run of two or more zero groups.
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue }
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > bestLen) { best = i; bestLen = j - i }
    i = j
  }
  if (best === -1) return groups.join(':')
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`
}

/** How a SAN reads in openssl's text output and in `inspect` (DNS:x, IP Address:y, email:z, URI:u). */
export function formatSan (san: San): string {
  switch (san.type) {
    case 'dns': return `DNS:${san.value}`
    case 'ip': return `IP Address:${san.value}`
    case 'email': return `email:${san.value}`
    case 'uri': return `URI:${san.value}`
  }
}
