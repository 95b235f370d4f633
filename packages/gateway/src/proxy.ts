// The request path: route a client request, check the API's mTLS rule, pick
// an upstream target (round-robin or least in-flight), rewrite the head, and
// stream the bodies both ways with backpressure: the request body is handed to
// undici as a stream, the response body is written chunk by chunk and undici
// stops reading the upstream whenever the client's socket is full. Upstream
// failures become the JSON errors of DESIGN.md (502 unreachable/broken, 504
// timeout). Each request gets one Exchange object with every field declared up
// front; it is also the undici dispatch handler, so no closure is created per
// request (STYLE #5). Upgrades take node:http (see the bottom of the file).
import type { IncomingMessage, ServerResponse, ClientRequest } from 'node:http'
import type { Dispatcher } from 'undici'
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { performance } from 'node:perf_hooks'
import hyperid from 'hyperid'
import type { CompiledApi, RoutingTable } from '@gatehouse/config'
import { ERRORS, type GatewayErrorCode } from './errors.js'
import { readFraming, upstreamRequestHeaders, clientResponseHeaders, clientResponseHeadersFromBuffers, type Framing, type ForwardInfo } from './headers.js'
import { normalizeHost, routablePath, route, type Router } from './router.js'
import { dispatcherOf, type UpstreamPool } from './pool.js'
import type { CertIndex } from './sni.js'
import type { AccessLog } from './access-log.js'
import type { WorkerMetrics } from './metrics.js'
import { methodLabel, UNMATCHED_API } from './metrics.js'
import type { CounterChild, HistogramChild, HotCounter } from './series.js'
import { kBytesRead, kExchange, kTunnel } from './symbols.js'
import { SendProgress, logClientStopped } from './send-progress.js'

/** Per-API runtime object, built once per table (STYLE #4). */
export interface ApiRoute {
  api: CompiledApi
  name: string
  /** Characters removed from the request target when stripping; 0 = keep the path. */
  stripLength: number
  mtls: boolean
  preserveHost: boolean
  timeoutMs: number
  pools: UpstreamPool[]
  /** Round-robin cursor (also breaks least_conn ties). */
  next: number
  /** `upstream.balance: least_conn`. */
  leastConn: boolean
  stats: RouteStats
}

/** Metric children of one `api` label value, resolved once. */
export interface RouteStats {
  name: string
  requestDuration: HistogramChild
  upstreamDuration: HistogramChild
  /** `code * 16 + method index` -> counter child, filled lazily (bounded: codes x methods). */
  counters: Map<number, CounterChild>
  requests: HotCounter
}

/** Everything built from one RoutingTable. */
export interface Generation {
  table: RoutingTable
  certs: CertIndex
  router: Router<ApiRoute>
  apis: ApiRoute[]
  /** The end of a kept-alive response head (fast path), from timeouts.keep_alive. */
  keepAliveLines: string
}

/** `Connection: keep-alive` plus the idle timeout, as node:http announces it, ending a head. */
export function keepAliveLines (keepAliveMs: number): string {
  return keepAliveMs > 0
    ? `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n\r\n`
    : 'connection: keep-alive\r\n\r\n'
}

/** The data plane's mutable state that request handlers read. */
export interface PlaneState {
  current: Generation
  metrics: WorkerMetrics
  accessLog: AccessLog | null
  log: (obj: Record<string, unknown>) => void
  draining: boolean
  unmatched: RouteStats
}

const METHOD_INDEX = new Map<string, number>([
  ['GET', 1], ['HEAD', 2], ['POST', 3], ['PUT', 4], ['PATCH', 5], ['DELETE', 6], ['OPTIONS', 7], ['CONNECT', 8], ['TRACE', 9]
])

// RFC 9110 §9.2.2: requests that may be replayed after a connection failure.
export const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])

// Errors meaning nothing reached the upstream: safe to try another target.
export const CONNECT_FAILED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT'])

// How long a target that refused a connection is skipped by round-robin (ms).
const FAILED_TARGET_SKIP_MS = 2000

/** A fresh request id (hyperid, URL-safe). */
export const newRequestId = hyperid({ urlSafe: true })

