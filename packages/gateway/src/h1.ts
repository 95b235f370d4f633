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
//
// Each head is first read where it lies in the socket's buffer (scanRequest,
// scanResponse): bytes checked and field names matched in place, strings made
// only for what is kept. That covers the usual shapes; any other goes to the
// text parsers (parseRequestText, parseResponseText), which decide, so the two
// always agree (test/h1-differential.test.ts checks both over generated and
// byte-flipped heads; the four are exported for it, not by the package).

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
  /** The end-to-end fields to forward, each line as sent with its CRLF. */
  fields: string
}

/** A response head from an upstream. */
export interface ResponseHead {
  status: number
  /** Upstream spoke HTTP/1.0 or said `Connection: close`: its socket is not reused. */
  close: boolean
  /** Content-Length, -1 when absent */
  contentLength: number
  /** Transfer-Encoding ends in chunked */
  chunked: boolean
  /** The head to relay to the client: the status line (as HTTP/1.1) and the fields, each line as sent with its CRLF (hop-by-hop and framing removed). */
  head: string
  hasDate: boolean
}

// The methods the fast path serves, as constants: the request's method is not
// sliced out and hashed per request, and later comparisons find the same string.
function methodOf (head: string, sp1: number): string | null {
  switch (sp1) {
    case 3: return head.startsWith('GET') ? 'GET' : head.startsWith('PUT') ? 'PUT' : null
    case 4: return head.startsWith('HEAD') ? 'HEAD' : head.startsWith('POST') ? 'POST' : null
    case 5: return head.startsWith('PATCH') ? 'PATCH' : null
    case 6: return head.startsWith('DELETE') ? 'DELETE' : null
    case 7: return head.startsWith('OPTIONS') ? 'OPTIONS' : null
    default: return null
  }
}
// Lines of printable ASCII and HTAB joined by CRLF: no bare CR or LF, no
// control bytes, no obs-text (those go to llhttp). One linear pass. The last
// line is not empty: a head handed over with its final CRLF would otherwise
// relay an empty line, ending the upstream head early.
const PLAIN_LINES = /^(?:[\t\x20-\x7e]*\r\n)*[\t\x20-\x7e]+$/
// An upstream head may carry obs-text (relayed as sent, like llhttp does) but
// no control bytes and no bare CR or LF: a head that does is answered 502, as
// the full path's parser does.
const TEXT_LINES = /^(?:[\t\x20-\x7e\x80-\xff]*\r\n)*[\t\x20-\x7e\x80-\xff]+$/
// More fields than this are unusual enough to leave to node:http (maxHeadersCount).
const MAX_FIELDS = 100

const HTTP11 = Buffer.from('HTTP/1.1 ')

// RFC 9110 §5.6.2 tchar, by char code.
const TCHAR = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1

function isToken (s: string, from: number, to: number): boolean {
  if (from >= to) return false
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c > 127 || TCHAR[c] === 0) return false
  }
  return true
}

const isOws = (c: number): boolean => c === 32 || c === 9

// Where s[from, to) starts and ends without its leading and trailing OWS: SP
// and HTAB only (RFC 9110 §5.6.3). String#trim would also strip NBSP, which is
// obs-text to HTTP and which llhttp keeps, e.g. in `Transfer-Encoding: chunked<NBSP>`.
function owsStart (s: string, from: number, to: number): number {
  while (from < to && isOws(s.charCodeAt(from))) from++
  return from
}
function owsEnd (s: string, from: number, to: number): number {
  while (to > from && isOws(s.charCodeAt(to - 1))) to--
  return to
}

// s[from, to) without leading and trailing OWS.
function trimOws (s: string, from = 0, to = s.length): string {
  const start = owsStart(s, from, to)
  return s.slice(start, owsEnd(s, start, to))
}

