// The worker's data plane: the public HTTPS listener (and the optional plain
// HTTP one), built from a RoutingTable and swappable at runtime. A table swap
// builds a new Generation (SecureContexts, router, per-API objects) and
// replaces one reference: new handshakes and requests see the new one,
// requests in flight keep the objects they already hold, and upstream pools
// whose target and TLS settings are unchanged carry over.
//
// Client-side timeouts (the slowloris guard; values from `timeouts:`):
//   headersTimeout  = timeouts.headers     whole request head, checked every second
//   requestTimeout  = timeouts.request     whole request incl. body, 0 = none
//   keepAliveTimeout= timeouts.keep_alive  idle gap between requests on a connection
//   handshakeTimeout= timeouts.headers     a TLS handshake that stalls is cut as fast as a stalled head
// Node's default check interval (30 s) would let a trickling client live ~90 s;
// connectionsCheckingInterval is set to 1 s instead.
import http from 'node:http'
import https from 'node:https'
import { randomBytes } from 'node:crypto'
import type { AddressInfo, Socket } from 'node:net'
import type { TLSSocket, SecureContext } from 'node:tls'
import { LRUCache } from 'lru-cache'
import type { RoutingTable } from '@gatehouse/config'
import { createWorkerMetrics, UNMATCHED_API, type WorkerMetrics } from './metrics.js'
import { buildCertIndex, selectContext, setContextTicketKeys } from './sni.js'
import { buildRouter, normalizeHost } from './router.js'
import { createPool, poolKey, retirePool, destroyPool, type UpstreamPool } from './pool.js'
import { openAccessLog } from './access-log.js'
import { handleRequest, handleUpgrade, routeStats, errorBody, newRequestId, keepAliveLines, answerClientError, type ApiRoute, type Generation, type PlaneState, type RouteStats } from './proxy.js'
import { GatehouseError } from './errors.js'
import { serveFast, closeIdleFast, type FastConn, type FastPlane } from './fastpath.js'
import { kPlane } from './symbols.js'
import { slabStats } from './client-read.js'

/** Options of createDataPlane. */
export interface DataPlaneOptions {
  /** 48 bytes of session-ticket keys (the primary shares them across workers); generated when absent. */
  ticketKeys?: Buffer
  /** The worker's metrics; a private set is created when absent. */
  metrics?: WorkerMetrics
  /** Receives non-access-log events (errors, warnings); default no-op. */
  log?: (obj: Record<string, unknown>) => void
  /** Bind this plane's own sockets even in a cluster worker (net's `exclusive`): the warm-up plane does, the serving one shares the primary's. */
  exclusive?: boolean
}

/** The running data plane of one worker. */
export interface DataPlane {
  /** Binds table.listen.https (and .http when configured). Under node:cluster the primary shares the ports. */
  listen(): Promise<{ https: AddressInfo, http: AddressInfo | null }>
  /** Atomically serves a new table; in-flight requests finish on the old one. */
  swap(table: RoutingTable): void
  /** Replaces the session-ticket keys (48 bytes) of every context. */
  setTicketKeys(keys: Buffer): void
  /** Stops accepting, lets in-flight work finish, destroys what remains after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>
  readonly table: RoutingTable
  /** Requests the fast path served, connections it handed to node:http, and connections it read into its own memory (client-read.ts). */
  readonly fastStats: { readonly requests: number, readonly handoffs: number, readonly readsInto: number, readonly slabsReused: number }
}

// `GATEHOUSE_FAST_PATH=off` serves every connection with node:http (the
// byte-level fast path's kill switch, and its A/B baseline in the bench).
const FAST_PATH = process.env.GATEHOUSE_FAST_PATH !== 'off'

// Session cache, attached only when tls.session_tickets is false (TLS 1.2
// session ids, per worker): bounded, short-lived.
const SESSION_CACHE_MAX = 20_000
const SESSION_CACHE_TTL_MS = 5 * 60_000
// Interval at which Node checks headersTimeout/requestTimeout (ms).
const CONNECTIONS_CHECK_MS = 1000

// Handshake failure reasons, a bounded label set (STYLE #8).
const HANDSHAKE_REASONS: Record<string, string> = {
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'protocol_version',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'protocol_version',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'protocol_version',
  ERR_SSL_WRONG_VERSION_NUMBER: 'protocol_version',
  ERR_SSL_VERSION_TOO_LOW: 'protocol_version',
  ERR_SSL_NO_SHARED_CIPHER: 'no_shared_cipher',
  ERR_SSL_HTTP_REQUEST: 'http_request',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'certificate',
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: 'certificate',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset'
}