/** Creates the metric children for one `api` label value. */
export function routeStats (metrics: WorkerMetrics, name: string): RouteStats {
  return {
    name,
    requestDuration: metrics.requestDuration.child(name),
    upstreamDuration: metrics.upstreamDuration.child(name),
    counters: new Map(),
    requests: metrics.requests
  }
}

/** Counts one answered request under its api/method/code children. */
export function countRequest (stats: RouteStats, method: string, code: number): void {
  const key = code * 16 + (METHOD_INDEX.get(method) ?? 0)
  let child = stats.counters.get(key)
  if (child === undefined) {
    child = stats.requests.child(stats.name, methodLabel(method), String(code))
    stats.counters.set(key, child)
  }
  child.inc()
}

// A client-supplied id is kept when it is short and printable ASCII, so it can
// go into logs and headers as-is; anything else gets a fresh one.
export function acceptRequestId (value: string | string[] | undefined): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) return null
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x5c) return null
  }
  return value
}

/** The JSON error body of DESIGN.md. */
export function errorBody (code: GatewayErrorCode, requestId: string): string {
  return `{"error":${JSON.stringify(ERRORS[code].message)},"request_id":${JSON.stringify(requestId)}}`
}

/**
 * One proxied request, and also the undici dispatch handler for it (undici
 * calls onConnect/onHeaders/onData/onComplete/onError on this object), so no
 * closure is created per request. Every field is initialised here (one hidden class).
 */
class Exchange {
  plane: PlaneState
  req: IncomingMessage
  res: ServerResponse
  /** The client socket (req.socket is cleared once the response is done). */
  socket: TLSSocket
  route: ApiRoute | null = null
  stats: RouteStats
  pool: UpstreamPool | null = null
  requestId: string
  start: number
  upstreamStart = 0
  upstreamMs = 0
  attempts = 0
  hasBody = false
  // 0 waiting for the upstream head, 1 streaming the response, 2 answered with an error or done.
  phase = 0
  options: Dispatcher.DispatchOptions | null = null
  /** Request target after stripping, before a target's base path. */
  target = ''
  /** Host header is the client's (preserve_host_header), not the target's. */
  keepHost = false
  /** The pool whose in-flight count this request holds. */
  counted: UpstreamPool | null = null
  /** undici's abort for the request in flight, and its resume after backpressure. */
  abort: ((err?: Error) => void) | null = null
  resume: (() => void) | null = null
  /** The send timeout (timeouts.send) while the client is slow to take the answer, and the client's progress (from its first backpressure). */
  sendTimer: NodeJS.Timeout | null = null
  sent: SendProgress | null = null
  bytesIn0 = 0
  bytesOut0 = 0
  constructor (plane: PlaneState, req: IncomingMessage, res: ServerResponse, requestId: string) {
    this.plane = plane
    this.req = req
    this.res = res
    this.socket = req.socket as TLSSocket
    this.stats = plane.unmatched
    this.requestId = requestId
    this.start = performance.now()
  }

  onConnect (abort: (err?: Error) => void): void {
    this.abort = abort
    if (this.phase === 2 || this.res.destroyed) abort(CLIENT_GONE)
  }

