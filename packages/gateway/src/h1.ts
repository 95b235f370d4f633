// HTTP/1.1 head parsing for the fast path (fastpath.ts). The request parser
// accepts only a strict, unambiguous subset of RFC 9112: one request line
// `METHOD SP origin-form SP HTTP/1.1`, `token ":" OWS value OWS` fields of
// printable ASCII, CRLF line ends, one Host, at most one Content-Length of
// digits, and no Transfer-Encoding, Expect, Upgrade or Connection options
// other than keep-alive/close. Anything else returns null and the connection
// goes to node:http, whose llhttp parser gives the hardened answer (400, 431,
// chunked bodies, upgrades...). So the fast path never has to decide a
// framing question on its own: the upstream sees one Content-Length or none,
// and bodies are forwarded by count. The response parser reads what the
// upstream sends (CL, chunked, close-delimited, 1xx) and rejects the
// ambiguous shapes (CL with TE, differing CLs) as a broken upstream.

/** A request head the fast path can forward. */
export interface RequestHead {
  method: string
  /** origin-form target, as sent */
  target: string
  /** Host header value, as sent (trimmed) */
  host: string
  /** Content-Length, -1 when absent */
  contentLength: number
  /** `Connection: close` was sent */
  close: boolean
  /** X-Request-Id value as sent, or null */
  requestId: string | null
  /** X-Forwarded-For values joined, or null */
  forwardedFor: string | null
  /** The end-to-end fields to forward, each `name: value\r\n` (names as sent). */
  fields: string
}

/** A response head from an upstream. */
export interface ResponseHead {
  status: number
  reason: string
  /** Upstream spoke HTTP/1.0 or said `Connection: close`: its socket is not reused. */
  close: boolean
  /** Content-Length, -1 when absent */
  contentLength: number
  /** Transfer-Encoding ends in chunked */
  chunked: boolean
  /** The fields to relay to the client, each `name: value\r\n` (hop-by-hop and framing removed). */
  fields: string
  hasDate: boolean
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const DIGITS = /^[0-9]{1,15}$/
// Anything but HTAB, CR, LF and printable ASCII: obs-text and control bytes go to llhttp.
const NOT_PLAIN = /[^\t\r\n\x20-\x7e]/
// Control bytes llhttp refuses in a field value (HTAB, CR, LF aside): an upstream
// head carrying them is answered 502, as the full path's parser does.
const CTL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/
// A CR not followed by LF or an LF not preceded by CR.
const BARE_EOL = /\r(?!\n)|(?<!\r)\n/
// The reason phrase may carry obs-text (RFC 9112 §4), relayed as sent like llhttp does.
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9][0-9][0-9])(?: ([\t\x20-\x7e\x80-\xff]*))?$/
// More fields than this are unusual enough to leave to node:http (maxHeadersCount).
const MAX_FIELDS = 100