/** Maps a tlsClientError to its metric label. */
export function handshakeErrorReason (err: NodeJS.ErrnoException): string {
  return HANDSHAKE_REASONS[err.code ?? ''] ?? 'other'
}

class Plane implements DataPlane, FastPlane {
  current: Generation
  metrics: WorkerMetrics
  accessLog: ReturnType<typeof openAccessLog>
  log: (obj: Record<string, unknown>) => void
  draining = false
  unmatched: RouteStats
  fastConnections = new Set<FastConn>()
  // slabsReused is per worker (client-read.ts keeps one set of body slabs per process).
  fastStats = { requests: 0, handoffs: 0, readsInto: 0, get slabsReused () { return slabStats.reused } }
  #ticketKeys: Buffer
  /** node:http's connection handler of the https server: the full path. */
  #httpConnection: (socket: TLSSocket) => void
  #pools = new Map<string, UpstreamPool>()
  #stats = new Map<string, RouteStats>()
  #https: https.Server
  #http: http.Server | null = null
  #connections = new Set<Socket>()
  #sessions = new LRUCache<string, Buffer>({ max: SESSION_CACHE_MAX, ttl: SESSION_CACHE_TTL_MS })
  #handshakeChildren = new Map<string, { inc(): void }>()
  #httpsPort = 443
  #exclusive: boolean

