// Candidate C for the data path (issue 4 part 3): a byte-level HTTP/1.1 proxy.
// A node:tls server whose connection handler parses request heads itself
// from the socket's buffers, writes the rewritten head plus the body bytes
// straight to a pooled keep-alive net.Socket, parses only the upstream's
// status line and headers to learn where the response ends, and pipes the
// body bytes untouched (pause/resume backpressure both ways). No
// IncomingMessage/ServerResponse/ClientRequest objects exist per request.
// A measurement prototype, not product code: see "What it skips" below.
//
// usage: node proxy-bytelevel.mjs PORT UPSTREAM_PORT CERT KEY
//
// What it does (and the bench and bench/dataplane/check-bytelevel.mjs rely on):
// - HTTP/1.1 requests only (HTTP/1.0 gets 505), head <= 16 KiB (else 431),
//   Host required and single, obs-fold/bare-LF/space-before-colon/control
//   bytes -> 400.
// - Request framing: Content-Length (single value or identical duplicates;
//   digits only) or `Transfer-Encoding: chunked` (the only coding accepted;
//   chunks parsed so the end is known, forwarded byte for byte). CL+TE,
//   differing CLs, bad CL, other codings -> 400 and the connection closes,
//   nothing reaches the upstream. A malformed chunk mid-body aborts both sockets.
// - Pipelining: requests are served one at a time in order; bytes that
//   arrive while a response is outstanding are kept and the client socket is
//   paused until the response ends.
// - Routing: one Map lookup on the Host (lower-cased, port stripped; `*` as
//   the fallback) then a segment-boundary prefix check on the listen path.
// - Head rewrite: hop-by-hop headers (fixed list, Proxy-*, names listed in
//   Connection) dropped both ways; X-Forwarded-For appended, -Proto/-Host set,
//   X-Request-Id (hyperid) created when absent and returned.
// - Response framing: 1xx heads forwarded and skipped (100 dropped: the
//   proxy answers `Expect: 100-continue` itself), HEAD/204/304 bodiless,
//   chunked (parsed, forwarded untouched), Content-Length, or close-delimited
//   (then the client connection is closed after it).
// - Pool: a LIFO free list of idle keep-alive sockets per target; a socket
//   goes back only when both the request body and the response ended cleanly
//   and the upstream did not ask to close. An idle socket that dies is
//   dropped; a bodiless GET/HEAD whose reused socket dies before any response
//   byte is retried once on a fresh connection. Connect error -> 502 JSON,
//   an upstream silent for 30 s before the response head -> 504 JSON (after it: abort); an upstream dying mid-body
//   aborts the client connection (never a truncated body presented as complete).
//
// What it skips (what making it production-correct would cost, see RESULTS.md):
// Upgrade/WebSocket (501), forwarding of an upstream's 100 Continue, HTTP/1.0
// clients, response trailers are forwarded as chunk bytes (not filtered),
// chunk-extension and trailer-size limits, request/headers timeouts beyond a
// single idle/header timer, upstream TLS, several targets / balancing,
// per-request access log and metrics, SNI, mTLS.
import tls from 'node:tls'
import net from 'node:net'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(new URL('../../packages/gateway/package.json', import.meta.url))
const hyperid = require('hyperid')
const [port, upPort, certFile, keyFile] = process.argv.slice(2)
const nextId = hyperid({ urlSafe: true })

const MAX_HEAD = 16 * 1024
const IDLE_MS = 5000 // client keep-alive / header timeout
const UPSTREAM_IDLE_MS = 4000 // pooled socket idle timeout (below the upstream's keep-alive)
const UPSTREAM_TIMEOUT_MS = 30_000
const CRLF2 = Buffer.from('\r\n\r\n')

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade'])
const isHop = (name) => HOP.has(name) || name.startsWith('proxy-')
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const TARGET = /^[\x21-\x7e]+$/
const DIGITS = /^[0-9]{1,15}$/

// Routing: host -> [{ prefix, api }], longest prefix first. One API here.
const api = { name: 'bench', target: { host: '127.0.0.1', port: Number(upPort) }, hostHeader: `127.0.0.1:${upPort}` }
const routes = new Map([['*', [{ prefix: '/', api }]]])
function route (host, target) {
  const list = routes.get(host) ?? routes.get('*')
  if (list === undefined) return null
  for (const r of list) {
    if (r.prefix === '/') return r.api
    if (target.startsWith(r.prefix) && (target.length === r.prefix.length || target[r.prefix.length] === '/' || target[r.prefix.length] === '?')) return r.api
  }
  return null
}