/** Parses a request head (without its final CRLFCRLF); null = not in the fast subset. */
export function parseRequestHead (head: string): RequestHead | null {
  if (NOT_PLAIN.test(head) || BARE_EOL.test(head)) return null
  const lineEnd = head.indexOf('\r\n')
  if (lineEnd === -1) return null // no Host
  const sp1 = head.indexOf(' ')
  if (sp1 <= 0 || sp1 > lineEnd) return null
  const method = head.slice(0, sp1)
  if (!METHODS.has(method)) return null
  const sp2 = head.indexOf(' ', sp1 + 1)
  if (sp2 === -1 || sp2 > lineEnd || lineEnd - sp2 !== 9 || !head.startsWith('HTTP/1.1', sp2 + 1)) return null
  if (head.charCodeAt(sp1 + 1) !== 47 /* / */) return null
  const target = head.slice(sp1 + 1, sp2)
  if (target.indexOf('\t') !== -1) return null

  let host: string | null = null
  let contentLength = -1
  let close = false
  let requestId: string | null = null
  let forwardedFor: string | null = null
  let fields = ''
  let count = 0
  let pos = lineEnd + 2
  while (pos < head.length) {
    if (++count > MAX_FIELDS) return null
    let end = head.indexOf('\r\n', pos)
    if (end === -1) end = head.length
    const colon = head.indexOf(':', pos)
    if (colon <= pos || colon > end) return null // also an obs-fold line (starts with SP/HTAB: no token)
    const name = head.slice(pos, colon)
    if (!TOKEN.test(name)) return null
    const value = head.slice(colon + 1, end).trim()
    pos = end + 2
    const lower = name.toLowerCase()
    switch (lower) {
      case 'host':
        if (host !== null || value === '') return null
        host = value
        continue
      case 'content-length':
        // llhttp refuses a tab after the digits (400): any tab goes to node:http.
        if (contentLength !== -1 || !DIGITS.test(value) || head.lastIndexOf('\t', end) > colon) return null
        contentLength = Number(value)
        continue
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
      case 'http2-settings':
      // llhttp reads `Proxy-Connection: close` as Connection: close.
      case 'proxy-connection':
        return null
      case 'connection': {
        // llhttp does not read `close<TAB>` as close: tabs go to node:http.
        if (head.lastIndexOf('\t', end) > colon) return null
        const v = value.toLowerCase()
        if (v === 'keep-alive') continue
        if (v === 'close') { close = true; continue }
        if (!connectionIsPlain(v)) return null
        if (v.includes('close')) close = true
        continue
      }
      case 'x-request-id':
        // Joined like node:http joins duplicates (then refused as an id by the proxy).
        requestId = requestId === null ? value : `${requestId}, ${value}`
        continue
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === null ? value : `${forwardedFor}, ${value}`
        continue
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
      case 'keep-alive':
      case 'te':
      case 'trailer':
      case 'trailers':
        continue
      default:
        if (lower.startsWith('proxy-')) continue
        fields += `${name}: ${value}\r\n`
    }
  }
  if (host === null) return null
  return { method, target, host, contentLength, close, requestId, forwardedFor, fields }
}

// `keep-alive, close` and the like: only those two tokens, no header names to strip.
function connectionIsPlain (v: string): boolean {
  for (const part of v.split(',')) {
    const t = part.trim()
    if (t !== 'close' && t !== 'keep-alive') return false
  }
  return true
}

/** Parses an upstream response head (without its final CRLFCRLF); null = malformed or ambiguous. */
export function parseResponseHead (head: string): ResponseHead | null {
  if (CTL.test(head) || BARE_EOL.test(head)) return null
  let lineEnd = head.indexOf('\r\n')
  if (lineEnd === -1) lineEnd = head.length
  const m = STATUS_LINE.exec(head.slice(0, lineEnd))
  if (m === null) return null
  const status = Number(m[2])
  let close = m[1] === '0'
  let contentLength = -1
  let te: string | null = null
  let listed: Set<string> | null = null
  let hasDate = false
  let fields = ''
  let pos = lineEnd + 2
  while (pos < head.length) {
    let end = head.indexOf('\r\n', pos)
    if (end === -1) end = head.length
    const colon = head.indexOf(':', pos)
    if (colon <= pos || colon > end) return null
    const name = head.slice(pos, colon)
    if (!TOKEN.test(name)) return null
    const value = head.slice(colon + 1, end).trim()
    pos = end + 2
    const lower = name.toLowerCase()
    switch (lower) {
      case 'content-length': {
        if (!DIGITS.test(value)) return null
        const n = Number(value)
        if (contentLength !== -1 && contentLength !== n) return null
        contentLength = n
        continue
      }
      case 'transfer-encoding':
        te = te === null ? value : `${te}, ${value}`
        continue
      case 'connection':
        for (const part of value.toLowerCase().split(',')) {
          const t = part.trim()
          if (t === 'close') close = true
          else if (t !== '' && t !== 'keep-alive') (listed ??= new Set()).add(t)
        }
        continue
      case 'x-request-id':
      case 'keep-alive':
      case 'proxy-connection':
      case 'te':
      case 'trailer':
      case 'trailers':
      case 'upgrade':
        continue
      case 'date':
        hasDate = true
        break
    }
    if (lower.startsWith('proxy-')) continue
    fields += `${name}: ${value}\r\n`
  }
  // Names a Connection header lists are hop-by-hop too (rare: filtered only then).
  if (listed !== null) fields = withoutListed(fields, listed)
  let chunked = false
  if (te !== null) {
    // RFC 9112 §6.1: a message with both is a smuggling shape; only a final `chunked` delimits the body.
    if (contentLength !== -1) return null
    const codings = te.toLowerCase().split(',')
    if ((codings[codings.length - 1] as string).trim() !== 'chunked') return null
    for (let i = 0; i < codings.length - 1; i++) if ((codings[i] as string).trim() === 'chunked') return null
    chunked = true
    // Other codings (gzip before chunked) stay declared to the client.
    if (codings.length > 1) fields += `transfer-encoding: ${codings.slice(0, -1).map((c) => c.trim()).join(', ')}\r\n`
  }
  return { status, reason: m[3] ?? '', close, contentLength, chunked, fields, hasDate }
}

