// Header rewriting between client and upstream, on Node's flat rawHeaders
// arrays ([name, value, name, value, ...]) so no header object is built per
// request. Hop-by-hop headers (RFC 9110 §7.6.1: Connection and every name it
// lists, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade) never
// cross the proxy; framing headers are re-derived on each side.

// Names dropped in both directions. Values are the reason, for reading only.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade'
])

// Request headers the proxy sets itself instead of copying.
const REQUEST_OWN = new Set([
  'host', 'content-length', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id'
])

/** Whether a lower-cased name is hop-by-hop (fixed list or `Proxy-*`). */
export function isHopByHop (name: string): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-')
}

/**
 * Extra names a `Connection` header lists (RFC 9110 §7.6.1), lower-cased, or
 * null when it lists only `keep-alive`/`close`/`upgrade` (the common case: no allocation).
 */
export function connectionTokens (value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null
  const joined = typeof value === 'string' ? value : value.join(',')
  const lower = joined.toLowerCase()
  if (lower === 'keep-alive' || lower === 'close' || lower === 'upgrade') return null
  let out: Set<string> | null = null
  for (const part of lower.split(',')) {
    const token = part.trim()
    if (token === '' || token === 'keep-alive' || token === 'close' || token === 'upgrade') continue
    if (out === null) out = new Set()
    out.add(token)
  }
  return out
}

/** What a client request's framing says; `error` is set when it must be refused with 400. */
export interface Framing {
  contentLength: string | null
  chunked: boolean
  error: boolean
}

/**
 * Reads the framing headers from rawHeaders (RFC 9112 §6.3): Content-Length
 * together with Transfer-Encoding, or differing Content-Length values, is a
 * smuggling vector and is refused; identical duplicates collapse to one.
 */
export function readFraming (raw: string[], out: Framing): Framing {
  out.contentLength = null
  out.chunked = false
  out.error = false
  let te = false
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    // Cheap length gate before lower-casing: 14 = content-length, 17 = transfer-encoding.
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      const value = (raw[i + 1] as string).trim()
      if (out.contentLength !== null && out.contentLength !== value) out.error = true
      out.contentLength = value
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      // Only `chunked` alone is accepted: another coding before it would reach the
      // upstream undeclared once the proxy re-frames the body, and a repeated or
      // non-final chunked is a smuggling shape (RFC 9112 §6.3 rule 4).
      if (te || (raw[i + 1] as string).trim().toLowerCase() !== 'chunked') out.error = true
      te = true
      out.chunked = true
    }
  }
  if (te && out.contentLength !== null) out.error = true
  return out
}

/** Per-request values the upstream head needs besides the client's own headers. */
export interface ForwardInfo {
  host: string
  clientIp: string
  proto: string
  forwardedHost: string
  requestId: string
  framing: Framing
  upgrade: string | null
}

/** The upstream request head as a flat header array. */
export function upstreamRequestHeaders (raw: string[], connection: string | string[] | undefined, info: ForwardInfo): string[] {
  const listed = connectionTokens(connection)
  const out: string[] = ['host', info.host]
  let xff: string | null = null
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const lower = name.toLowerCase()
    if (REQUEST_OWN.has(lower)) {
      if (lower === 'x-forwarded-for') xff = xff === null ? raw[i + 1] as string : `${xff}, ${raw[i + 1] as string}`
      continue
    }
    if (isHopByHop(lower) || (listed !== null && listed.has(lower))) continue
    out.push(name, raw[i + 1] as string)
  }
  // RFC 7239 §5.2 style: each proxy appends the address it received the request from.
  out.push('x-forwarded-for', xff === null ? info.clientIp : `${xff}, ${info.clientIp}`)
  out.push('x-forwarded-proto', info.proto)
  if (info.forwardedHost !== '') out.push('x-forwarded-host', info.forwardedHost)
  out.push('x-request-id', info.requestId)
  const framing = info.framing
  // A chunked body is re-chunked by the upstream client (undici refuses an explicit
  // Transfer-Encoding header; node:http needs it): only the upgrade path adds it.
  if (framing.chunked) {
    if (info.upgrade !== null) out.push('transfer-encoding', 'chunked')
  } else if (framing.contentLength !== null) {
    out.push('content-length', framing.contentLength)
  }
  if (info.upgrade !== null) out.push('connection', 'upgrade', 'upgrade', info.upgrade)
  return out
}

/** The client response head as a flat header array: upstream headers minus hop-by-hop, plus the request id. */
export function clientResponseHeaders (raw: string[], connection: string | string[] | undefined, requestId: string, keepUpgrade: boolean): string[] {
  const listed = connectionTokens(connection)
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const lower = name.toLowerCase()
    if (lower === 'x-request-id') continue
    if (keepUpgrade && (lower === 'connection' || lower === 'upgrade')) {
      out.push(name, raw[i + 1] as string)
      continue
    }
    if (isHopByHop(lower) || (listed !== null && listed.has(lower))) continue
    out.push(name, raw[i + 1] as string)
  }
  out.push('x-request-id', requestId)
  return out
}

/** Like clientResponseHeaders, from undici's raw header Buffers (latin1, as on the wire). */
export function clientResponseHeadersFromBuffers (raw: Buffer[], requestId: string): string[] {
  let connection: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer
    if (name.length === 10 && name.toString('latin1').toLowerCase() === 'connection') {
      const v = (raw[i + 1] as Buffer).toString('latin1')
      connection = connection === undefined ? v : `${connection}, ${v}`
    }
  }
  const listed = connectionTokens(connection)
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1')
    const lower = name.toLowerCase()
    if (lower === 'x-request-id' || isHopByHop(lower) || (listed !== null && listed.has(lower))) continue
    out.push(name, (raw[i + 1] as Buffer).toString('latin1'))
  }
  out.push('x-request-id', requestId)
  return out
}