  onHeaders (statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.phase !== 0) return false
    // 1xx interim answers (other than 101) are not relayed: Node's server already
    // answered Expect: 100-continue itself.
    if (statusCode < 200) return true
    this.upstreamMs = performance.now() - this.upstreamStart
    this.stats.upstreamDuration.observe(this.upstreamMs / 1000)
    const res = this.res
    if (this.plane.draining) res.shouldKeepAlive = false
    // The upstream answered before reading the whole body (an early 413, say):
    // the rest of it is discarded and the connection closes after this response,
    // since the next request's bytes sit behind the unread body.
    if (this.hasBody && !this.req.complete) res.shouldKeepAlive = false
    try {
      res.writeHead(statusCode, statusText, clientResponseHeadersFromBuffers(rawHeaders, this.requestId))
    } catch (err) {
      // A head Node will not relay (e.g. a status outside 100..999): a broken upstream.
      this.plane.log({ level: 'warn', msg: 'upstream response head not relayable', api: this.stats.name, err: (err as Error).message, request_id: this.requestId })
      sendError(this, 'GH_GATEWAY_UPSTREAM_BROKE')
      if (this.abort !== null) this.abort(CLIENT_GONE)
      return false
    }
    this.phase = 1
    this.resume = resume
    return true
  }

  onData (chunk: Buffer): boolean {
    if (this.phase !== 1) return false
    if (this.res.write(chunk)) return true
    // Backpressure: undici stops reading the upstream socket until resume().
    this.sendTimeout()
    return false
  }

  /**
   * The client is slow to take the response: resumed on its drain, and
   * bounded by timeouts.send (send-progress.ts; node:http has none, and its
   * keep-alive timer starts only once the response is flushed). The timer
   * ends with the response ('close').
   */
  sendTimeout (): void {
    let sent = this.sent
    if (sent === null) {
      sent = this.sent = new SendProgress()
      this.res.on('drain', onClientDrain)
    }
    const ms = this.plane.current.table.timeouts.sendMs
    if (ms === 0 || this.sendTimer !== null) return
    sent.mark(this.res.writableLength)
    this.sendTimer = setTimeout(onSendTimer, ms, this).unref()
  }

  onComplete (): void {
    if (this.phase !== 1) return
    this.phase = 2
    this.res.end()
    // The last bytes may still wait for a client that was slow to take the
    // rest (not checked by length: a TLS write completes later, so every
    // answer has bytes queued here).
    if (this.sent !== null && this.res.writableLength > 0) this.sendTimeout()
    // Discard a body the upstream did not read (bounded by timeouts.request).
    if (this.hasBody && !this.req.complete) this.req.resume()
  }

  onError (err: NodeJS.ErrnoException): void {
    if (this.phase === 2) return
    if (this.phase === 1) {
      // The upstream died (or went silent) while the body was streaming: abort the
      // client connection, so a truncated body is never presented as complete.
      this.phase = 2
      if (err.code === 'UND_ERR_BODY_TIMEOUT') {
        this.plane.log({ level: 'warn', msg: 'upstream stalled mid-response', api: this.stats.name, timeout_ms: (this.route as ApiRoute).timeoutMs, request_id: this.requestId })
      }
      this.res.destroy()
      return
    }
    onUpstreamFailure(this, err)
  }
}

// The reason given to undici when the client went away.
const CLIENT_GONE = new Error('client closed the connection')

function onClientDrain (this: ServerResponse): void {
  const ex = (this as unknown as Record<symbol, Exchange>)[kExchange] as Exchange
  ;(ex.sent as SendProgress).drains++
  if (ex.resume !== null) ex.resume()
}

function onSendTimer (ex: Exchange): void {
  ex.sendTimer = null
  const res = ex.res
  if (res.destroyed) return
  const left = res.writableLength
  // All taken: the next full queue arms it again.
  if (left === 0) return
  if ((ex.sent as SendProgress).moved(left)) {
    ex.sendTimeout()
    return
  }
  logClientStopped(ex.plane, left, ex.requestId)
  res.destroy()
}

const framingScratch: Framing = { contentLength: null, chunked: false, error: false }

/** Answers one client request (the server's 'request' handler, and the next of a pipelined line); a bug costs the request, never the worker. */
export function handleRequest (plane: PlaneState, req: IncomingMessage, res: ServerResponse): void {
  try {
    proxyRequest(plane, req, res)
  } catch (err) {
    plane.log({ level: 'error', msg: 'request handler failed', err: (err as Error).stack ?? String(err) })
    res.destroy()
  }
}