// Drops the `name: value\r\n` lines whose (lower-cased) name is in `listed`.
function withoutListed (fields: string, listed: Set<string>): string {
  let out = ''
  let pos = 0
  while (pos < fields.length) {
    const end = fields.indexOf('\r\n', pos) + 2
    const line = fields.slice(pos, end)
    if (!listed.has(line.slice(0, line.indexOf(':')).toLowerCase())) out += line
    pos = end
  }
  return out
}

/** The state of an incremental chunked-body scanner. */
export interface ChunkScan {
  state: number
  size: number
  digits: number
  left: number
  lineLen: number
  done: boolean
  error: boolean
}

/** A fresh chunked-body scanner. */
export function newChunkScan (): ChunkScan {
  return { state: 0, size: 0, digits: 0, left: 0, lineLen: 0, done: false, error: false }
}

// States: 0 size digits, 1 chunk extension until CR, 2 LF after the size line,
// 3 data, 4 CR after data, 5 LF after data, 6 trailer line start, 7 inside a
// trailer line, 8 LF of a trailer line, 9 LF of the final empty line.
/**
 * Scans chunked framing from `off` without decoding it; returns how many bytes
 * belong to the body. Sets `done` after the last CRLF, `error` on bad framing.
 */
export function scanChunked (st: ChunkScan, buf: Buffer, off: number): number {
  let i = off
  const n = buf.length
  while (i < n && !st.done) {
    const c = buf[i] as number
    switch (st.state) {
      case 0: {
        const lc = c | 32
        const h = c >= 48 && c <= 57 ? c - 48 : lc >= 97 && lc <= 102 ? lc - 87 : -1
        if (h >= 0) {
          if (++st.digits > 12) { st.error = true; return i - off }
          st.size = st.size * 16 + h
          i++
          break
        }
        if (st.digits === 0) { st.error = true; return i - off }
        if (c === 13) st.state = 2
        else if (c === 59 || c === 32 || c === 9) st.state = 1
        else { st.error = true; return i - off }
        i++
        break
      }
      case 1:
        if (c === 13) st.state = 2
        else if (c === 10 || ++st.lineLen > 4096) { st.error = true; return i - off }
        i++
        break
      case 2:
        if (c !== 10) { st.error = true; return i - off }
        i++
        if (st.size === 0) st.state = 6
        else { st.state = 3; st.left = st.size }
        st.size = 0
        st.digits = 0
        st.lineLen = 0
        break
      case 3: {
        const take = Math.min(st.left, n - i)
        st.left -= take
        i += take
        if (st.left === 0) st.state = 4
        break
      }
      case 4:
        if (c !== 13) { st.error = true; return i - off }
        st.state = 5
        i++
        break
      case 5:
        if (c !== 10) { st.error = true; return i - off }
        st.state = 0
        i++
        break
      case 6:
        if (c === 13) { st.state = 9; i++; break }
        st.state = 7
        st.lineLen = 0
        break
      case 7:
        if (c === 13) st.state = 8
        else if (c === 10 || ++st.lineLen > 8192) { st.error = true; return i - off }
        i++
        break
      case 8:
        if (c !== 10) { st.error = true; return i - off }
        st.state = 6
        i++
        break
      case 9:
        if (c !== 10) { st.error = true; return i - off }
        st.done = true
        i++
        break
    }
  }
  return i - off
}