// A Content-Length value (RFC 9110 §8.6): 1 to 15 digits between OWS, or -1.
function lengthValue (s: string, from: number, to: number): number {
  const start = owsStart(s, from, to)
  const end = owsEnd(s, start, to)
  if (end === start || end - start > 15) return -1
  let n = 0
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

// The field names the parsers act on, as codes: a name is matched where it
// lies in the head, case-insensitively, instead of being sliced out and
// lower-cased per line (most lines are none of these and cost one switch).
const F_OTHER = 0
const F_HOST = 1
const F_CONTENT_LENGTH = 2
const F_TRANSFER_ENCODING = 3
const F_EXPECT = 4
const F_UPGRADE = 5
const F_HTTP2_SETTINGS = 6
const F_PROXY_CONNECTION = 7
const F_CONNECTION = 8
const F_X_REQUEST_ID = 9
const F_X_FORWARDED_FOR = 10
const F_X_FORWARDED_PROTO = 11
const F_X_FORWARDED_HOST = 12
const F_KEEP_ALIVE = 13
const F_TE = 14
const F_TRAILER = 15
const F_TRAILERS = 16
const F_DATE = 17
/** Any other `Proxy-*` field. */
const F_PROXY_OTHER = 18

// The fields an upstream's head loses on the way to the client, by code:
// hop-by-hop ones, and X-Request-Id (the gateway's own is sent). Framing
// fields (Content-Length, Transfer-Encoding, Connection) are read and dropped
// by each parser itself.
const RESPONSE_HOP = new Uint8Array(F_PROXY_OTHER + 1)
for (const code of [F_X_REQUEST_ID, F_KEEP_ALIVE, F_PROXY_CONNECTION, F_PROXY_OTHER, F_TE, F_TRAILER, F_TRAILERS, F_UPGRADE]) RESPONSE_HOP[code] = 1
// What a request's head loses on the way up: hop-by-hop fields (`Proxy-*`
// is between a client and its proxy) and the X-Forwarded-* the gateway sets.
const REQUEST_HOP = new Uint8Array(F_PROXY_OTHER + 1)
for (const code of [F_X_FORWARDED_PROTO, F_X_FORWARDED_HOST, F_KEEP_ALIVE, F_TE, F_TRAILER, F_TRAILERS, F_PROXY_OTHER]) REQUEST_HOP[code] = 1
// Fields whose request is left to node:http: framing and upgrades the fast
// path does not do, and `Proxy-Connection` (llhttp reads `close` in it).
const REQUEST_REFUSED = new Uint8Array(F_PROXY_OTHER + 1)
for (const code of [F_TRANSFER_ENCODING, F_EXPECT, F_UPGRADE, F_HTTP2_SETTINGS, F_PROXY_CONNECTION]) REQUEST_REFUSED[code] = 1

// The lines of a head kept (forwarded or relayed) are copied as sent, a run
// of consecutive lines per slice of `text`: a run ends where a line is
// dropped. Offsets are the cursor's; `base` is where `text` starts in them.
class KeptRuns {
  text = ''
  base = 0
  lineStart = 0
  /** Start of the current run of kept lines, -1 when none. */
  run = -1
  kept = ''

  /** The current line goes on. */
  keep (): void {
    if (this.run === -1) this.run = this.lineStart
  }

  /** The current line is dropped: the run before it is copied. */
  drop (): void {
    if (this.run === -1) return
    this.kept += this.text.slice(this.run - this.base, this.lineStart - this.base)
    this.run = -1
  }

  /** The kept lines, each with its CRLF (the head's last line lacks one). */
  fields (): string {
    const out = this.run === -1 ? this.kept : `${this.kept}${this.text.slice(this.run - this.base)}\r\n`
    this.text = ''
    this.kept = ''
    return out
  }
}

const NO_BYTES = Buffer.alloc(0)

// The field lines of a head, one at a time, for both text parsers; names are
// matched in `bytes`, the same head as latin1 bytes from `base` (the socket's
// buffer, or a copy). One cursor per module: parsing is synchronous and never
// re-entered.
class FieldLines extends KeptRuns {
  bytes: Buffer = NO_BYTES
  pos = 0
  colon = 0
  end = 0
  /** The current field's name as one of the F_* codes. */
  name = F_OTHER

  start (head: string, pos: number, bytes: Buffer, base: number): this {
    this.text = head
    this.bytes = bytes
    this.base = base
    this.pos = pos
    this.run = -1
    this.kept = ''
    return this
  }

  /** Moves to the next line: 1 = a field, 0 = no more lines, -1 = not `token ":" value` (an obs-fold line has no token). */
  next (): number {
    const head = this.text
    const pos = this.pos
    if (pos >= head.length) return 0
    // The head's regex left no bare LF: every LF ends a CRLF.
    const lf = head.indexOf('\n', pos)
    const end = lf === -1 ? head.length : lf - 1
    const colon = head.indexOf(':', pos)
    if (colon <= pos || colon > end || !isToken(head, pos, colon)) return -1
    this.lineStart = pos
    this.colon = colon
    this.end = end
    this.pos = end + 2
    this.name = bytesFieldName(this.bytes, this.base + pos, this.base + colon)
    return 1
  }

  /** The value without its OWS. */
  value (): string { return trimOws(this.text, this.colon + 1, this.end) }
  /** The value as a Content-Length, or -1. */
  length (): number { return lengthValue(this.text, this.colon + 1, this.end) }
  /** A tab in the value (llhttp reads `close<TAB>` and `5<TAB>` differently: left to node:http). */
  valueHasTab (): boolean { return this.text.lastIndexOf('\t', this.end) > this.colon }

  override fields (): string {
    this.bytes = NO_BYTES
    return super.fields()
  }
}
const LINES = new FieldLines()

/**
 * Parses a request head, buf[0, end) without its final CRLFCRLF; null = not
 * in the fast subset. The usual shape is read where it lies (scanRequest);
 * anything else by the text parser below.
 */
export function parseRequestHead (buf: Buffer, end: number): RequestHead | null {
  const text = buf.toString('latin1', 0, end)
  return scanRequest(buf, end, text) ?? parseRequestText(text, buf, 0)
}

// Where buf[from, to) starts and ends without OWS.
function bytesOwsStart (buf: Buffer, from: number, to: number): number {
  while (from < to && isOws(buf[from] as number)) from++
  return from
}
function bytesOwsEnd (buf: Buffer, from: number, to: number): number {
  while (to > from && isOws(buf[to - 1] as number)) to--
  return to
}

function bytesHaveTab (buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] === 9) return true
  return false
}