function proxyRequest (plane: PlaneState, req: IncomingMessage, res: ServerResponse): void {
  if (waitsItsTurn(plane, req, res)) return
  const requestId = acceptRequestId(req.headers['x-request-id']) ?? newRequestId()
  const ex = new Exchange(plane, req, res, requestId)
  ;(res as unknown as Record<symbol, Exchange>)[kExchange] = ex
  res.once('close', onClientClose)
  if (plane.accessLog !== null) {
    // The head (and often the body) is already read when 'request' fires: count
    // from where the previous request on this connection ended.
    const sock = req.socket as unknown as Record<symbol, number | undefined>
    ex.bytesIn0 = sock[kBytesRead] ?? 0
    ex.bytesOut0 = req.socket.bytesWritten
  }
  if (plane.draining) res.shouldKeepAlive = false

  const framing = readFraming(req.rawHeaders, framingScratch)
  if (framing.error) {
    // Never forwarded: the upstream could read the body boundaries differently (RFC 9112 §6.3).
    res.shouldKeepAlive = false
    sendError(ex, 'GH_GATEWAY_BAD_REQUEST')
    return
  }
  ex.hasBody = framing.chunked || (framing.contentLength !== null && framing.contentLength !== '0')

  const url = req.url ?? '/'
  const socket = req.socket as TLSSocket
  const hostHeader = req.headers.host
  const r = admit(plane, url, hostHeader, socket)
  if (typeof r === 'string') {
    if (r === 'GH_GATEWAY_BAD_TARGET') res.shouldKeepAlive = false
    sendError(ex, r)
    return
  }
  ex.route = r
  ex.stats = r.stats
  if (r.mtls && socket.authorized !== true) {
    sendError(ex, 'GH_GATEWAY_CLIENT_CERT_REQUIRED')
    return
  }

  const target = stripTarget(r, url)
  const pool = pickPool(r)
  ex.pool = pool
  const info: ForwardInfo = {
    host: r.preserveHost && hostHeader !== undefined ? hostHeader : pool.hostHeader,
    clientIp: socket.remoteAddress ?? '',
    proto: socket.encrypted === true ? 'https' : 'http',
    forwardedHost: hostHeader ?? '',
    requestId,
    framing,
    upgrade: null
  }
  const headers = upstreamRequestHeaders(req.rawHeaders, req.headers.connection, info)
  // Requests whose method Node would chunk by default need an explicit empty length.
  if (!ex.hasBody && framing.contentLength === null && (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH')) {
    headers.push('content-length', '0')
  }
  ex.target = target
  ex.keepHost = r.preserveHost && hostHeader !== undefined
  ex.options = {
    path: pool.basePath + target,
    method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
    headers,
    body: ex.hasBody ? req : null,
    headersTimeout: r.timeoutMs,
    // The upstream's silence between two body reads (nginx's proxy_read_timeout);
    // undici does not count it while the client's backpressure pauses the body.
    bodyTimeout: r.timeoutMs
  }
  sendUpstream(ex)
}

/** The API a request (or upgrade) goes to, or why it goes nowhere; shared by both paths. */
export function admit (plane: PlaneState, url: string, hostHeader: string | undefined, socket: TLSSocket): ApiRoute | 'GH_GATEWAY_BAD_TARGET' | 'GH_GATEWAY_NO_ROUTE' {
  return admitHost(plane, url, normalizeHost(hostHeader ?? (typeof socket.servername === 'string' ? socket.servername : undefined)))
}

/** admit() for a host already normalized (normalizeHost). */
export function admitHost (plane: PlaneState, url: string, host: string): ApiRoute | 'GH_GATEWAY_BAD_TARGET' | 'GH_GATEWAY_NO_ROUTE' {
  const path = routablePath(url)
  if (path === null) return 'GH_GATEWAY_BAD_TARGET'
  return route(plane.current.router, host, path) ?? 'GH_GATEWAY_NO_ROUTE'
}

/** The request target with the API's listen path removed when `strip_listen_path` is on; query kept as sent. */
export function stripTarget (r: ApiRoute, url: string): string {
  if (r.stripLength === 0) return url
  const target = url.slice(r.stripLength)
  return target.length === 0 || target.charCodeAt(0) !== 47 /* / */ ? '/' + target : target
}

/** Round-robin (or least in-flight) over the API's targets, skipping one that just refused a connection. */
export function pickPool (r: ApiRoute): UpstreamPool {
  const pools = r.pools
  const n = pools.length
  if (n === 1) return pools[0] as UpstreamPool
  const now = Date.now()
  if (r.leastConn) {
    let best: UpstreamPool | null = null
    const start = r.next
    r.next = r.next + 1 === n ? 0 : r.next + 1
    for (let i = 0; i < n; i++) {
      const pool = pools[(start + i) % n] as UpstreamPool
      if (pool.failedAt !== 0 && now - pool.failedAt <= FAILED_TARGET_SKIP_MS) continue
      if (best === null || pool.active < best.active) best = pool
    }
    if (best !== null) return best
  }
  for (let i = 0; i < n; i++) {
    const pool = pools[r.next] as UpstreamPool
    r.next = r.next + 1 === n ? 0 : r.next + 1
    if (pool.failedAt === 0 || now - pool.failedAt > FAILED_TARGET_SKIP_MS) return pool
  }
  // Every target failed recently: try them anyway rather than refuse outright.
  const pool = pools[r.next] as UpstreamPool
  r.next = r.next + 1 === n ? 0 : r.next + 1
  return pool
}

function sendUpstream (ex: Exchange): void {
  const pool = ex.pool as UpstreamPool
  const opts = ex.options as Dispatcher.DispatchOptions
  if (ex.attempts > 0 && ex.counted !== pool) {
    // A retry on another target: its base path and (unless preserved) Host.
    opts.path = pool.basePath + ex.target
    if (!ex.keepHost) (opts.headers as string[])[1] = pool.hostHeader
  }
  ex.attempts++
  if (ex.counted !== null) ex.counted.active--
  pool.active++
  ex.counted = pool
  ex.abort = null
  ex.upstreamStart = performance.now()
  try {
    dispatcherOf(pool).dispatch(opts, ex)
  } catch (err) {
    // undici refused the head (a header it will not send): nothing left the gateway.
    ex.plane.log({ level: 'warn', msg: 'request head not forwardable', api: ex.stats.name, err: (err as Error).message, request_id: ex.requestId })
    sendError(ex, 'GH_GATEWAY_BAD_REQUEST')
  }
}

// Errors that mean the connection broke before an answer arrived.
const CONNECTION_LOST = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

function onUpstreamFailure (ex: Exchange, err: NodeJS.ErrnoException): void {
  const code = err.code ?? ''
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    sendError(ex, 'GH_GATEWAY_UPSTREAM_TIMEOUT')
    return
  }
  const pool = ex.pool as UpstreamPool
  const connectFailed = CONNECT_FAILED.has(code)
  if (connectFailed) pool.failedAt = Date.now()
  const r = ex.route as ApiRoute
  if (!ex.hasBody && ex.attempts < 2 && !ex.res.destroyed) {
    // A pooled connection the upstream closed while idle: replay an idempotent
    // request once (RFC 9110 §9.2.2; ANCHORS "Keep-alive races").
    if (CONNECTION_LOST.has(code) && IDEMPOTENT.has(ex.req.method ?? '')) {
      sendUpstream(ex)
      return
    }
    // Nothing reached that target: another one may take it.
    if (connectFailed && r.pools.length > 1) {
      ex.pool = pickPool(r)
      sendUpstream(ex)
      return
    }
  }
  ex.plane.log({ level: 'warn', msg: 'upstream request failed', api: r.name, code, request_id: ex.requestId })
  sendError(ex, connectFailed ? 'GH_GATEWAY_UPSTREAM_UNREACHABLE' : 'GH_GATEWAY_UPSTREAM_BROKE')
}