// ---- chunked framing: an incremental scanner that only finds the end ----
// Returns the number of bytes of `buf` (from `off`) that belong to the body;
// sets st.done at the terminating CRLF after the trailers; st.error on bad framing.
function newChunkState () { return { s: 0, size: 0, digits: 0, left: 0, lineLen: 0, done: false, error: false } }
// states: 0 size digits, 1 extension until CR, 2 LF after size line, 3 data, 4 CR after data, 5 LF after data,
// 6 trailer line start, 7 inside trailer line, 8 LF of trailer line, 9 LF of final empty line
function scanChunked (st, buf, off) {
  let i = off
  const n = buf.length
  while (i < n && !st.done) {
    const c = buf[i]
    switch (st.s) {
      case 0: {
        const h = c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1
        if (h >= 0) {
          if (++st.digits > 12) { st.error = true; return i - off }
          st.size = st.size * 16 + h; i++; break
        }
        if (st.digits === 0) { st.error = true; return i - off }
        if (c === 13) { st.s = 2; i++; break }
        if (c === 59 || c === 32 || c === 9) { st.s = 1; i++; break }
        st.error = true; return i - off
      }
      case 1:
        if (c === 13) st.s = 2
        else if (c === 10 || ++st.lineLen > 4096) { st.error = true; return i - off }
        i++; break
      case 2:
        if (c !== 10) { st.error = true; return i - off }
        i++
        if (st.size === 0) { st.s = 6 } else { st.s = 3; st.left = st.size }
        st.size = 0; st.digits = 0; st.lineLen = 0
        break
      case 3: {
        const take = Math.min(st.left, n - i)
        st.left -= take; i += take
        if (st.left === 0) st.s = 4
        break
      }
      case 4: if (c !== 13) { st.error = true; return i - off } st.s = 5; i++; break
      case 5: if (c !== 10) { st.error = true; return i - off } st.s = 0; i++; break
      case 6: if (c === 13) { st.s = 9; i++; break } st.s = 7; st.lineLen = 0; break
      case 7:
        if (c === 13) st.s = 8
        else if (c === 10 || ++st.lineLen > 8192) { st.error = true; return i - off }
        i++; break
      case 8: if (c !== 10) { st.error = true; return i - off } st.s = 6; i++; break
      case 9: if (c !== 10) { st.error = true; return i - off } st.done = true; i++; break
    }
  }
  return i - off
}

// ---- head parsing (shared by request and response) ----
// Splits a latin1 head into lines; returns null on a control byte, a bare CR/LF or obs-fold.
const CTL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/ // control bytes other than HT, CR, LF: never valid in a head
function headLines (head) {
  if (CTL.test(head)) return null
  const lines = head.split('\r\n')
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k]
    if (l.includes('\n') || l.includes('\r')) return null
    if (k > 0 && (l.charCodeAt(0) === 32 || l.charCodeAt(0) === 9)) return null
  }
  return lines
}
// Parses header lines [1..] into { names (lower), values, raw lines } or null when malformed.
function parseFields (lines) {
  const names = []; const values = []
  for (let k = 1; k < lines.length; k++) {
    const l = lines[k]
    const colon = l.indexOf(':')
    if (colon <= 0) return null
    const name = l.slice(0, colon)
    if (!TOKEN.test(name)) return null // also rejects "Name :" (space before colon)
    names.push(name.toLowerCase())
    values.push(l.slice(colon + 1).trim())
  }
  return { names, values }
}
function connectionListed (names, values) {
  let set = null
  for (let k = 0; k < names.length; k++) {
    if (names[k] !== 'connection') continue
    for (const t of values[k].toLowerCase().split(',')) {
      const tok = t.trim()
      if (tok === '' || tok === 'close' || tok === 'keep-alive') continue
      ;(set ??= new Set()).add(tok)
    }
  }
  return set
}
function hasToken (names, values, header, token) {
  for (let k = 0; k < names.length; k++) {
    if (names[k] === header && values[k].toLowerCase().split(',').some((t) => t.trim() === token)) return true
  }
  return false
}