// The field lines of a head in its buffer, one at a time, for both byte
// scanners: bytes checked as it goes (a token, a colon, value bytes, CRLF).
// Kept lines are sliced from `text`, the head's latin1 copy starting at
// `base` in the buffer. One cursor per module: scanning is synchronous and
// never re-entered.
class ByteLines extends KeptRuns {
  buf: Buffer = NO_BYTES
  pos = 0
  end = 0
  /** obs-text allowed in values (an upstream's head). */
  obsText = false
  count = 0
  colon = 0
  lineEnd = 0
  /** The current field's name as one of the F_* codes. */
  name = F_OTHER

  start (buf: Buffer, text: string, base: number, pos: number, end: number, obsText: boolean, run: number): this {
    this.buf = buf
    this.text = text
    this.base = base
    this.pos = pos
    this.end = end
    this.obsText = obsText
    this.count = 0
    this.run = run
    this.kept = ''
    return this
  }

  /** Moves to the next line: 1 = a field, 0 = no more lines, -1 = not the usual shape (the text parser decides). */
  next (): number {
    const buf = this.buf
    const end = this.end
    let p = this.pos
    if (p >= end) return 0
    const lineStart = p
    while (p < end && TCHAR[buf[p] as number] === 1) p++
    if (p === lineStart || p === end || buf[p] !== 58 /* : */) return -1
    this.colon = p
    p++
    if (this.obsText) while (p < end && isText(buf[p] as number)) p++
    else while (p < end && isPlain(buf[p] as number)) p++
    this.lineEnd = p
    if (p < end) {
      if (p + 2 >= end || buf[p] !== 13 || buf[p + 1] !== 10) return -1
      p += 2
    }
    if (++this.count > MAX_FIELDS) return -1
    this.lineStart = lineStart
    this.pos = p
    this.name = bytesFieldName(buf, lineStart, this.colon)
    return 1
  }

  /** The value without its OWS ('' when empty). */
  value (): string {
    const a = bytesOwsStart(this.buf, this.colon + 1, this.lineEnd)
    return this.text.slice(a - this.base, bytesOwsEnd(this.buf, a, this.lineEnd) - this.base)
  }

  override fields (): string {
    this.buf = NO_BYTES
    return super.fields()
  }
}
const BYTE_LINES = new ByteLines()

/**
 * The usual request head read where it lies (bytes checked and names matched
 * in the buffer, strings sliced from `text`, its latin1 copy): one Host, at
 * most one Content-Length, X-Request-Id and X-Forwarded-For, Connection
 * exactly `close` or `keep-alive`. null = not that shape: the text parser
 * decides, so both always agree.
 */