/** Answers the client with a JSON gateway error (or aborts it when the head already went out). */
function sendError (ex: Exchange, code: GatewayErrorCode): void {
  ex.phase = 2
  const res = ex.res
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  const body = errorBody(code, ex.requestId)
  if (ex.hasBody && !ex.req.complete) {
    // The client is still sending a body nobody will read: close after answering.
    res.shouldKeepAlive = false
  }
  res.writeHead(ERRORS[code].status, [
    'content-type', 'application/json',
    'content-length', String(Buffer.byteLength(body)),
    'x-request-id', ex.requestId
  ])
  res.end(body)
}

function onClientClose (this: ServerResponse): void {
  const ex = (this as unknown as Record<symbol, Exchange>)[kExchange] as Exchange
  if (ex.sendTimer !== null) {
    clearTimeout(ex.sendTimer)
    ex.sendTimer = null
  }
  if (ex.counted !== null) {
    ex.counted.active--
    ex.counted = null
  }
  // The client left before the response ended: drop the upstream request (its connection is not reused).
  if (!this.writableFinished && ex.phase !== 2) {
    ex.phase = 2
    if (ex.abort !== null) ex.abort(CLIENT_GONE)
  }
  recordRequest(ex, ex.plane.accessLog, ex.socket, ex.req.method ?? 'OTHER', ex.req.url ?? '/', this.statusCode)
  nextPipelined(ex.plane, ex.socket as unknown as Pipelined)
}