// ---- upstream pool: a free list per target ----
const pools = new Map() // "host:port" -> Socket[]
function poolOf (target) {
  if (target.free !== undefined) return target.free // cached on the target: no key string per request
  const key = `${target.host}:${target.port}`
  let p = pools.get(key)
  if (p === undefined) { p = []; pools.set(key, p) }
  target.free = p
  return p
}
function acquire (target, fresh) {
  const free = poolOf(target)
  while (!fresh && free.length > 0) {
    const s = free.pop()
    if (!s.destroyed && s.readyState === 'open') { s.setTimeout(UPSTREAM_TIMEOUT_MS); s.reused = true; return s }
  }
  const s = net.connect({ host: target.host, port: target.port, noDelay: true })
  s.reused = false
  s.target = target
  s.ex = null // the exchange it serves, or null while idle
  s.setTimeout(UPSTREAM_TIMEOUT_MS)
  s.on('data', (b) => { if (s.ex !== null) s.ex.onUpData(b); else s.destroy() }) // bytes while idle: not trustworthy
  s.on('drain', () => { if (s.ex !== null) s.ex.client.resume() })
  s.on('timeout', () => { if (s.ex !== null) s.ex.onUpTimeout(); else s.destroy() })
  s.on('end', () => { if (s.ex !== null) s.ex.onUpEnd(); else s.destroy() })
  s.on('error', () => {})
  s.on('close', () => {
    const i = free.indexOf(s)
    if (i !== -1) free.splice(i, 1)
    if (s.ex !== null) s.ex.onUpClose()
  })
  return s
}
function release (s) {
  s.ex = null
  s.setTimeout(UPSTREAM_IDLE_MS)
  s.resume()
  poolOf(s.target).push(s)
}