export function scanRequest (buf: Buffer, end: number, text: string): RequestHead | null {
  let p = 0
  while (p < end && p < 8 && buf[p] !== 32) p++
  const sp1 = p
  const method = methodOf(text, sp1)
  if (method === null || buf[sp1 + 1] !== 47 /* / */) return null
  p = sp1 + 1
  // The target: visible ASCII (no SP, HTAB, control bytes or obs-text).
  while (p < end && (buf[p] as number) > 32 && (buf[p] as number) < 127) p++
  const sp2 = p
  if (end - sp2 < 11 || buf[sp2] !== 32 || buf[sp2 + 9] !== 13 || buf[sp2 + 10] !== 10) return null
  for (let i = 0; i < 8; i++) if (buf[sp2 + 1 + i] !== HTTP11[i]) return null
  p = sp2 + 11
  let host: string | null = null
  let contentLength = -1
  let close = false
  let requestId: string | null = null
  let forwardedFor: string | null = null
  // No obs-text in a request's values: those heads go to llhttp.
  const f = BYTE_LINES.start(buf, text, 0, p, end, false, -1)
  let at: number
  while ((at = f.next()) === 1) {
    const colon = f.colon
    const lineEnd = f.lineEnd
    const name = f.name
    if (REQUEST_REFUSED[name] === 1) return null
    if (REQUEST_HOP[name] === 1) {
      f.drop()
      continue
    }
    switch (name) {
      case F_HOST: {
        const value = f.value()
        if (host !== null || value === '') return null
        host = value
        break
      }
      case F_CONTENT_LENGTH: {
        const n = bytesLength(buf, colon + 1, lineEnd)
        if (contentLength !== -1 || n === -1 || bytesHaveTab(buf, colon + 1, lineEnd)) return null
        contentLength = n
        break
      }
      case F_CONNECTION:
        if (bytesHaveTab(buf, colon + 1, lineEnd)) return null
        if (bytesValueIs(buf, colon + 1, lineEnd, V_CLOSE)) close = true
        else if (!bytesValueIs(buf, colon + 1, lineEnd, N_KEEP_ALIVE)) return null
        break
      case F_X_REQUEST_ID: {
        if (requestId !== null) return null
        requestId = f.value()
        break
      }
      case F_X_FORWARDED_FOR: {
        if (forwardedFor !== null) return null
        forwardedFor = f.value()
        break
      }
      default:
        f.keep()
        continue
    }
    f.drop()
  }
  const fields = f.fields()
  if (at === -1 || host === null) return null
  return { method, target: text.slice(sp1 + 1, sp2), host, contentLength, close, requestId, forwardedFor, fields }
}

/** The text parser of request heads (without the final CRLFCRLF); null = not in the fast subset. */
export function parseRequestText (head: string, bytes: Buffer = Buffer.from(head, 'latin1'), base = 0): RequestHead | null {
  if (!PLAIN_LINES.test(head)) return null
  const lineEnd = head.indexOf('\r\n')
  if (lineEnd === -1) return null // no Host
  const sp1 = head.indexOf(' ')
  if (sp1 <= 0 || sp1 > lineEnd) return null
  const method = methodOf(head, sp1)
  if (method === null) return null
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
  let count = 0
  const f = LINES.start(head, lineEnd + 2, bytes, base)
  let at: number
  while ((at = f.next()) === 1) {
    if (++count > MAX_FIELDS || REQUEST_REFUSED[f.name] === 1) return null
    if (REQUEST_HOP[f.name] === 1) {
      f.drop()
      continue
    }
    switch (f.name) {
      case F_HOST: {
        const value = f.value()
        if (host !== null || value === '') return null
        host = value
        break
      }
      case F_CONTENT_LENGTH: {
        const n = f.length()
        if (contentLength !== -1 || n === -1 || f.valueHasTab()) return null
        contentLength = n
        break
      }
      case F_CONNECTION: {
        if (f.valueHasTab()) return null
        const v = f.value().toLowerCase()
        if (v === 'keep-alive') break
        if (v === 'close') { close = true; break }
        if (!connectionIsPlain(v)) return null
        if (v.includes('close')) close = true
        break
      }
      case F_X_REQUEST_ID: {
        // Joined like node:http joins duplicates (then refused as an id by the proxy).
        const value = f.value()
        requestId = requestId === null ? value : `${requestId}, ${value}`
        break
      }
      case F_X_FORWARDED_FOR: {
        const value = f.value()
        forwardedFor = forwardedFor === null ? value : `${forwardedFor}, ${value}`
        break
      }
      default:
        f.keep()
        continue
    }
    f.drop()
  }
  const fields = f.fields()
  if (at === -1 || host === null) return null
  return { method, target, host, contentLength, close, requestId, forwardedFor, fields }
}

