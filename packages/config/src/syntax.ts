// Normalisers for the small languages inside config values: domains, listen
// paths, upstream URLs, CIDRs, header names, redis URLs. Each returns the
// canonical form or an explanation of what is wrong; the router, the Tyk
// importer and the tests all rely on exactly these canonical forms.

import { isIP } from 'node:net'

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/

/** Lower-cased domain without a trailing dot; `*.parent` allowed; null if invalid. */
export function normaliseDomain (raw: string): string | null {
  let d = raw.trim().toLowerCase()
  if (d.endsWith('.')) d = d.slice(0, -1)
  if (d === '' || d.length > 253) return null
  const wildcard = d.startsWith('*.')
  const rest = wildcard ? d.slice(2) : d
  if (rest === '') return null
  for (const label of rest.split('.')) if (!LABEL.test(label)) return null
  return d
}

/** Parent of a one-label wildcard or of a host: `a.example.com` -> `example.com`; '' when there is none. */
export function parentOf (host: string): string {
  const dot = host.indexOf('.')
  return dot === -1 ? '' : host.slice(dot + 1)
}

/** Whether certificate name `san` (exact or `*.parent`) covers `name` (exact or `*.parent`). */
export function sanCovers (san: string, name: string): boolean {
  if (san === name) return true
  if (!san.startsWith('*.') || name.startsWith('*.')) return false
  const parent = parentOf(name)
  return parent !== '' && parent === san.slice(2)
}

/** Canonical listen path: leading `/`, no trailing slash unless `/`; null if invalid. */
export function normaliseListenPath (raw: string): string | null {
  const p = raw.trim()
  if (!p.startsWith('/') || /[?#\s]/.test(p)) return null
  const segments = p.split('/').filter((s) => s !== '')
  if (segments.some((s) => s === '.' || s === '..')) return null
  return '/' + segments.join('/')
}

/** Canonical upstream target `http(s)://host[:port][/base]` or a reason it is not one. */
export function normaliseTarget (raw: string): { url: string } | { reason: string } {
  let u: URL
  try { u = new URL(raw.trim()) } catch { return { reason: 'not an absolute URL' } }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { reason: `scheme '${u.protocol.slice(0, -1)}' is not http or https` }
  if (u.hostname === '') return { reason: 'no host' }
  if (u.username !== '' || u.password !== '') return { reason: 'credentials in the URL are not supported' }
  if (u.search !== '' || u.hash !== '') return { reason: 'a target takes a base path, not a query or fragment' }
  const base = u.pathname.replace(/\/+$/, '')
  return { url: `${u.protocol}//${u.host}${base}` }
}

/** Canonical CIDR (`10.0.0.1` -> `10.0.0.1/32`), or null if invalid. */
export function normaliseCidr (raw: string): string | null {
  const s = raw.trim().toLowerCase()
  const slash = s.indexOf('/')
  const addr = slash === -1 ? s : s.slice(0, slash)
  const family = isIP(addr)
  if (family === 0) return null
  const max = family === 4 ? 32 : 128
  if (slash === -1) return `${addr}/${max}`
  const bits = s.slice(slash + 1)
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null
  return `${addr}/${Number(bits)}`
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** RFC 9110 section 5.6.2: a header name is a token. */
export function isHeaderName (name: string): boolean {
  return TOKEN.test(name)
}

/** Whether `raw` is a redis:// or rediss:// URL with a host. */
export function isRedisUrl (raw: string): boolean {
  try {
    const u = new URL(raw)
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== ''
  } catch {
    return false
  }
}