  constructor (table: RoutingTable, opts: DataPlaneOptions) {
    this.metrics = opts.metrics ?? createWorkerMetrics(null)
    this.#exclusive = opts.exclusive === true
    this.log = opts.log ?? noop
    const keys = opts.ticketKeys ?? randomBytes(48)
    if (keys.length !== 48) throw new GatehouseError('GH_GATEWAY_TICKET_KEYS', String(keys.length))
    this.#ticketKeys = keys
    this.unmatched = routeStats(this.metrics, UNMATCHED_API)
    this.current = this.#build(table)
    this.accessLog = openAccessLog(table.accessLog)
    const t = table.timeouts
    const certs = this.current.certs
    this.#https = https.createServer({
      ...certs.defaultOptions,
      SNICallback: this.#sni,
      requestCert: table.tls.clientCaPem !== null,
      // Per-API enforcement: an mTLS API answers 401 when socket.authorized is false.
      rejectUnauthorized: false,
      handshakeTimeout: t.headersMs > 0 ? t.headersMs : 120_000,
      connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
      noDelay: true
    })
    this.#applyTimeouts(this.#https, table)
    // node:http serves a TLS connection from 'secureConnection'; the fast path
    // takes it first and hands it over when a request needs the full path.
    const [httpConnection] = this.#https.listeners('secureConnection') as Array<(socket: TLSSocket) => void>
    if (httpConnection === undefined) throw new Error('https.Server has no connection listener')
    this.#httpConnection = httpConnection
    this.#https.removeListener('secureConnection', httpConnection)
    this.#https.on('request', this.#onRequest)
    this.#https.on('upgrade', this.#onUpgrade)
    this.#https.on('connection', this.#onConnection)
    this.#https.on('secureConnection', this.#onSecureConnection)
    this.#https.on('tlsClientError', this.#onTlsClientError)
    this.#https.on('clientError', answerClientError)
    this.#https.on('error', this.#onServerError)
    this.#useSessionCache(!table.tls.sessionTickets)
    this.#https.on('secureConnection', FAST_PATH ? this.#serveFast : this.#httpConnection)
  }

  #serveFast = (socket: TLSSocket): void => {
    serveFast(this, socket)
  }

  handOff (socket: TLSSocket): void {
    this.#httpConnection.call(this.#https, socket)
  }

  get table (): RoutingTable { return this.current.table }

  #sni = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    const certs = this.current.certs
    const ctx = selectContext(certs, servername)
    // The server's own context already is the default one: keep it rather than switch SSL_CTX.
    cb(null, ctx === certs.defaultContext ? undefined : ctx)
  }

  // A bug in the request path must cost one request, never the worker.
  #onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handleRequest(this, req, res)
  }

  #onUpgrade = (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void => {
    try {
      handleUpgrade(this, req, socket, head)
    } catch (err) {
      this.log({ level: 'error', msg: 'upgrade handler failed', err: (err as Error).stack ?? String(err) })
      socket.destroy()
    }
  }

  // Accept errors (EMFILE and the like) must not become an unhandled 'error' event.
  #onServerError = (err: Error): void => {
    this.log({ level: 'error', msg: 'listener error', err: err.message })
  }

  #onConnection = (socket: Socket): void => {
    ;(socket as unknown as Record<symbol, Plane>)[kPlane] = this
    this.#connections.add(socket)
    this.metrics.activeConnections.inc()
    socket.once('close', onConnectionClose)
  }

  /** Called from the module-level close handler. */
  connectionClosed (socket: Socket): void {
    this.#connections.delete(socket)
    this.metrics.activeConnections.dec()
  }

  #onSecureConnection = (socket: TLSSocket): void => {
    const version = socket.getProtocol() ?? 'unknown'
    const resumed = socket.isSessionReused()
    const key = resumed ? version + '+' : version
    let child = this.#handshakeChildren.get(key)
    if (child === undefined) {
      child = this.metrics.tlsHandshakes.labels(version, resumed ? 'true' : 'false')
      this.#handshakeChildren.set(key, child)
    }
    child.inc()
  }

  #onTlsClientError = (err: NodeJS.ErrnoException, socket: TLSSocket): void => {
    this.metrics.tlsHandshakeErrors.inc({ reason: handshakeErrorReason(err) })
    socket.destroy()
  }

  #onNewSession = (id: Buffer, data: Buffer, cb: () => void): void => {
    this.#sessions.set(id.toString('hex'), data)
    cb()
  }

  #onResumeSession = (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void): void => {
    cb(null, this.#sessions.get(id.toString('hex')) ?? null)
  }

  // While a 'newSession' or 'resumeSession' listener exists, Node holds every
  // ClientHello for a JS callback and copies every new session into JS (two
  // per TLS 1.3 handshake). Tickets resume on any worker without any of that,
  // so the id cache is attached only when tickets are off.
  #useSessionCache (on: boolean): void {
    if (on === (this.#https.listenerCount('newSession') > 0)) return
    if (on) {
      this.#https.on('newSession', this.#onNewSession)
      this.#https.on('resumeSession', this.#onResumeSession)
    } else {
      this.#https.removeListener('newSession', this.#onNewSession)
      this.#https.removeListener('resumeSession', this.#onResumeSession)
      this.#sessions.clear()
    }
  }

  #onRedirect = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const host = normalizeHost(req.headers.host)
    if (host === '' || !isHostName(host)) {
      const id = newRequestId()
      const body = errorBody('GH_GATEWAY_BAD_REQUEST', id)
      res.writeHead(400, ['content-type', 'application/json', 'content-length', String(body.length), 'x-request-id', id, 'connection', 'close'])
      res.end(body)
      return
    }
    const port = this.#httpsPort === 443 ? '' : `:${this.#httpsPort}`
    // RFC 9110 §15.4.9: 308 keeps the method and body, unlike 301/302.
    res.writeHead(308, ['location', `https://${host}${port}${req.url ?? '/'}`, 'content-length', '0'])
    res.end()
  }

  #applyTimeouts (server: http.Server, table: RoutingTable): void {
    const t = table.timeouts
    // Node requires headersTimeout <= requestTimeout unless the latter is 0.
    server.requestTimeout = t.requestMs
    server.headersTimeout = t.requestMs > 0 ? Math.min(t.headersMs, t.requestMs) : t.headersMs
    server.keepAliveTimeout = t.keepAliveMs
  }

  #build (table: RoutingTable): Generation {
    // `current` is unset only while the constructor builds the first generation.
    const previous = (this as { current?: Generation }).current
    const certs = buildCertIndex(table, this.#ticketKeys, previous?.certs ?? null)
    const used = new Set<string>()
    const apis: ApiRoute[] = table.apis.map((api) => {
      const pools = api.upstream.targets.map((target) => {
        const key = poolKey(target, api.upstream.tls)
        used.add(key)
        let pool = this.#pools.get(key)
        if (pool === undefined) {
          pool = createPool(key, target, api.upstream.tls)
          this.#pools.set(key, pool)
        }
        return pool
      })
      let stats = this.#stats.get(api.name)
      if (stats === undefined) {
        stats = routeStats(this.metrics, api.name)
        this.#stats.set(api.name, stats)
      }
      return {
        api,
        name: api.name,
        stripLength: api.stripListenPath && api.listenPath !== '/' ? api.listenPath.length : 0,
        mtls: api.auth.type === 'mtls',
        preserveHost: api.upstream.preserveHostHeader,
        timeoutMs: api.upstream.timeoutMs,
        pools,
        next: 0,
        leastConn: api.upstream.balance === 'least_conn',
        stats
      }
    })
    for (const [key, pool] of this.#pools) {
      if (!used.has(key)) {
        retirePool(pool)
        this.#pools.delete(key)
      }
    }
    return { table, certs, router: buildRouter(table, apis), apis, keepAliveLines: keepAliveLines(table.timeouts.keepAliveMs) }
  }

  async listen (): Promise<{ https: AddressInfo, http: AddressInfo | null }> {
    const table = this.current.table
    const httpsAddr = await listenOn(this.#https, table.listen.https.host, table.listen.https.port, this.#exclusive)
    this.#httpsPort = httpsAddr.port
    let httpAddr: AddressInfo | null = null
    const plain = table.listen.http
    if (plain !== null) {
      const server = http.createServer({ connectionsCheckingInterval: CONNECTIONS_CHECK_MS, noDelay: true })
      this.#applyTimeouts(server, table)
      if (plain.redirectHttps) server.on('request', this.#onRedirect)
      else {
        server.on('request', this.#onRequest)
        server.on('upgrade', this.#onUpgrade)
      }
      server.on('connection', this.#onConnection)
      server.on('clientError', answerClientError)
      server.on('error', this.#onServerError)
      this.#http = server
      httpAddr = await listenOn(server, plain.host, plain.port, this.#exclusive)
    }
    return { https: httpsAddr, http: httpAddr }
  }

  swap (table: RoutingTable): void {
    const previous = this.current
    const next = this.#build(table)
    this.current = next
    this.#useSessionCache(!table.tls.sessionTickets)
    // The server's own context answers clients that never reach SNICallback (no SNI).
    this.#https.setSecureContext(next.certs.defaultOptions)
    ;(this.#https as unknown as { requestCert: boolean }).requestCert = table.tls.clientCaPem !== null
    this.#applyTimeouts(this.#https, table)
    if (this.#http !== null) this.#applyTimeouts(this.#http, table)
    if (table.accessLog !== previous.table.accessLog) {
      const old = this.accessLog
      this.accessLog = openAccessLog(table.accessLog)
      if (old !== null) void old.flush().then(() => { old.close() })
    }
  }

  setTicketKeys (keys: Buffer): void {
    if (keys.length !== 48) throw new GatehouseError('GH_GATEWAY_TICKET_KEYS', String(keys.length))
    this.#ticketKeys = keys
    this.#https.setTicketKeys(keys)
    setContextTicketKeys(this.current.certs, keys)
    // Sessions issued under the old keys must not resume through the id cache either.
    this.#sessions.clear()
  }

  async drain (timeoutMs: number): Promise<void> {
    this.draining = true
    const servers: http.Server[] = [this.#https]
    if (this.#http !== null) servers.push(this.#http)
    const closed = servers.map((s) => new Promise<void>((resolve) => {
      if (!s.listening) { resolve(); return }
      s.close(() => { resolve() })
    }))
    const deadline = Date.now() + Math.max(0, timeoutMs)
    while (this.#connections.size > 0 && Date.now() < deadline) {
      for (const s of servers) s.closeIdleConnections()
      closeIdleFast(this)
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())))
    }
    for (const socket of this.#connections) socket.destroy()
    await Promise.all(closed)
    for (const pool of this.#pools.values()) destroyPool(pool)
    if (this.accessLog !== null) {
      await this.accessLog.flush()
      this.accessLog.close()
      this.accessLog = null
    }
  }
}

function noop (): void {}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms).unref() })
}

function onConnectionClose (this: Socket): void {
  ;((this as unknown as Record<symbol, Plane>)[kPlane] as Plane).connectionClosed(this)
}

function isHostName (host: string): boolean {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i)
    // a-z 0-9 . - and the brackets/colons of an IPv6 literal
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 91 || c === 93 || c === 58)) return false
  }
  return true
}

function listenOn (server: http.Server, host: string, port: number, exclusive: boolean): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(Object.assign(new GatehouseError('GH_GATEWAY_LISTEN', `${host}:${port}: ${err.message}`), { cause: err }))
    }
    server.once('error', onError)
    server.listen({ host, port, exclusive }, () => {
      server.removeListener('error', onError)
      resolve(server.address() as AddressInfo)
    })
  })
}

/** Builds the data plane of a worker from a table (call listen() to serve). */
export function createDataPlane (table: RoutingTable, opts: DataPlaneOptions = {}): DataPlane {
  return new Plane(table, opts)
}