// `keep-alive, close` and the like: only those two tokens, no header names to strip.
function connectionIsPlain (v: string): boolean {
  for (const part of v.split(',')) {
    const t = trimOws(part)
    if (t !== 'close' && t !== 'keep-alive') return false
  }
  return true
}

// `HTTP/1.x NNN[ reason]`: the status, or -1.
function statusOf (head: string, lineEnd: number): number {
  if (lineEnd < 12 || !head.startsWith('HTTP/1.', 0) || head.charCodeAt(8) !== 32) return -1
  const minor = head.charCodeAt(7)
  if (minor !== 48 && minor !== 49) return -1
  let status = 0
  for (let i = 9; i < 12; i++) {
    const d = head.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    status = status * 10 + d
  }
  if (status < 100 || (lineEnd > 12 && head.charCodeAt(12) !== 32)) return -1
  return status
}

/**
 * Parses an upstream response head, buf[start, end) without its final
 * CRLFCRLF; null = malformed or ambiguous. The usual shape is read where it
 * lies (scanResponse); anything else by the text parser below.
 */
export function parseResponseHead (buf: Buffer, start: number, end: number): ResponseHead | null {
  const text = buf.toString('latin1', start, end)
  return scanResponse(buf, start, end, text) ?? parseResponseText(text, buf, start)
}

// Whether an upstream's field value or reason phrase may hold byte c: HTAB, SP to `~`, obs-text.
function isText (c: number): boolean {
  return c >= 0x20 ? c !== 0x7f : c === 9
}

// Whether a request's field value may hold byte c: HTAB, SP to `~`.
function isPlain (c: number): boolean {
  return c >= 0x20 ? c < 0x7f : c === 9
}

// buf[at, at + lower.length) equals `lower` ignoring ASCII case (the bytes were
// checked to be tchar: `| 0x20` folds only letters onto letters there).
function bytesNamed (buf: Buffer, at: number, lower: Uint8Array): boolean {
  for (let i = 0; i < lower.length; i++) {
    if (((buf[at + i] as number) | 0x20) !== lower[i]) return false
  }
  return true
}

// The names and values matched, as bytes: compared without a string access per byte.
const N_TE = Buffer.from('te')
const N_HOST = Buffer.from('host')
const N_DATE = Buffer.from('date')
const N_EXPECT = Buffer.from('expect')
const N_UPGRADE = Buffer.from('upgrade')
const N_TRAILER = Buffer.from('trailer')
const N_TRAILERS = Buffer.from('trailers')
const N_CONNECTION = Buffer.from('connection')
const N_KEEP_ALIVE = Buffer.from('keep-alive')
const N_X_REQUEST_ID = Buffer.from('x-request-id')
const N_CONTENT_LENGTH = Buffer.from('content-length')
const N_HTTP2_SETTINGS = Buffer.from('http2-settings')
const N_X_FORWARDED_FOR = Buffer.from('x-forwarded-for')
const N_X_FORWARDED_HOST = Buffer.from('x-forwarded-host')
const N_PROXY_CONNECTION = Buffer.from('proxy-connection')
const N_TRANSFER_ENCODING = Buffer.from('transfer-encoding')
const N_X_FORWARDED_PROTO = Buffer.from('x-forwarded-proto')
const N_PROXY = Buffer.from('proxy-')
const V_CLOSE = Buffer.from('close')
const V_CHUNKED = Buffer.from('chunked')