// node:http hands the server every pipelined request as soon as it parses it
// (it pauses the socket only once answers queue up), so a proxy would send
// them all upstream at once and hold every answer until the client takes the
// ones before: one connection with 100 KB of requests made 2000 concurrent
// upstream requests. They are proxied one at a time, as nginx does. While
// some wait the socket is kept paused (node:http resumes it as each answer
// ends), so node:http parses at most what one read brought beyond them (and
// what the fast path had read before handing the connection over: 2,000
// small GETs fit in 64 KiB); a connection with more than PIPELINE_MAX
// waiting (~5 KB of request and response objects each) is closed.
const kBusy = Symbol('gatehouse.proxy.busy')
const kWaiting = Symbol('gatehouse.proxy.waiting')
interface Pipelined { [kBusy]?: boolean, [kWaiting]?: Array<IncomingMessage | ServerResponse> }
const PIPELINE_MAX = 4096

/** True if the request must wait for the one before it on its connection (it is queued, or the connection closed). */
function waitsItsTurn (plane: PlaneState, req: IncomingMessage, res: ServerResponse): boolean {
  const line = req.socket as unknown as Pipelined
  if (line[kBusy] !== true) {
    line[kBusy] = true
    return false
  }
  const waiting = line[kWaiting] ??= []
  if (waiting.length >= 2 * PIPELINE_MAX) {
    plane.log({ level: 'warn', msg: 'too many pipelined requests', limit: PIPELINE_MAX })
    waiting.length = 0
    req.socket.destroy()
    return true
  }
  waiting.push(req, res)
  req.socket.pause()
  return true
}

function nextPipelined (plane: PlaneState, line: Pipelined): void {
  line[kBusy] = false
  const waiting = line[kWaiting]
  if (waiting === undefined || waiting.length === 0) return
  const socket = line as unknown as TLSSocket
  // A connection that is closing (an answer with `connection: close`, a client gone) serves none of them.
  if (socket.destroyed || socket.writableEnded) {
    waiting.length = 0
    return
  }
  const req = waiting.shift() as IncomingMessage
  const res = waiting.shift() as ServerResponse
  handleRequest(plane, req, res)
  if (socket.destroyed) return
  if (waiting.length === 0) socket.resume()
  else socket.pause()
}

/** What recordRequest reads of an answered request (Exchange here, FastExchange in fastpath.ts). */
export interface Answered {
  stats: RouteStats
  requestId: string
  /** performance.now() when the request began */
  start: number
  upstreamMs: number
  /** The connection's byte counters when the request began. */
  bytesIn0: number
  bytesOut0: number
}

/** Counts one answered request and writes its access-log line (both paths). */
export function recordRequest (ex: Answered, log: AccessLog | null, socket: TLSSocket, method: string, url: string, status: number): void {
  const durationMs = performance.now() - ex.start
  countRequest(ex.stats, method, status)
  ex.stats.requestDuration.observe(durationMs / 1000)
  if (log === null) return
  const bytesRead = socket.bytesRead
  // The next request on this connection counts its bytes from here.
  ;(socket as unknown as Record<symbol, number>)[kBytesRead] = bytesRead
  const q = url.indexOf('?')
  log.write({
    requestId: ex.requestId,
    api: ex.stats.name,
    method,
    path: q === -1 ? url : url.slice(0, q),
    status,
    bytesIn: bytesRead - ex.bytesIn0,
    bytesOut: socket.bytesWritten - ex.bytesOut0,
    durationMs,
    upstreamMs: ex.upstreamMs,
    clientIp: socket.remoteAddress ?? '',
    tlsVersion: socket.encrypted === true ? (socket.getProtocol() ?? '') : '',
    resumed: socket.encrypted === true ? socket.isSessionReused() : false
  })
}

