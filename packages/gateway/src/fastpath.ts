// The fast path: ordinary HTTP/1.1 requests proxied byte-level. A TLS
// connection starts here; each request head is parsed from the socket's
// buffer (h1.ts, a strict subset), routed with the same router and rules as
// proxy.ts, and its rewritten head plus the body bytes go straight to a pooled
// keep-alive socket of the upstream. Only the response's status line and
// fields are parsed; the body is relayed untouched (Content-Length or chunked)
// or chunked on the way (close-delimited), with pause/resume backpressure both
// ways. No IncomingMessage, ServerResponse or header object exists per request:
// this halves the CPU a keep-alive request costs (bench/RESULTS.md).
//
// Whatever is not plainly ordinary goes to node:http for the rest of the
// connection (`handOff`): a head split across reads, anything h1.ts refuses
// (chunked request bodies, Expect, Upgrade, HTTP/1.0, odd bytes), a request
// that would be answered with a gateway error before reaching an upstream
// (no route, bad target, mTLS), and an upstream reached over TLS. The bytes
// already read are put back, so node:http sees the connection as if it had
// been its own from that request on. Upstream failures after the request was
// sent are answered here, with the same JSON errors, retry and timeout rules.
import net, { type Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { STATUS_CODES } from 'node:http'
import { performance } from 'node:perf_hooks'
import { parseRequestHead, parseResponseHead, newChunkScan, scanChunked, type RequestHead, type ChunkScan } from './h1.js'
import { acceptRequestId, admitHost, answerClientError, errorBody, recordRequest, requestTimeoutBody, newRequestId, pickPool, stripTarget, CONNECT_FAILED, IDEMPOTENT, type Answered, type ApiRoute, type PlaneState, type RouteStats } from './proxy.js'
import { POOL_IDLE_MS, POOL_MAX_FREE, type UpstreamPool } from './pool.js'
import { ERRORS, type GatewayErrorCode } from './errors.js'
import { kBytesRead } from './symbols.js'
import { readInto, reserve, scratch, owned, kept, slabOf, hold, release as releaseSlab, type Slab } from './client-read.js'
import { normalizeHost } from './router.js'
import { SendProgress, logClientStopped } from './send-progress.js'

/** What the fast path needs from the data plane besides PlaneState. */
export interface FastPlane extends PlaneState {
  /** Gives a connection to node:http (call after the bytes read were put back). */
  handOff(socket: TLSSocket): void
  /** Connections the fast path serves (drain closes the idle ones). */
  fastConnections: Set<FastConn>
  /** Counters: requests served here, connections handed to node:http, connections read into supplied memory, body slabs reused. */
  fastStats: { requests: number, handoffs: number, readsInto: number, readonly slabsReused: number }
}

const kConn = Symbol('gatehouse.fastpath.conn')
const kUp = Symbol('gatehouse.fastpath.exchange')
const kPool = Symbol('gatehouse.fastpath.pool')

// node:http's default maxHeaderSize: a longer head goes to node:http for its 431.
const MAX_HEAD = 16 * 1024
const CRLF2 = Buffer.from('\r\n\r\n')
const LAST_CHUNK = Buffer.from('0\r\n\r\n')

/** One client connection on the fast path. */
export class FastConn {
  plane: FastPlane
  socket: TLSSocket
  /** Bytes read but not yet used: the next request head (pipelined or not yet parsed). */
  pending: Buffer | null = null
  ex: FastExchange | null = null
  /** Close once the current response ends (client asked, draining, or an unread body). */
  closeAfter = false
  /** node:http serves the connection now. */
  handedOff = false
  /** The connection's timer (headers, keep-alive or request timeout) and the length it was armed with (ms). */
  timer: NodeJS.Timeout | null = null
  timerMs = 0
  /** No request has started yet: its timeout is the headers timeout, answered 408. */
  fresh = true
  /** The timer is the send timeout (timeouts.send): a response waits for the client to take it. */
  sending = false
  /** The client's progress, for the send timer. */
  sent = new SendProgress()
  /** The slab whose reserved region the next read lands in (else the shared scratch, client-read.ts); held until that read has been handled or the connection closed. */
  region: Slab | null = null
  /** The client's address for X-Forwarded-For, read once: net's getter checks the handle on every call. */
  ip: string
  /** The last Host header value as sent, and normalized (normalizeHost). */
  rawHost = ''
  host = ''
  constructor (plane: FastPlane, socket: TLSSocket) {
    this.plane = plane
    this.socket = socket
    this.ip = socket.remoteAddress ?? ''
  }
}

/** Starts serving a new TLS connection on the fast path. */
export function serveFast (plane: FastPlane, socket: TLSSocket): void {
  const conn = new FastConn(plane, socket)
  ;(socket as unknown as Record<symbol, FastConn>)[kConn] = conn
  plane.fastConnections.add(conn)
  for (const [event, handler] of CLIENT_HANDLERS) socket.on(event, handler)
  const t = plane.current.table.timeouts
  clientTimer(conn, t.headersMs > 0 ? t.headersMs : t.keepAliveMs)
  if (readInto(socket, onClientRead, nextClientRead)) {
    plane.fastStats.readsInto++
    // Bytes pushed before the switch (a request that came with the handshake's last flight).
    const early = socket.readableLength > 0 ? socket.read() as Buffer | null : null
    socket.resume()
    if (early !== null) onClientData.call(socket, early)
  } else {
    socket.on('data', onClientData)
  }
}

// The fast path's timeouts are timers of its own, not net's socket timeouts:
// net re-arms a socket's timer on every read and write (a clock read and a
// move in the timer list, four per request over the two sockets), and none of
// these timeouts needs that. Each timer is re-armed where its interval
// starts: the headers timeout when the connection opens, keep-alive when a
// response has ended, the request timeout when a body starts, the upstream
// timeout when the request has gone up (while a body is still going up, or
// the response body comes down, onUpTimeout re-arms it as long as bytes
// move: it fires at most once per timeout, not per chunk). Re-armed with the same
// length, a timer is refreshed in place: nothing is allocated. Length 0
// stops it (the connection or socket is gone or handed over).
function rearm<T> (timer: NodeJS.Timeout | null, armedMs: number, ms: number, fn: (arg: T) => void, arg: T): NodeJS.Timeout | null {
  if (timer !== null && armedMs === ms) return timer.refresh()
  if (timer !== null) clearTimeout(timer)
  return ms > 0 ? setTimeout(fn, ms, arg).unref() : null
}

// While a bodiless request waits for its upstream the keep-alive timer keeps
// running: onClientTimer ignores it then.
function clientTimer (conn: FastConn, ms: number): void {
  conn.timer = rearm(conn.timer, conn.timerMs, ms, onClientTimer, conn)
  conn.timerMs = ms
  conn.sending = false
}

// A response the client is slow to take (its write queue full, or bytes still
// queued when the keep-alive timer fires) is bounded by timeouts.send
// (send-progress.ts): the connection's timer becomes the send timer.
function sendTimer (conn: FastConn): void {
  const t = conn.plane.current.table.timeouts
  // timeouts.send 0 (no limit) still looks again each keep-alive interval, to start keep-alive once all is taken.
  clientTimer(conn, t.sendMs > 0 ? t.sendMs : t.keepAliveMs)
  conn.sending = true
  conn.sent.mark(conn.socket.writableLength)
}

/** Closes the fast-path connections that have no request in flight (drain). */
export function closeIdleFast (plane: FastPlane): void {
  for (const conn of plane.fastConnections) {
    if (conn.ex !== null || conn.pending !== null) continue
    // An answer still queued is let out first (the drain deadline bounds it).
    if (conn.socket.writableLength > 0) conn.socket.destroySoon()
    else conn.socket.destroy()
  }
}

function connOf (socket: TLSSocket): FastConn {
  return (socket as unknown as Record<symbol, FastConn>)[kConn] as FastConn
}

// A bug in the fast path must cost one connection, never the worker.
function onClientData (this: TLSSocket, chunk: Buffer): void {
  try {
    clientData(this, chunk)
  } catch (err) {
    crashed(connOf(this), err)
  }
}

// The connection whose read was just handled: the generator net calls after
// each read (nextClientRead) takes no arguments.
let reading: FastConn | null = null
let readBytes = 0
// Only a read at least this long earns the next one a reserved region: after a
// short read the next lands in the scratch (copied by `owned` when kept), so a
// body sent in small records neither pins 16 KiB per record in the upstream's
// queue (UP_WRITE_HWM counts bytes, not views) nor holds a region while idle.
const SHORT_READ = 4 * 1024

function onClientRead (this: TLSSocket, n: number, buf: Buffer): boolean {
  const conn = connOf(this)
  reading = conn
  readBytes = n
  const chunk = n === buf.length ? buf : buf.subarray(0, n)
  // node:http did not take the handle over (it does unless it cannot): feed its 'data' listener.
  if (conn.handedOff) return this.push(Buffer.from(chunk))
  try {
    clientData(this, chunk)
    // A pipelined request, or bytes after a body: kept past this read.
    if (conn.pending !== null) conn.pending = kept(conn.pending)
  } catch (err) {
    crashed(conn, err)
  }
  return true
}

// A connection streaming a request body reads into regions that the writes
// upstream may keep; any other into the shared scratch.
function nextClientRead (): Buffer | undefined {
  const conn = reading
  reading = null
  // Unknown reader: the handle keeps its buffer, and a region in it stays held.
  if (conn === null) return undefined
  const ex = conn.ex
  // The region the read just handled landed in: the upstream writes of its
  // bytes hold it now, if any does. Released only once the handle has another
  // buffer to read into.
  const done = conn.region
  let next: Buffer | undefined
  if (ex !== null && !ex.reqDone && !conn.handedOff && readBytes >= SHORT_READ) {
    next = reserve()
    conn.region = slabOf(next)
  } else if (done !== null) {
    conn.region = null
    next = scratch()
  }
  if (done !== null) releaseSlab(done)
  return next
}

function crashed (conn: FastConn, err: unknown): void {
  conn.plane.log({ level: 'error', msg: 'fast path failed', err: (err as Error).stack ?? String(err) })
  const ex = conn.ex
  if (ex !== null) ex.abort()
  conn.socket.destroy()
}

function clientData (socket: TLSSocket, chunk: Buffer): void {
  const conn = connOf(socket)
  const ex = conn.ex
  if (ex !== null && !ex.reqDone) {
    ex.onClientBody(chunk)
    return
  }
  if (conn.closeAfter) return
  conn.pending = conn.pending === null ? chunk : Buffer.concat([conn.pending, chunk])
  if (ex !== null || socket.writableNeedDrain) {
    // A pipelined request waits until the current response has ended, and any
    // request until the client has taken the answers before it: a client that
    // sends without reading never makes the gateway queue more than one answer.
    socket.pause()
    return
  }
  nextRequest(conn)
}

function onClientDrain (this: TLSSocket): void {
  const conn = connOf(this)
  conn.sent.drains++
  const ex = conn.ex
  if (ex === null) {
    if (conn.pending !== null) setImmediate(resumeConn, conn)
    return
  }
  if (ex.up !== null) {
    // Resumed after a pause that may have lasted the whole interval: the next
    // stall check waits again instead of counting the pause as silence.
    ex.upGot = -1
    ex.up.resume()
  }
}

function onClientTimer (conn: FastConn): void {
  const socket = conn.socket
  if (conn.handedOff || socket.destroyed) return
  const ex = conn.ex
  if (ex !== null && !ex.reqDone) {
    ex.requestTimedOut()
    return
  }
  // An answer still going out is not idle: the keep-alive timer counts from its last byte taken.
  if (conn.sending || socket.writableLength > 0) {
    onSendTimer(conn)
    return
  }
  if (ex === null) {
    if (conn.fresh) {
      // No whole request head within timeouts.headers: the 408 node:http answers there.
      answerClientError(REQUEST_TIMEOUT, socket)
      socket.destroySoon()
      return
    }
    // Keep-alive idle timeout: closed without a word, as node:http does.
    socket.destroy()
  }
}

// With no keep-alive limit (timeouts.keep_alive 0) no timer would notice an
// answer the client never takes: the send timer looks after its tail.
function keepAliveTimer (conn: FastConn): void {
  const ms = conn.plane.current.table.timeouts.keepAliveMs
  clientTimer(conn, ms)
  if (ms === 0 && conn.socket.writableLength > 0) sendTimer(conn)
}

function onSendTimer (conn: FastConn): void {
  const socket = conn.socket
  const left = socket.writableLength
  const t = conn.plane.current.table.timeouts
  if (left === 0) {
    // All taken: idle from here (or the exchange goes on, and its next full queue arms the timer again).
    clientTimer(conn, t.keepAliveMs)
    return
  }
  if (!conn.sending || t.sendMs === 0 || conn.sent.moved(left)) {
    sendTimer(conn)
    return
  }
  const ex = conn.ex
  logClientStopped(conn.plane, left, ex === null ? undefined : ex.requestId)
  if (ex !== null) ex.abort()
  socket.destroy()
}

function onClientEnd (this: TLSSocket): void {
  const conn = connOf(this)
  const ex = conn.ex
  if (ex === null) {
    this.end()
    return
  }
  // Half-closed after a complete request: answer it, then close.
  if (ex.reqDone) conn.closeAfter = true
  else ex.abort()
}

function onClientError (this: TLSSocket): void {
  this.destroy()
}

function onClientClose (this: TLSSocket): void {
  const conn = connOf(this)
  conn.plane.fastConnections.delete(conn)
  clientTimer(conn, 0)
  // A region reserved for a read that will not come.
  if (conn.region !== null) {
    releaseSlab(conn.region)
    conn.region = null
  }
  const ex = conn.ex
  if (ex !== null) ex.clientGone()
}

// The client socket's handlers while the fast path serves it (removed by handOff).
const CLIENT_HANDLERS: ReadonlyArray<readonly [string, (this: TLSSocket, ...args: any[]) => void]> = [
  ['drain', onClientDrain],
  ['end', onClientEnd], ['error', onClientError], ['close', onClientClose]
]

/** Gives the connection to node:http, the bytes not yet used put back first. */
function handOff (conn: FastConn): void {
  const socket = conn.socket
  for (const [event, handler] of CLIENT_HANDLERS) socket.removeListener(event, handler)
  socket.removeListener('data', onClientData)
  clientTimer(conn, 0)
  conn.handedOff = true
  conn.plane.fastConnections.delete(conn)
  conn.plane.fastStats.handoffs++
  socket.pause()
  if (conn.pending !== null) {
    socket.unshift(kept(conn.pending))
    conn.pending = null
  }
  conn.plane.handOff(socket)
  socket.resume()
}

function nextRequest (conn: FastConn): void {
  const buf = conn.pending as Buffer
  const end = buf.indexOf(CRLF2)
  if (end === -1 || end > MAX_HEAD) {
    handOff(conn)
    return
  }
  const head = parseRequestHead(buf, end)
  if (head === null) {
    handOff(conn)
    return
  }
  const plane = conn.plane
  const socket = conn.socket
  // Clients send the same Host on every request of a connection: normalized
  // once, and the route lookup then hashes the same string each time.
  if (head.host !== conn.rawHost) {
    conn.rawHost = head.host
    conn.host = normalizeHost(head.host)
  }
  const r = admitHost(plane, head.target, conn.host)
  if (typeof r === 'string' || (r.mtls && socket.authorized !== true)) {
    handOff(conn)
    return
  }
  const pool = pickPool(r)
  if (pool.https) {
    handOff(conn)
    return
  }
  conn.pending = end + 4 < buf.length ? buf.subarray(end + 4) : null
  if (head.close || plane.draining) conn.closeAfter = true
  const ex = new FastExchange(conn, r, pool, head)
  conn.ex = ex
  conn.fresh = false
  plane.fastStats.requests++
  ex.begin()
}

const REQUEST_TIMEOUT = { code: 'ERR_HTTP_REQUEST_TIMEOUT' }

// The reason given when the client went away.
const STATUS_CLIENT_GONE = 499

/**
 * One request on the fast path. Every field is declared up front (one hidden
 * class); the upstream socket's handlers find it through a symbol, so no
 * closure is created per request (STYLE #5).
 */
class FastExchange implements Answered {
  conn: FastConn
  client: TLSSocket
  route: ApiRoute
  stats: RouteStats
  pool: UpstreamPool
  /** The pool whose in-flight count this request holds. */
  counted: UpstreamPool | null = null
  head: RequestHead
  requestId: string
  target: string
  start: number
  upstreamStart = 0
  upstreamMs = 0
  attempts = 0
  bytesIn0: number
  bytesOut0: number
  /** Request body bytes still to come from the client. */
  reqLeft: number
  up: Socket | null = null
  upError = ''
  gotResponseByte = false
  resHeadBuf: Buffer | null = null
  resStarted = false
  /** The client response head, until written with the first body bytes. */
  headOut: string | null = null
  status = 0
  /** >= 0 bytes left, -1 chunked (relayed as is), -2 until the upstream closes (chunked on the way). */
  resLeft = 0
  resChunk: ChunkScan | null = null
  resDone = false
  upReusable = true
  finished = false
  /** The upstream socket's bytesWritten when its timer was last armed while the body goes up. */
  upSent = -1
  /** The upstream socket's bytesRead when its timer was last armed while the response body comes down. */
  upGot = -1
  constructor (conn: FastConn, route: ApiRoute, pool: UpstreamPool, head: RequestHead) {
    this.conn = conn
    this.client = conn.socket
    this.route = route
    this.stats = route.stats
    this.pool = pool
    this.head = head
    this.requestId = acceptRequestId(head.requestId ?? undefined) ?? newRequestId()
    this.target = stripTarget(route, head.target)
    this.start = performance.now()
    // Only the access log reads them: bytesWritten copies the socket's write queue.
    if (conn.plane.accessLog !== null) {
      const sock = conn.socket as unknown as Record<symbol, number | undefined>
      this.bytesIn0 = sock[kBytesRead] ?? 0
      this.bytesOut0 = conn.socket.bytesWritten
    } else {
      this.bytesIn0 = 0
      this.bytesOut0 = 0
    }
    this.reqLeft = head.contentLength > 0 ? head.contentLength : 0
  }

  /** The whole request body has arrived. */
  get reqDone (): boolean { return this.reqLeft === 0 }

  begin (): void {
    const conn = this.conn
    const t = conn.plane.current.table.timeouts
    // A body that stops arriving is cut like node:http's requestTimeout would
    // (onClientBody bounds the total); timeouts.request 0 is no limit (DESIGN.md).
    if (!this.reqDone) clientTimer(conn, t.requestMs)
    this.send(false)
    if (this.reqDone) return
    const rest = conn.pending
    conn.pending = null
    if (rest !== null) this.onClientBody(rest)
  }

  /** The upstream request head for the current pool. */
  upstreamHead (): string {
    const h = this.head
    const pool = this.pool
    const ip = this.conn.ip
    const host = this.route.preserveHost ? h.host : pool.hostHeader
    let out = `${h.method} ${pool.basePath}${this.target} HTTP/1.1\r\nhost: ${host}\r\n${h.fields}` +
      `x-forwarded-for: ${h.forwardedFor === null ? ip : `${h.forwardedFor}, ${ip}`}\r\n` +
      `x-forwarded-proto: https\r\nx-forwarded-host: ${h.host}\r\nx-request-id: ${this.requestId}\r\n`
    if (h.contentLength >= 0) out += `content-length: ${h.contentLength}\r\n`
    else if (h.method === 'POST' || h.method === 'PUT' || h.method === 'PATCH') out += 'content-length: 0\r\n'
    return out + 'connection: keep-alive\r\n\r\n'
  }

  send (fresh: boolean): void {
    const pool = this.pool
    this.attempts++
    if (this.counted !== null) this.counted.active--
    pool.active++
    this.counted = pool
    const up = acquire(pool, fresh)
    this.up = up
    this.upError = ''
    ;(up as unknown as Record<symbol, FastExchange | null>)[kUp] = this
    // The first attempt leaves in the turn the request started in.
    this.upstreamStart = this.attempts === 1 ? this.start : performance.now()
    // Kept armed while the socket idles in the pool (the sweep below retires
    // idle sockets); re-armed per request, from here or from the body's end.
    upTimer(up, this.route.timeoutMs)
    up.write(this.upstreamHead(), 'latin1')
    // A body to send: its progress is what the timer looks at (onUpTimeout).
    if (!this.reqDone) this.upSent = up.bytesWritten
  }

  /** Request body bytes from the client; what follows the body is the next request. */
  onClientBody (b: Buffer): void {
    // timeouts.request bounds the whole request: the socket's idle timer alone
    // would let a body trickled a byte at a time run forever.
    const requestMs = this.conn.plane.current.table.timeouts.requestMs
    if (requestMs > 0 && performance.now() - this.start > requestMs) {
      this.requestTimedOut()
      return
    }
    const take = Math.min(this.reqLeft, b.length)
    this.reqLeft -= take
    const up = this.up
    if (take > 0 && up !== null && !up.destroyed) {
      // A TLS read yields 16 KiB records one callback each: with more body to
      // come, the writes of this turn of the loop leave in one writev.
      if (this.reqLeft > 0 && up.writableCorked === 0) {
        up.cork()
        setImmediate(uncork, up)
      }
      // Backpressure: stop reading the client until the upstream drains. A
      // turn's corked records that fill the queue leave now; the client waits
      // only if the kernel did not take them.
      if (!writeBody(up, owned(take === b.length ? b : b.subarray(0, take)))) {
        if (up.writableCorked > 0) {
          up.uncork()
          up.cork()
        }
        if (up.writableLength >= UP_WRITE_HWM) this.client.pause()
      }
    }
    if (take < b.length) {
      const extra = b.subarray(take)
      const conn = this.conn
      conn.pending = conn.pending === null ? extra : Buffer.concat([conn.pending, extra])
      this.client.pause()
    }
    if (this.reqLeft === 0) {
      // The upstream's time to answer counts from the end of the request.
      if (up !== null && !up.destroyed) upTimer(up, this.route.timeoutMs)
      // An early answer the client stopped taking while the body still came (clientFull left the request timer on).
      const conn = this.conn
      if (!conn.sending && this.client.writableNeedDrain) sendTimer(conn)
      if (this.resDone) this.complete()
    }
  }

  onUpData (b: Buffer): void {
    this.gotResponseByte = true
    if (!this.resStarted) {
      const buf = this.resHeadBuf === null ? b : Buffer.concat([this.resHeadBuf, b])
      let off = 0
      for (;;) {
        const end = buf.indexOf(CRLF2, off)
        if (end === -1) {
          if (buf.length - off > MAX_HEAD) { this.brokeUpstream('response head too large'); return }
          // Kept past this read: copied out of the shared read buffer.
          this.resHeadBuf = Buffer.from(off === 0 ? buf : buf.subarray(off))
          return
        }
        const r = this.onResponseHead(buf, off, end)
        off = end + 4
        if (r === 0) return // answered with an error
        if (r === 2) break
      }
      this.resHeadBuf = null
      if (off === buf.length) {
        this.writeHead()
        if (this.resDone) this.endResponse()
        return
      }
      b = buf.subarray(off)
      if (this.resDone) {
        // Bytes after a complete bodiless response: the socket is not trustworthy.
        this.writeHead()
        this.upReusable = false
        this.endResponse()
        return
      }
    }
    this.forwardBody(b)
  }

  // 0 = answered with an error, 1 = an interim (1xx) head skipped, 2 = the client head is written.
  onResponseHead (buf: Buffer, start: number, end: number): number {
    const h = parseResponseHead(buf, start, end)
    if (h === null || h.status === 101) {
      this.brokeUpstream('upstream response head not relayable')
      return 0
    }
    // 1xx interim answers are not relayed (the fast path never sends Expect);
    // each one starts the upstream's timeout again, as undici's headersTimeout does.
    if (h.status < 200) {
      const up = this.up
      if (up !== null) upTimer(up, this.route.timeoutMs)
      return 1
    }
    // The upstream socket's timeout stays armed: from here on it bounds the silence between body reads (onUpTimeout).
    this.upstreamMs = performance.now() - this.upstreamStart
    this.stats.upstreamDuration.observe(this.upstreamMs / 1000)
    if (h.close) this.upReusable = false
    const conn = this.conn
    if (conn.plane.draining) conn.closeAfter = true
    // The upstream answered before the whole body arrived (an early 413): the
    // rest is not read, so this connection cannot carry another request.
    if (!this.reqDone) conn.closeAfter = true
    this.status = h.status
    let out = h.head
    if (!h.hasDate) out += `date: ${httpDate()}\r\n`
    const method = this.head.method
    if (method === 'HEAD' || h.status === 204 || h.status === 304) {
      if (h.status !== 204 && h.status !== 304) {
        if (h.contentLength >= 0) out += `content-length: ${h.contentLength}\r\n`
        else if (h.chunked) out += 'transfer-encoding: chunked\r\n'
      }
      this.resDone = true
    } else if (h.chunked) {
      this.resLeft = -1
      this.resChunk = newChunkScan()
      out += 'transfer-encoding: chunked\r\n'
    } else if (h.contentLength >= 0) {
      this.resLeft = h.contentLength
      out += `content-length: ${h.contentLength}\r\n`
      if (h.contentLength === 0) this.resDone = true
    } else {
      // Close-delimited: chunk it on the way, so the client connection lives on.
      this.resLeft = -2
      this.upReusable = false
      out += 'transfer-encoding: chunked\r\n'
    }
    out += `x-request-id: ${this.requestId}\r\n`
    out += conn.closeAfter ? 'connection: close\r\n\r\n' : conn.plane.current.keepAliveLines
    // Written with the first body bytes when they came in the same read (one TLS record).
    this.headOut = out
    this.resStarted = true
    return 2
  }

  forwardBody (b: Buffer): void {
    const client = this.client
    const left = this.resLeft
    if (left === -2) {
      if (b.length === 0) return
      b = borrowable(client, b)
      client.cork()
      this.writeHead()
      client.write(`${b.length.toString(16)}\r\n`, 'latin1')
      client.write(b)
      const more = client.write('\r\n', 'latin1')
      client.uncork()
      if (!more) this.clientFull()
      return
    }
    let take: number
    if (left === -1) {
      const st = this.resChunk as ChunkScan
      take = scanChunked(st, b, 0)
      if (st.error) {
        this.conn.plane.log({ level: 'warn', msg: 'upstream sent bad chunked framing', api: this.stats.name, request_id: this.requestId })
        this.abort()
        return
      }
      if (st.done) this.resDone = true
    } else {
      take = Math.min(left, b.length)
      this.resLeft = left - take
      if (this.resLeft === 0) this.resDone = true
    }
    // More than the framing said: the socket is not reused.
    if (take < b.length) this.upReusable = false
    const head = this.headOut
    let more = true
    const chunk = take === 0 ? null : borrowable(client, take === b.length ? b : b.subarray(0, take))
    if (head !== null) {
      this.headOut = null
      more = chunk !== null ? writeJoined(client, head, chunk) : client.write(head, 'latin1')
    } else if (chunk !== null) {
      more = client.write(chunk)
    }
    if (!more) this.clientFull()
    if (this.resDone) this.endResponse()
  }

  /** The client's write queue is full: the upstream waits for its drain, and the send timer for it to take anything. */
  clientFull (): void {
    ;(this.up as Socket).pause()
    const conn = this.conn
    // While the body still goes up, the request timeout is the connection's timer.
    if (!conn.sending && this.reqDone) sendTimer(conn)
  }

  /** Writes the client head alone (no body bytes came with it). */
  writeHead (): void {
    const head = this.headOut
    if (head === null) return
    this.headOut = null
    this.client.write(head, 'latin1')
  }

  endResponse (): void {
    this.resDone = true
    // An early answer (the body still coming): like the full path, the rest of
    // the body is not waited for — the client connection closes after the answer
    // (closeAfter) and the upstream socket, its request half sent, is not reused.
    if (!this.reqDone) this.upReusable = false
    this.complete()
  }

  /** Both directions ended cleanly. */
  complete (): void {
    if (this.finished) return
    this.finished = true
    const up = this.up
    if (up !== null && this.upReusable && !up.destroyed) {
      this.up = null
      release(this.pool, up)
    } else {
      this.dropUpstream()
    }
    this.record(this.status)
    this.nextOnConnection()
  }

  /** After an answer: close the connection, or wait for (or start) its next request. */
  nextOnConnection (): void {
    const conn = this.conn
    conn.ex = null
    const client = this.client
    if (conn.closeAfter || conn.plane.draining) {
      // Like node:http: end, then destroy once flushed, so a client that keeps
      // its half open does not hold the socket; one that reads nothing is
      // closed by the send timer the keep-alive timer turns into (onClientTimer).
      keepAliveTimer(conn)
      client.destroySoon()
      return
    }
    keepAliveTimer(conn)
    // A request already read waits for the client's drain if its queue is full (onClientDrain).
    if (conn.pending !== null) {
      if (!client.writableNeedDrain) setImmediate(resumeConn, conn)
    }
    // Most answers end with the client never paused; net's resume() would
    // still cost a megamorphic load per request (its kBuffer check).
    else if (client.isPaused()) client.resume()
  }

  /** The upstream socket closed (or failed) while this exchange owned it. */
  onUpClose (): void {
    if (this.finished) return
    const up = this.up
    this.up = null
    const code = this.upError
    if (this.resStarted) {
      if (this.resLeft === -2 && code === '') {
        // Close-delimited body: a clean close is its end; a reset is a truncation
        // (RFC 9112 §8) and falls through to the abort below.
        this.client.write(LAST_CHUNK)
        this.endResponse()
        return
      }
      // Died mid-body: the client must not see a truncated body as complete.
      this.abort()
      return
    }
    const pool = this.pool
    const connectFailed = CONNECT_FAILED.has(code)
    if (connectFailed) pool.failedAt = Date.now()
    const bodiless = this.head.contentLength <= 0
    if (bodiless && this.attempts < 2 && !this.client.destroyed) {
      // A pooled connection the upstream closed while idle: replay an idempotent
      // request once (RFC 9110 §9.2.2; ANCHORS "Keep-alive races").
      if (!this.gotResponseByte && up !== null && (up as unknown as Record<symbol, boolean>)[kReused] === true && IDEMPOTENT.has(this.head.method)) {
        this.send(true)
        return
      }
      if (connectFailed && this.route.pools.length > 1) {
        this.pool = pickPool(this.route)
        if (!this.pool.https) {
          this.send(false)
          return
        }
      }
    }
    this.conn.plane.log({ level: 'warn', msg: 'upstream request failed', api: this.stats.name, code: code === '' ? 'closed' : code, request_id: this.requestId })
    this.fail(connectFailed ? 'GH_GATEWAY_UPSTREAM_UNREACHABLE' : 'GH_GATEWAY_UPSTREAM_BROKE')
  }

  // The API's timeout is an idle one while bytes still move (net's socket
  // timeout was): it is not re-armed per read or write (that would cost every
  // chunk), so when it fires it waits again if bytes moved since it was armed,
  // and a stall is answered 1 to 2 timeouts after the last byte. Before the
  // response head only the upload counts (the head itself has the whole
  // timeout, as undici's headersTimeout); after it the body coming down counts
  // too, as nginx's proxy_read_timeout.
  onUpTimeout (): void {
    if (this.finished) return
    const up = this.up
    if (this.resStarted) {
      if (up === null || this.resDone || this.rearmIfMoved(up, true)) return
      // The head is out: the client connection is closed short of the body's end, as when the upstream dies.
      this.conn.plane.log({ level: 'warn', msg: 'upstream stalled mid-response', api: this.stats.name, timeout_ms: this.route.timeoutMs, request_id: this.requestId })
      this.abort()
      return
    }
    if (up !== null && !up.connecting && this.rearmIfMoved(up, false)) return
    if (up !== null && up.connecting) {
      // Never connected: a dead target, handled like a refused connect (marked
      // failed, another target tried, 502) as undici's connect timeout is.
      this.upError = 'UND_ERR_CONNECT_TIMEOUT'
      up.destroy()
      return
    }
    this.fail('GH_GATEWAY_UPSTREAM_TIMEOUT')
  }

  /**
   * Re-arms the API timer if the upload (still going up) moved since it was
   * armed, or with `body`, if the response body came or the upstream is paused
   * because the client is slow to read (that silence is the gateway's).
   */
  rearmIfMoved (up: Socket, body: boolean): boolean {
    const sent = this.reqDone ? this.upSent : up.bytesWritten
    const got = body ? up.bytesRead : this.upGot
    if (sent === this.upSent && got === this.upGot && !(body && up.isPaused())) return false
    this.upSent = sent
    this.upGot = got
    upTimer(up, this.route.timeoutMs)
    return true
  }

  brokeUpstream (why: string): void {
    this.conn.plane.log({ level: 'warn', msg: why, api: this.stats.name, request_id: this.requestId })
    if (this.resStarted) this.abort()
    else this.fail('GH_GATEWAY_UPSTREAM_BROKE')
  }

  /** Answers with a JSON gateway error (nothing was sent to the client yet). */
  fail (code: GatewayErrorCode): void {
    if (this.finished) return
    this.dropUpstream()
    const status = ERRORS[code].status
    this.writeError(status, errorBody(code, this.requestId))
  }

  /** The client stopped sending its body: 408 like node:http's requestTimeout, then close. */
  requestTimedOut (): void {
    if (this.finished) return
    if (this.resStarted) {
      this.abort()
      return
    }
    this.dropUpstream()
    this.writeError(408, requestTimeoutBody(this.requestId))
  }

  writeError (status: number, body: string): void {
    this.finished = true
    this.status = status
    const conn = this.conn
    // A body still arriving will not be read: close after answering.
    if (!this.reqDone) conn.closeAfter = true
    const client = this.client
    client.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${this.requestId}\r\ndate: ${httpDate()}\r\n` +
      (conn.closeAfter || conn.plane.draining ? 'connection: close\r\n\r\n' : conn.plane.current.keepAliveLines) + body, 'latin1')
    this.record(status)
    this.nextOnConnection()
  }

  /** Tears both sides down. */
  abort (): void {
    if (this.finished) return
    this.clientGone()
    this.client.destroy()
  }

  /** The client connection closed under this exchange. */
  clientGone (): void {
    if (this.finished) return
    this.finished = true
    this.dropUpstream()
    this.record(this.resStarted ? this.status : STATUS_CLIENT_GONE)
    this.conn.ex = null
  }

  dropUpstream (): void {
    const up = this.up
    this.up = null
    if (up !== null) {
      ;(up as unknown as Record<symbol, FastExchange | null>)[kUp] = null
      up.destroy()
    }
  }

  /** Metrics and the access-log line, once per request. */
  record (status: number): void {
    if (this.counted !== null) {
      this.counted.active--
      this.counted = null
    }
    recordRequest(this, this.conn.plane.accessLog, this.client, this.head.method, this.head.target, status)
  }
}

// Upstream sockets read into one buffer per worker (net's `onread`), not a
// new 64 KiB Buffer per read: nothing to allocate, fault in, scavenge and
// free for every chunk relayed, and reads up to UP_READ_BYTES per syscall. A
// chunk is a view of that buffer, valid until the next read. TLSWrap encrypts
// a write synchronously when the stream has nothing queued or corked (the
// usual case: upstream reading pauses until the client drains); otherwise the
// stream keeps a reference to the chunk, so it is copied first.
const UP_READ_BYTES = 256 * 1024
const UP_READ = Buffer.allocUnsafe(UP_READ_BYTES)
// Room for a turn's worth of request body records before the client is paused
// (net's default, 16 KiB, paused it after every record).
const UP_WRITE_HWM = 256 * 1024
function borrowable (client: TLSSocket, chunk: Buffer): Buffer {
  return client.writableLength === 0 && client.writableCorked === 0 ? chunk : Buffer.from(chunk)
}

// Small bodies join the head in one buffer: one plain write, one TLS record,
// no writev. Larger ones are written corked, which coalesces them too.
const JOIN_MAX = 16 * 1024
function writeJoined (client: TLSSocket, head: string, body: Buffer): boolean {
  if (body.length > JOIN_MAX) {
    client.cork()
    client.write(head, 'latin1')
    const more = client.write(body)
    client.uncork()
    return more
  }
  const headLen = head.length
  const out = Buffer.allocUnsafe(headLen + body.length)
  out.write(head, 0, headLen, 'latin1')
  body.copy(out, headLen)
  return client.write(out)
}

// The socket corked, not the exchange's current one: a retry may have replaced it.
function uncork (s: Socket): void {
  s.uncork()
}

function resumeConn (conn: FastConn): void {
  if (conn.socket.destroyed || conn.ex !== null || conn.pending === null) return
  nextRequest(conn)
  // A handed-off connection was resumed by handOff; one with another request
  // still buffered stays paused until this one ends.
  if (!conn.handedOff && !conn.socket.destroyed && conn.pending === null) conn.socket.resume()
}

// The Date header, formatted once per second.
let dateCache = ''
function httpDate (): string {
  if (dateCache === '') {
    const now = new Date()
    dateCache = now.toUTCString()
    setTimeout(clearDate, 1000 - now.getMilliseconds()).unref()
  }
  return dateCache
}
function clearDate (): void { dateCache = '' }

// ---------------------------------------------------------------------------
// Upstream sockets: a LIFO free list per pool. A socket goes back only when
// both the request body and the response ended cleanly and the upstream did
// not ask to close; bytes arriving on an idle socket make it untrustworthy.
// Idle sockets are closed by a sweep once idle for POOL_IDLE_MS less one sweep
// period (so before POOL_IDLE_MS, give or take the loop's timer lag), not by a
// timer per socket: that timer would be re-set twice per request. The sweep
// runs while some pool holds idle sockets.

const kReused = Symbol('gatehouse.fastpath.reused')
const kTimer = Symbol('gatehouse.fastpath.timer')
const kTimerMs = Symbol('gatehouse.fastpath.timerMs')
/** An upstream socket's timer (the API's timeout) and the length it was armed with (ms). */
interface UpTimed { [kTimer]: NodeJS.Timeout | null, [kTimerMs]: number }

function upTimer (up: Socket, ms: number): void {
  const u = up as unknown as UpTimed
  u[kTimer] = rearm(u[kTimer], u[kTimerMs], ms, onUpTimer, up)
  u[kTimerMs] = ms
}
const kSlabs = Symbol('gatehouse.fastpath.slabs')
const kSlabDone = Symbol('gatehouse.fastpath.slabDone')
/** The body slabs an upstream socket's queued writes hold, oldest first (client-read.ts). */
interface UpSlabs { [kSlabs]: Slab[], [kSlabDone]: () => void }

/** Writes body bytes upstream; bytes in a body slab hold it until Writable calls back (the kernel has them, or the socket is gone). */
function writeBody (up: Socket, chunk: Buffer): boolean {
  const slab = slabOf(chunk)
  if (slab === null) return up.write(chunk)
  const u = up as unknown as UpSlabs
  hold(slab)
  u[kSlabs].push(slab)
  return up.write(chunk, u[kSlabDone])
}
const kIdleSince = Symbol('gatehouse.fastpath.idleSince')
const SWEEP_MS = 1000
// Pools that may hold idle sockets (a pool whose list emptied leaves at the next sweep).
const sweptPools = new Set<UpstreamPool>()
let sweepTimer: NodeJS.Timeout | null = null

function acquire (pool: UpstreamPool, fresh: boolean): Socket {
  const free = pool.free
  while (!fresh && free.length > 0) {
    const s = free.pop() as Socket
    if (!s.destroyed && s.readyState === 'open') {
      ;(s as unknown as Record<symbol, boolean>)[kReused] = true
      return s
    }
  }
  const s = net.connect({ host: pool.hostname, port: pool.port, noDelay: true, writableHighWaterMark: UP_WRITE_HWM, onread: { buffer: UP_READ, callback: onUpRead } } as net.NetConnectOpts)
  // Writable calls a socket's write callbacks in the order of the writes: one
  // function per socket releases the oldest slab held (no closure per write).
  const held: Slab[] = []
  ;(s as unknown as UpSlabs)[kSlabs] = held
  ;(s as unknown as UpSlabs)[kSlabDone] = () => {
    const slab = held.shift()
    if (slab !== undefined) releaseSlab(slab)
  }
  ;(s as unknown as Record<symbol, boolean>)[kReused] = false
  ;(s as unknown as Record<symbol, UpstreamPool>)[kPool] = pool
  ;(s as unknown as UpTimed)[kTimer] = null
  ;(s as unknown as UpTimed)[kTimerMs] = 0
  s.on('drain', onUpDrain)
  s.on('error', onUpError)
  s.on('close', onUpClose)
  return s
}

function release (pool: UpstreamPool, s: Socket): void {
  ;(s as unknown as Record<symbol, FastExchange | null>)[kUp] = null
  if (pool.retired || pool.free.length >= POOL_MAX_FREE) {
    s.destroy()
    return
  }
  // A monotonic clock: a wall-clock step back would keep every idle socket past the sweep.
  ;(s as unknown as Record<symbol, number>)[kIdleSince] = performance.now()
  // Reading on, to notice the upstream closing it; it was paused only if the client was slow.
  if (s.isPaused()) s.resume()
  if (pool.free.length === 0) {
    sweptPools.add(pool)
    sweepTimer ??= setInterval(sweepIdle, SWEEP_MS).unref()
  }
  pool.free.push(s)
}

function idleSince (s: Socket): number {
  return (s as unknown as Record<symbol, number>)[kIdleSince] as number
}

// The oldest idle sockets are at the front of each free list.
function sweepIdle (): void {
  const before = performance.now() - (POOL_IDLE_MS - SWEEP_MS)
  for (const pool of sweptPools) {
    const free = pool.free
    let n = 0
    while (n < free.length && idleSince(free[n] as Socket) <= before) n++
    // Destroying emits 'close' later (onUpClose finds them gone from the list).
    for (const s of free.splice(0, n)) s.destroy()
    if (free.length === 0) sweptPools.delete(pool)
  }
  if (sweptPools.size === 0 && sweepTimer !== null) {
    clearInterval(sweepTimer)
    sweepTimer = null
  }
}

function exOf (s: Socket): FastExchange | null {
  return (s as unknown as Record<symbol, FastExchange | null>)[kUp] ?? null
}

function onUpRead (this: Socket, n: number, buf: Uint8Array): boolean {
  const ex = exOf(this)
  if (ex === null) {
    this.destroy()
    return false
  }
  try {
    ex.onUpData((buf as Buffer).subarray(0, n))
  } catch (err) {
    crashed(ex.conn, err)
  }
  return true
}

function onUpDrain (this: Socket): void {
  const ex = exOf(this)
  if (ex !== null && ex.conn.pending === null && !ex.client.destroyed) ex.client.resume()
}

// An idle pooled socket's timer (its last API's timeout) is not an error: the
// sweep retires idle sockets, and the next request re-arms the timer.
function onUpTimer (up: Socket): void {
  const ex = exOf(up)
  if (ex !== null) ex.onUpTimeout()
}

function onUpError (this: Socket, err: NodeJS.ErrnoException): void {
  const ex = exOf(this)
  if (ex !== null) ex.upError = err.code ?? 'error'
}

function onUpClose (this: Socket): void {
  upTimer(this, 0)
  const pool = (this as unknown as Record<symbol, UpstreamPool>)[kPool] as UpstreamPool
  const i = pool.free.lastIndexOf(this)
  if (i !== -1) pool.free.splice(i, 1)
  const ex = exOf(this)
  if (ex !== null && ex.up === this) ex.onUpClose()
}