// The code of the field name buf[from, to).
function bytesFieldName (buf: Buffer, from: number, to: number): number {
  switch (to - from) {
    case 2: return bytesNamed(buf, from, N_TE) ? F_TE : F_OTHER
    case 4: return bytesNamed(buf, from, N_HOST) ? F_HOST : bytesNamed(buf, from, N_DATE) ? F_DATE : F_OTHER
    case 6: return bytesNamed(buf, from, N_EXPECT) ? F_EXPECT : bytesProxyOther(buf, from, to)
    case 7: return bytesNamed(buf, from, N_UPGRADE) ? F_UPGRADE : bytesNamed(buf, from, N_TRAILER) ? F_TRAILER : bytesProxyOther(buf, from, to)
    case 8: return bytesNamed(buf, from, N_TRAILERS) ? F_TRAILERS : bytesProxyOther(buf, from, to)
    case 10: return bytesNamed(buf, from, N_CONNECTION) ? F_CONNECTION : bytesNamed(buf, from, N_KEEP_ALIVE) ? F_KEEP_ALIVE : bytesProxyOther(buf, from, to)
    case 12: return bytesNamed(buf, from, N_X_REQUEST_ID) ? F_X_REQUEST_ID : bytesProxyOther(buf, from, to)
    case 14: return bytesNamed(buf, from, N_CONTENT_LENGTH) ? F_CONTENT_LENGTH : bytesNamed(buf, from, N_HTTP2_SETTINGS) ? F_HTTP2_SETTINGS : bytesProxyOther(buf, from, to)
    case 15: return bytesNamed(buf, from, N_X_FORWARDED_FOR) ? F_X_FORWARDED_FOR : bytesProxyOther(buf, from, to)
    case 16: return bytesNamed(buf, from, N_X_FORWARDED_HOST) ? F_X_FORWARDED_HOST : bytesNamed(buf, from, N_PROXY_CONNECTION) ? F_PROXY_CONNECTION : bytesProxyOther(buf, from, to)
    case 17: return bytesNamed(buf, from, N_TRANSFER_ENCODING) ? F_TRANSFER_ENCODING : bytesNamed(buf, from, N_X_FORWARDED_PROTO) ? F_X_FORWARDED_PROTO : bytesProxyOther(buf, from, to)
    default: return bytesProxyOther(buf, from, to)
  }
}

function bytesProxyOther (buf: Buffer, from: number, to: number): number {
  return to - from >= 6 && bytesNamed(buf, from, N_PROXY) ? F_PROXY_OTHER : F_OTHER
}

// buf[from, to) without OWS equals `lower`, ignoring ASCII case.
function bytesValueIs (buf: Buffer, from: number, to: number, lower: Uint8Array): boolean {
  while (from < to && isOws(buf[from] as number)) from++
  while (to > from && isOws(buf[to - 1] as number)) to--
  if (to - from !== lower.length) return false
  for (let i = 0; i < lower.length; i++) {
    const c = buf[from + i] as number
    // Only letters fold: a value byte is any TEXT byte here.
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== lower[i]) return false
  }
  return true
}