/** Answers a client error of node:http's parser or timers (400/408/431 JSON, then close); the fast path's too. */
export function answerClientError (err: { code?: string }, socket: Duplex): void {
  // Writing an error response into a response already under way would corrupt
  // it: once its head is out, all that can be done is to cut the connection.
  const inFlight = (socket as unknown as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
  if (!socket.writable || err.code === 'ECONNRESET' || inFlight?.headersSent === true) {
    socket.destroy()
    return
  }
  let status = 400
  if (err.code === 'HPE_HEADER_OVERFLOW') status = 431
  else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') status = 408
  const id = newRequestId()
  const body = status === 400 ? errorBody('GH_GATEWAY_BAD_REQUEST', id) : status === 408 ? requestTimeoutBody(id) : `{"error":"request header fields too large","request_id":"${id}"}`
  socket.end(`HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 431 ? 'Request Header Fields Too Large' : 'Request Timeout'}\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nconnection: close\r\n\r\n${body}`)
}

/** The JSON body of a 408 (node:http's timeouts and the fast path's). */
export function requestTimeoutBody (requestId: string): string {
  return `{"error":"request timeout","request_id":${JSON.stringify(requestId)}}`
}

// ---------------------------------------------------------------------------
// Upgrade (WebSocket and any other protocol switch): once the upstream answers
// 101 the two sockets are piped to each other untouched.

/** One upgrade in progress. */
class Tunnel {
  plane: PlaneState
  req: IncomingMessage
  socket: Duplex
  head: Buffer
  requestId: string
  stats: RouteStats
  upstream: ClientRequest | null = null
  upstreamSocket: Duplex | null = null
  timer: NodeJS.Timeout | null = null
  done = false
  constructor (plane: PlaneState, req: IncomingMessage, socket: Duplex, head: Buffer, requestId: string) {
    this.plane = plane
    this.req = req
    this.socket = socket
    this.head = head
    this.requestId = requestId
    this.stats = plane.unmatched
  }
}

function writeRawError (t: Tunnel, code: GatewayErrorCode): void {
  t.done = true
  countRequest(t.stats, t.req.method ?? 'OTHER', ERRORS[code].status)
  const socket = t.socket
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = errorBody(code, t.requestId)
  socket.end(`HTTP/1.1 ${ERRORS[code].status} ${statusText(ERRORS[code].status)}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${t.requestId}\r\nconnection: close\r\n\r\n${body}`)
}

function statusText (status: number): string {
  switch (status) {
    case 400: return 'Bad Request'
    case 401: return 'Unauthorized'
    case 404: return 'Not Found'
    case 502: return 'Bad Gateway'
    case 504: return 'Gateway Timeout'
    default: return 'Error'
  }
}

/** Handles an `Upgrade` request (the server's 'upgrade' handler). */
export function handleUpgrade (plane: PlaneState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const requestId = acceptRequestId(req.headers['x-request-id']) ?? newRequestId()
  const t = new Tunnel(plane, req, socket, head, requestId)
  ;(socket as unknown as Record<symbol, Tunnel>)[kTunnel] = t
  socket.on('error', onTunnelClientError)
  const framing = readFraming(req.rawHeaders, framingScratch)
  if (framing.error) {
    writeRawError(t, 'GH_GATEWAY_BAD_REQUEST')
    return
  }
  const url = req.url ?? '/'
  // Only WebSocket upgrades are tunnelled: an h2c (or any other) upgrade would
  // hand the client a raw channel to the upstream past every per-request rule.
  const upgrade = req.headers.upgrade
  if (typeof upgrade !== 'string' || upgrade.toLowerCase() !== 'websocket') {
    writeRawError(t, 'GH_GATEWAY_BAD_UPGRADE')
    return
  }
  const tls = socket as TLSSocket
  const hostHeader = req.headers.host
  const r = admit(plane, url, hostHeader, tls)
  if (typeof r === 'string') {
    writeRawError(t, r)
    return
  }
  t.stats = r.stats
  if (r.mtls && tls.authorized !== true) {
    writeRawError(t, 'GH_GATEWAY_CLIENT_CERT_REQUIRED')
    return
  }
  const target = stripTarget(r, url)
  const pool = pickPool(r)
  const headers = upstreamRequestHeaders(req.rawHeaders, req.headers.connection, {
    host: r.preserveHost && hostHeader !== undefined ? hostHeader : pool.hostHeader,
    clientIp: tls.remoteAddress ?? '',
    proto: tls.encrypted === true ? 'https' : 'http',
    forwardedHost: hostHeader ?? '',
    requestId,
    framing,
    upgrade
  })
  let up: ClientRequest
  try {
    up = pool.request({
    agent: pool.agent,
    hostname: pool.hostname,
    port: pool.port,
    method: req.method ?? 'GET',
    path: pool.basePath + target,
    headers,
    setHost: false
    })
  } catch {
    writeRawError(t, 'GH_GATEWAY_BAD_REQUEST')
    return
  }
  t.upstream = up
  ;(up as unknown as Record<symbol, Tunnel>)[kTunnel] = t
  up.on('upgrade', onTunnelUpgrade)
  up.on('response', onTunnelResponse)
  up.on('error', onTunnelUpstreamError)
  if (r.timeoutMs > 0) t.timer = setTimeout(onTunnelTimeout, r.timeoutMs, t)
  up.end()
}

function onTunnelClientError (this: Duplex): void {
  const t = (this as unknown as Record<symbol, Tunnel>)[kTunnel] as Tunnel
  this.destroy()
  if (t.upstreamSocket !== null) t.upstreamSocket.destroy()
  else if (t.upstream !== null) t.upstream.destroy()
}

function onTunnelUpstreamSocketError (this: Duplex): void {
  const t = (this as unknown as Record<symbol, Tunnel>)[kTunnel] as Tunnel
  this.destroy()
  t.socket.destroy()
}

function onTunnelTimeout (t: Tunnel): void {
  t.timer = null
  if (t.done) return
  writeRawError(t, 'GH_GATEWAY_UPSTREAM_TIMEOUT')
  if (t.upstream !== null) t.upstream.destroy()
}

function onTunnelUpstreamError (this: ClientRequest, err: NodeJS.ErrnoException): void {
  const t = (this as unknown as Record<symbol, Tunnel>)[kTunnel] as Tunnel
  if (t.timer !== null) clearTimeout(t.timer)
  if (t.done) return
  writeRawError(t, CONNECT_FAILED.has(err.code ?? '') ? 'GH_GATEWAY_UPSTREAM_UNREACHABLE' : 'GH_GATEWAY_UPSTREAM_BROKE')
}

function rawHead (status: number, message: string, headers: string[]): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`
  return head + '\r\n'
}

function onTunnelUpgrade (this: ClientRequest, up: IncomingMessage, upSocket: Duplex, upHead: Buffer): void {
  const t = (this as unknown as Record<symbol, Tunnel>)[kTunnel] as Tunnel
  if (t.timer !== null) clearTimeout(t.timer)
  if (t.done || t.socket.destroyed) {
    upSocket.destroy()
    return
  }
  t.done = true
  t.upstreamSocket = upSocket
  ;(upSocket as unknown as Record<symbol, Tunnel>)[kTunnel] = t
  countRequest(t.stats, t.req.method ?? 'OTHER', 101)
  upSocket.on('error', onTunnelUpstreamSocketError)
  const client = t.socket
  // Upgraded connections live as long as both ends want: no idle timeout of the HTTP server applies.
  ;(client as unknown as { setTimeout?: (ms: number) => void }).setTimeout?.(0)
  client.write(rawHead(101, up.statusMessage ?? 'Switching Protocols', clientResponseHeaders(up.rawHeaders, up.headers.connection, t.requestId, true)))
  if (upHead.length > 0) client.write(upHead)
  if (t.head.length > 0) upSocket.write(t.head)
  upSocket.pipe(client)
  client.pipe(upSocket)
}

function onTunnelResponse (this: ClientRequest, up: IncomingMessage): void {
  // The upstream refused the switch: relay its answer and close.
  const t = (this as unknown as Record<symbol, Tunnel>)[kTunnel] as Tunnel
  if (t.timer !== null) clearTimeout(t.timer)
  if (t.done) {
    up.resume()
    return
  }
  t.done = true
  const status = up.statusCode ?? 502
  countRequest(t.stats, t.req.method ?? 'OTHER', status)
  const headers = clientResponseHeaders(up.rawHeaders, up.headers.connection, t.requestId, false)
  headers.push('connection', 'close')
  // Without a length the body is delimited by the connection closing (RFC 9112 §6.3 rule 8).
  t.socket.write(rawHead(status, up.statusMessage ?? '', headers))
  up.pipe(t.socket)
}