// ---- client side ----
function errorReply (client, status, reason, code, requestId, close) {
  const body = `{"error":{"code":"${code}","status":${status},"request_id":"${requestId}"}}\n`
  client.write(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n` +
    `x-request-id: ${requestId}\r\n${close ? 'connection: close\r\n' : ''}\r\n${body}`)
  if (close) client.end()
}

function onConnection (client) {
  const conn = { client, pending: null, ex: null, closeAfter: false }
  client.setTimeout(IDLE_MS)
  client.on('timeout', () => { if (conn.ex === null) client.destroy() })
  client.on('error', () => {})
  client.on('data', (b) => {
    if (conn.ex !== null && !conn.ex.reqDone) { conn.ex.onClientBody(b); return }
    if (conn.closeAfter) return // answered with Connection: close; ignore whatever follows
    conn.pending = conn.pending === null ? b : Buffer.concat([conn.pending, b]) // only a head split across reads or pipelined bytes
    if (conn.ex !== null) { client.pause(); return } // pipelined: wait for the response to end
    nextRequest(conn)
  })
  client.on('drain', () => { if (conn.ex !== null && conn.ex.up !== null) conn.ex.up.resume() })
  client.on('close', () => { if (conn.ex !== null) conn.ex.abort() })
}

function nextRequest (conn) {
  const client = conn.client
  while (conn.pending !== null && conn.ex === null && !conn.closeAfter && !client.destroyed) {
    const buf = conn.pending
    const end = buf.indexOf(CRLF2)
    if (end === -1) {
      if (buf.length > MAX_HEAD) { errorReply(client, 431, 'Request Header Fields Too Large', 'header_too_large', nextId(), true); conn.pending = null }
      return
    }
    if (end > MAX_HEAD) { errorReply(client, 431, 'Request Header Fields Too Large', 'header_too_large', nextId(), true); conn.pending = null; return }
    const rest = end + 4 < buf.length ? buf.subarray(end + 4) : null
    conn.pending = null
    startRequest(conn, buf.latin1Slice(0, end), rest)
    if (conn.ex === null && rest !== null && !client.destroyed && conn.pending === null) conn.pending = rest
  }
}

function bad (conn, status, reason, code) {
  errorReply(conn.client, status, reason, code, nextId(), true)
  conn.closeAfter = true
}

function startRequest (conn, head, rest) {
  let lines = headLines(head)
  // Tolerate leading empty lines between pipelined requests (RFC 9112 §2.2).
  while (lines !== null && lines.length > 1 && lines[0] === '') lines = lines.slice(1)
  if (lines === null) return bad(conn, 400, 'Bad Request', 'bad_request')
  const rl = lines[0]
  const sp1 = rl.indexOf(' '); const sp2 = rl.lastIndexOf(' ')
  if (sp1 <= 0 || sp2 === sp1) return bad(conn, 400, 'Bad Request', 'bad_request')
  const method = rl.slice(0, sp1); const target = rl.slice(sp1 + 1, sp2); const version = rl.slice(sp2 + 1)
  if (!TOKEN.test(method) || !TARGET.test(target)) return bad(conn, 400, 'Bad Request', 'bad_request')
  if (version !== 'HTTP/1.1') return bad(conn, 505, 'HTTP Version Not Supported', 'http_version')
  const f = parseFields(lines)
  if (f === null) return bad(conn, 400, 'Bad Request', 'bad_request')
  const { names, values } = f
  let host = null; let cl = null; let te = null; let reqId = null; let xff = null; let upgrade = false; let expect = false; let close = false
  for (let k = 0; k < names.length; k++) {
    const n = names[k]; const v = values[k]
    switch (n) {
      case 'host': if (host !== null) return bad(conn, 400, 'Bad Request', 'bad_request'); host = v; break
      case 'content-length':
        if (!DIGITS.test(v) || (cl !== null && cl !== Number(v))) return bad(conn, 400, 'Bad Request', 'bad_framing')
        cl = Number(v); break
      case 'transfer-encoding': te = te === null ? v : `${te}, ${v}`; break
      case 'x-request-id': if (v !== '' && v.length <= 200) reqId = v; break
      case 'x-forwarded-for': xff = xff === null ? v : `${xff}, ${v}`; break
      case 'upgrade': upgrade = true; break
      case 'expect': if (v.toLowerCase() === '100-continue') expect = true; break
      case 'connection': if (v.toLowerCase().split(',').some((t) => t.trim() === 'close')) close = true; break
    }
  }
  if (host === null || host === '') return bad(conn, 400, 'Bad Request', 'bad_request')
  if (te !== null && cl !== null) return bad(conn, 400, 'Bad Request', 'bad_framing') // smuggling shape: never forwarded
  if (te !== null && te.toLowerCase() !== 'chunked') return bad(conn, 400, 'Bad Request', 'bad_framing')
  if (upgrade) return bad(conn, 501, 'Not Implemented', 'upgrade_unsupported')
  const requestId = reqId ?? nextId()
  const colon = host.lastIndexOf(':')
  const hostName = (colon > 0 && host[0] !== '[') || (host[0] === '[' && colon > host.indexOf(']')) ? host.slice(0, colon).toLowerCase() : host.toLowerCase()
  const a = route(hostName, target)
  if (a === null) { errorReply(conn.client, 404, 'Not Found', 'no_route', requestId, close); if (close) conn.closeAfter = true; skipBody(conn, cl, te, rest); return }

  // Rewritten head: request line, our Host, end-to-end fields as received, our own fields.
  const listed = connectionListed(names, values)
  let out = `${method} ${target} HTTP/1.1\r\nhost: ${a.hostHeader}\r\n`
  for (let k = 0; k < names.length; k++) {
    const n = names[k]
    if (n === 'host' || n === 'x-request-id' || n === 'x-forwarded-for' || n === 'x-forwarded-proto' || n === 'x-forwarded-host' ||
      n === 'expect' || n === 'content-length' || isHop(n) || (listed !== null && listed.has(n))) continue
    out += lines[k + 1] + '\r\n'
  }
  const ip = conn.client.remoteAddress ?? ''
  out += `x-forwarded-for: ${xff === null ? ip : `${xff}, ${ip}`}\r\nx-forwarded-proto: https\r\nx-forwarded-host: ${host}\r\nx-request-id: ${requestId}\r\n`
  if (te !== null) out += 'transfer-encoding: chunked\r\n'
  else if (cl !== null && (cl > 0 || method === 'POST' || method === 'PUT' || method === 'PATCH')) out += `content-length: ${cl}\r\n`
  out += 'connection: keep-alive\r\n\r\n'

  if (close) conn.closeAfter = true
  if (expect && (te !== null || (cl !== null && cl > 0))) conn.client.write('HTTP/1.1 100 Continue\r\n\r\n')
  const ex = new Exchange(conn, a, method, out, requestId, cl, te !== null)
  conn.ex = ex
  ex.send(rest, false)
}

// A request answered locally (404) still has to have its body consumed to find the next request.
function skipBody (conn, cl, te, rest) {
  if (te !== null || (cl !== null && cl > 0)) { conn.closeAfter = true; conn.client.end(); return }
  if (rest !== null) conn.pending = rest
}

class Exchange {
  constructor (conn, api, method, head, requestId, cl, chunked) {
    this.conn = conn; this.client = conn.client; this.api = api; this.method = method; this.head = head; this.requestId = requestId
    this.reqLeft = chunked ? -1 : (cl ?? 0)
    this.reqChunk = chunked ? newChunkState() : null
    this.reqDone = !chunked && this.reqLeft === 0
    this.retriable = this.reqDone && (method === 'GET' || method === 'HEAD')
    this.up = null
    this.gotResponseByte = false
    this.resHeadBuf = null
    this.resStarted = false // head written to the client
    this.resLeft = 0 // -1 chunked, -2 close-delimited
    this.resChunk = null
    this.resDone = false
    this.upReusable = true
    this.finished = false
  }

  send (rest, fresh) {
    const up = acquire(this.api.target, fresh)
    this.up = up
    up.ex = this
    up.cork()
    up.write(this.head, 'latin1')
    if (rest !== null) this.onClientBody(rest)
    up.uncork()
  }

  // Request body bytes from the client (and, past the body's end, the next request's).
  onClientBody (b) {
    let take
    if (this.reqChunk !== null) {
      take = scanChunked(this.reqChunk, b, 0)
      if (this.reqChunk.error) { this.fail(400, 'Bad Request', 'bad_framing'); return }
      if (this.reqChunk.done) this.reqDone = true
    } else {
      take = Math.min(this.reqLeft, b.length)
      this.reqLeft -= take
      if (this.reqLeft === 0) this.reqDone = true
    }
    if (take > 0 && this.up !== null && !this.up.destroyed) {
      if (!this.up.write(take === b.length ? b : b.subarray(0, take))) this.client.pause()
    }
    if (take < b.length) {
      const extra = b.subarray(take)
      this.conn.pending = this.conn.pending === null ? extra : Buffer.concat([this.conn.pending, extra])
      this.client.pause() // pipelined request: served after this response
    }
    if (this.reqDone && this.resDone) this.complete()
  }

  onUpData (b) {
    this.gotResponseByte = true
    if (!this.resStarted) {
      const buf = this.resHeadBuf === null ? b : Buffer.concat([this.resHeadBuf, b])
      let off = 0
      for (;;) {
        const end = buf.indexOf(CRLF2, off)
        if (end === -1) {
          if (buf.length - off > MAX_HEAD) { this.fail(502, 'Bad Gateway', 'bad_upstream_response'); return }
          this.resHeadBuf = off === 0 ? buf : buf.subarray(off)
          return
        }
        const r = this.onResponseHead(buf.latin1Slice(off, end))
        off = end + 4
        if (r === 'bad') { this.fail(502, 'Bad Gateway', 'bad_upstream_response'); return }
        if (r === 'final') break
      }
      this.resHeadBuf = null
      if (off === buf.length) { if (this.resDone) this.endResponse(); return }
      b = buf.subarray(off)
      if (this.resDone) { this.upReusable = false; this.endResponse(); return } // bytes after a bodiless response: do not trust the socket
    }
    this.forwardBody(b)
  }

  // Returns 'interim' for a 1xx, 'final' once the client head is written, 'bad' on a malformed head.
  onResponseHead (head) {
    const lines = headLines(head)
    if (lines === null) return 'bad'
    const m = /^HTTP\/1\.([01]) ([1-5][0-9][0-9])(?: (.*))?$/.exec(lines[0])
    if (m === null) return 'bad'
    const f = parseFields(lines)
    if (f === null) return 'bad'
    const { names, values } = f
    const status = Number(m[2])
    if (status === 101) return 'bad' // never asked for an upgrade
    const listed = connectionListed(names, values)
    let out = `HTTP/1.1 ${m[2]} ${m[3] ?? ''}\r\n`
    let cl = null; let te = null
    for (let k = 0; k < names.length; k++) {
      const n = names[k]; const v = values[k]
      if (n === 'content-length') {
        if (!DIGITS.test(v) || (cl !== null && cl !== Number(v))) return 'bad'
        cl = Number(v)
      } else if (n === 'transfer-encoding') te = te === null ? v : `${te}, ${v}`
      if (n === 'x-request-id' || isHop(n) || (listed !== null && listed.has(n))) continue
      out += lines[k + 1] + '\r\n'
    }
    if (status < 200) {
      if (status !== 100) this.client.write(out + '\r\n', 'latin1')
      return 'interim'
    }
    if (m[1] === '0' || hasToken(names, values, 'connection', 'close')) this.upReusable = false
    if (this.method === 'HEAD' || status === 204 || status === 304) {
      this.resLeft = 0; this.resDone = true
      if (te !== null && status !== 204 && status !== 304) out += `transfer-encoding: ${te}\r\n`
    } else if (te !== null) {
      // Only a final `chunked` delimits the body (RFC 9112 §6.3); anything else reads until close.
      if (te.toLowerCase().split(',').map((t) => t.trim()).pop() === 'chunked') {
        this.resLeft = -1; this.resChunk = newChunkState(); out += `transfer-encoding: ${te}\r\n`
      } else {
        this.resLeft = -2; this.upReusable = false; this.conn.closeAfter = true; out += `transfer-encoding: ${te}\r\n`
      }
    } else if (cl !== null) {
      this.resLeft = cl; if (cl === 0) this.resDone = true
    } else {
      this.resLeft = -2; this.upReusable = false; this.conn.closeAfter = true
    }
    out += `x-request-id: ${this.requestId}\r\n${this.conn.closeAfter ? 'connection: close\r\n' : ''}\r\n`
    this.client.cork()
    this.client.write(out, 'latin1')
    process.nextTick(uncorkClient, this.client) // lets the first body bytes share the head's TLS record
    this.resStarted = true
    return 'final'
  }

  forwardBody (b) {
    let take
    if (this.resLeft === -1) {
      take = scanChunked(this.resChunk, b, 0)
      if (this.resChunk.error) { this.abort(); return }
      if (this.resChunk.done) this.resDone = true
    } else if (this.resLeft === -2) {
      take = b.length
    } else {
      take = Math.min(this.resLeft, b.length)
      this.resLeft -= take
      if (this.resLeft === 0) this.resDone = true
    }
    if (take < b.length) this.upReusable = false // the upstream sent more than its framing: drop the socket
    if (take > 0 && !this.client.write(take === b.length ? b : b.subarray(0, take))) this.up.pause()
    if (this.resDone) this.endResponse()
  }

  endResponse () {
    this.resDone = true
    if (!this.reqDone) { this.upReusable = false; this.conn.closeAfter = true } // answered before the body ended
    this.complete()
  }

  complete () {
    if (this.finished) return
    this.finished = true
    const up = this.up
    if (up !== null) {
      if (this.upReusable && this.reqDone && !up.destroyed) release(up)
      else { up.ex = null; up.destroy() }
    }
    this.conn.ex = null
    if (this.conn.closeAfter) { this.client.end(); return }
    this.client.resume()
    this.client.setTimeout(IDLE_MS)
    if (this.conn.pending !== null) setImmediate(nextRequest, this.conn)
  }

  // Upstream closed the connection (end/close), timed out, or errored.
  onUpEnd () {
    if (this.resStarted && this.resLeft === -2) { this.up.ex = null; this.up = null; this.upReusable = false; this.endResponse(); return }
    this.onUpClose()
  }

  onUpClose () {
    if (this.finished) return
    const up = this.up
    if (up !== null) up.ex = null
    if (!this.gotResponseByte && up !== null && up.reused && this.retriable) {
      // A reused socket the upstream closed as we wrote: the request never reached it (RFC 9110 §9.2.2).
      this.retriable = false
      this.send(null, true)
      return
    }
    this.up = null
    if (!this.resStarted) this.fail(502, 'Bad Gateway', 'upstream_unreachable')
    else this.abort()
  }

  onUpTimeout () {
    if (!this.resStarted) this.fail(504, 'Gateway Timeout', 'upstream_timeout')
    else this.abort()
  }

  // Answer with an error while nothing was sent to the client, then close the client connection.
  fail (status, reason, code) {
    if (this.finished) return
    if (this.resStarted) { this.abort(); return }
    this.finished = true
    if (this.up !== null) { this.up.ex = null; this.up.destroy(); this.up = null }
    this.conn.ex = null
    this.conn.closeAfter = true
    this.client.resume()
    errorReply(this.client, status, reason, code, this.requestId, true)
  }

  // Tear both sides down: the client must not see a truncated body as complete.
  abort () {
    if (this.finished) return
    this.finished = true
    if (this.up !== null) { this.up.ex = null; this.up.destroy(); this.up = null }
    this.conn.ex = null
    this.client.destroy()
  }
}

function uncorkClient (c) { c.uncork() }

const server = tls.createServer({
  cert: readFileSync(certFile),
  key: readFileSync(keyFile),
  minVersion: 'TLSv1.2',
  ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
  honorCipherOrder: true,
  sessionIdContext: 'gatehouse',
  ticketKeys: randomBytes(48),
  noDelay: true
}, onConnection)
process.on('SIGINT', () => { process.exit(0) })
server.listen(Number(port), '127.0.0.1', () => { process.send?.({ ready: true, port: server.address().port }) })