// A Content-Length value buf[from, to): 1 to 15 digits between OWS, or -1.
function bytesLength (buf: Buffer, from: number, to: number): number {
  while (from < to && isOws(buf[from] as number)) from++
  while (to > from && isOws(buf[to - 1] as number)) to--
  if (to === from || to - from > 15) return -1
  let n = 0
  for (let i = from; i < to; i++) {
    const d = (buf[i] as number) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * The usual upstream head read where it lies, without a string per line:
 * `HTTP/1.1 NNN reason`, fields of valid bytes, at most one Content-Length
 * value, Transfer-Encoding exactly `chunked`, Connection exactly `close` or
 * `keep-alive`. The kept lines are sliced out in runs, as the text parser
 * does. null = not that shape: the text parser decides (and answers the
 * malformed ones), so both always agree.
 */
export function scanResponse (buf: Buffer, start: number, end: number, text: string): ResponseHead | null {
  // `HTTP/1.1 ` (case-sensitive) then three digits and SP.
  if (end - start < 13 || buf[start + 12] !== 32) return null
  for (let i = 0; i < 9; i++) if (buf[start + i] !== HTTP11[i]) return null
  let status = 0
  for (let i = start + 9; i < start + 12; i++) {
    const d = (buf[i] as number) - 48
    if (d < 0 || d > 9) return null
    status = status * 10 + d
  }
  if (status < 100) return null
  let p = start + 13
  while (p < end && isText(buf[p] as number)) p++
  // A CRLF with a field line after it: a head never ends in CRLF (the text parser refuses it).
  if (p + 2 >= end || buf[p] !== 13 || buf[p + 1] !== 10) return null
  p += 2
  let close = false
  let contentLength = -1
  let chunked = false
  let hasDate = false
  // The status line starts the first run of kept lines.
  const f = BYTE_LINES.start(buf, text, start, p, end, true, start)
  let at: number
  while ((at = f.next()) === 1) {
    const colon = f.colon
    const lineEnd = f.lineEnd
    const name = f.name
    if (RESPONSE_HOP[name] === 1) {
      f.drop()
      continue
    }
    switch (name) {
      case F_CONTENT_LENGTH: {
        const n = bytesLength(buf, colon + 1, lineEnd)
        if (n === -1 || (contentLength !== -1 && contentLength !== n)) return null
        contentLength = n
        break
      }
      case F_TRANSFER_ENCODING:
        if (chunked || !bytesValueIs(buf, colon + 1, lineEnd, V_CHUNKED)) return null
        chunked = true
        break
      case F_CONNECTION:
        if (bytesValueIs(buf, colon + 1, lineEnd, V_CLOSE)) close = true
        else if (!bytesValueIs(buf, colon + 1, lineEnd, N_KEEP_ALIVE)) return null
        break
      case F_DATE:
        hasDate = true
        f.keep()
        continue
      default:
        f.keep()
        continue
    }
    f.drop()
  }
  const head = f.fields()
  if (at === -1 || (chunked && contentLength !== -1)) return null
  return { status, close, contentLength, chunked, head, hasDate }
}

/** The text parser of upstream heads (without the final CRLFCRLF); null = malformed or ambiguous. */
export function parseResponseText (head: string, bytes: Buffer = Buffer.from(head, 'latin1'), base = 0): ResponseHead | null {
  if (!TEXT_LINES.test(head)) return null
  let lineEnd = head.indexOf('\r\n')
  if (lineEnd === -1) lineEnd = head.length
  const status = statusOf(head, lineEnd)
  if (status === -1) return null
  let close = head.charCodeAt(7) === 48
  let contentLength = -1
  let te: string | null = null
  let listed: Set<string> | null = null
  let hasDate = false
  const f = LINES.start(head, lineEnd + 2, bytes, base)
  // The status line and its reason phrase are relayed as sent (TEXT_LINES
  // checked its bytes): as the start of the first run of kept lines, or
  // rebuilt as HTTP/1.1 when the upstream spoke HTTP/1.0 or left out the SP
  // that ends a status line without a reason.
  if (close || lineEnd === 12) f.kept = `HTTP/1.1 ${status} ${head.slice(13, lineEnd)}\r\n`
  else f.run = 0
  let at: number
  while ((at = f.next()) === 1) {
    if (RESPONSE_HOP[f.name] === 1) {
      f.drop()
      continue
    }
    switch (f.name) {
      case F_CONTENT_LENGTH: {
        const n = f.length()
        if (n === -1) return null
        if (contentLength !== -1 && contentLength !== n) return null
        contentLength = n
        break
      }
      case F_TRANSFER_ENCODING: {
        const value = f.value()
        te = te === null ? value : `${te}, ${value}`
        break
      }
      case F_CONNECTION: {
        const v = f.value().toLowerCase()
        if (v === 'keep-alive') break
        if (v === 'close') { close = true; break }
        for (const part of v.split(',')) {
          const t = trimOws(part)
          if (t === 'close') close = true
          else if (t !== '' && t !== 'keep-alive') (listed ??= new Set()).add(t)
        }
        break
      }
      case F_DATE:
        hasDate = true
        f.keep()
        continue
      default:
        f.keep()
        continue
    }
    f.drop()
  }
  let fields = f.fields()
  if (at === -1) return null
  // Names a Connection header lists are hop-by-hop too (rare: filtered only then).
  if (listed !== null) fields = withoutListed(fields, listed)
  let chunked = false
  if (te !== null) {
    // RFC 9112 §6.1: a message with both is a smuggling shape; only a final `chunked` delimits the body.
    if (contentLength !== -1) return null
    const codings = te.toLowerCase().split(',')
    if (trimOws(codings[codings.length - 1] as string) !== 'chunked') return null
    for (let i = 0; i < codings.length - 1; i++) if (trimOws(codings[i] as string) === 'chunked') return null
    chunked = true
    // Other codings (gzip before chunked) stay declared to the client.
    if (codings.length > 1) fields += `transfer-encoding: ${codings.slice(0, -1).map((c) => trimOws(c)).join(', ')}\r\n`
  }
  return { status, close, contentLength, chunked, head: fields, hasDate }
}

// Drops the `name: value\r\n` lines whose (lower-cased) name is in `listed`; the status line stays.
function withoutListed (fields: string, listed: Set<string>): string {
  let pos = fields.indexOf('\r\n') + 2
  let out = fields.slice(0, pos)
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
