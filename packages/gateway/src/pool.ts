// Keep-alive connection pools towards upstream targets: one undici Pool (a
// node:http Agent for Upgrade requests, and a free list of raw sockets for the
// fast path) per target URL and TLS setting, shared by every API that uses the same pair and kept
// across table swaps while a target stays configured. The pool's idle timeout
// is shorter than common upstream keep-alive timeouts (nginx 75 s, Node 5 s),
// so the gateway closes an idle socket before the upstream does and the
// reuse race ("socket hang up" on a socket the upstream just closed) is rare;
// the proxy retries the remaining cases once for idempotent, bodiless
// requests (ANCHORS "Keep-alive races").
import http from 'node:http'
import https from 'node:https'
import { createHash } from 'node:crypto'
import type { Socket } from 'node:net'
import { createRequire } from 'node:module'
import type { Pool } from 'undici'
import type { UpstreamTls } from '@gatehouse/config'

/** One upstream target with its connection pool. */
export interface UpstreamPool {
  key: string
  https: boolean
  hostname: string
  port: number
  /** `host[:port]` as the target URL spells it: the Host header when not preserving the client's. */
  hostHeader: string
  /** Path prefix of the target URL, '' when none. */
  basePath: string
  /** undici pool of the node:http path, created by dispatcherOf() on first use (the fast path needs none). */
  undici: Pool | null
  undiciOrigin: string
  undiciOptions: Pool.Options
  /** node:http agent: only for Upgrade requests (undici cannot relay a refused upgrade). */
  agent: http.Agent
  request: typeof http.request
  /** Epoch ms of the last failed connect; 0 = healthy. Round-robin skips it for a while. */
  failedAt: number
  /** Requests in flight through this pool (least_conn balancing). */
  active: number
  /** Idle keep-alive sockets of the fast path (fastpath.ts), most recently used last. */
  free: Socket[]
  /** Retired by a table swap: sockets coming back are closed instead of kept. */
  retired: boolean
}

// Free sockets idle longer than this are closed by the gateway (ms).
export const POOL_IDLE_MS = 4000
// Idle sockets kept per target; more concurrent requests open more sockets.
export const POOL_MAX_FREE = 1024

/** The pool key of a target with its TLS settings. */
export function poolKey (target: string, tls: UpstreamTls): string {
  if (!target.startsWith('https:')) return target
  const h = createHash('sha256')
  h.update(tls.caPem ?? '').update('\0').update(tls.insecureSkipVerify ? '1' : '0').update('\0')
  h.update(tls.certPem ?? '').update('\0').update(tls.keyPem ?? '').update('\0')
  h.update((tls as Partial<UpstreamTls>).minVersion ?? '')
  return `${target}#${h.digest('hex').slice(0, 16)}`
}

/** Creates the pool of one target. */
export function createPool (key: string, target: string, tls: UpstreamTls): UpstreamPool {
  const url = new URL(target)
  const isHttps = url.protocol === 'https:'
  const port = url.port !== '' ? Number(url.port) : isHttps ? 443 : 80
  const common = { keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: POOL_MAX_FREE, timeout: POOL_IDLE_MS, scheduling: 'lifo' as const }
  // The same TLS client options for the agent (upgrades) and undici (requests).
  const connect: https.AgentOptions = {}
  if (isHttps) {
    connect.rejectUnauthorized = !tls.insecureSkipVerify
    if (tls.caPem !== null) connect.ca = tls.caPem
    if (tls.certPem !== null) connect.cert = tls.certPem
    if (tls.keyPem !== null) connect.key = tls.keyPem
    const minVersion = (tls as Partial<UpstreamTls>).minVersion
    if (minVersion !== undefined) connect.minVersion = minVersion
  }
  const agent = isHttps ? new https.Agent({ ...common, ...connect }) : new http.Agent(common)
  const undiciOptions: Pool.Options = {
    pipelining: 1,
    keepAliveTimeout: POOL_IDLE_MS,
    keepAliveMaxTimeout: POOL_IDLE_MS,
    // The proxy sets the response-head timeout per request (upstream.timeout); a
    // streaming body may stall as long as the client reads slowly (backpressure).
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: connect as Record<string, unknown>
  }
  const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '')
  // URL keeps IPv6 brackets in hostname; net.connect wants them off.
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return {
    key,
    https: isHttps,
    hostname,
    port,
    hostHeader: url.host,
    basePath,
    undici: null,
    undiciOrigin: url.origin,
    undiciOptions,
    agent,
    request: isHttps ? https.request : http.request,
    failedAt: 0,
    active: 0,
    free: [],
    retired: false
  }
}

// undici costs ~8 MiB of RSS per worker once loaded; a worker whose requests
// all take the fast path never loads it.
let undiciModule: typeof import('undici') | null = null

/** The pool's undici Pool, created (and undici loaded) on first use. */
export function dispatcherOf (pool: UpstreamPool): Pool {
  if (pool.undici === null) {
    undiciModule ??= createRequire(import.meta.url)('undici') as typeof import('undici')
    pool.undici = new undiciModule.Pool(pool.undiciOrigin, pool.undiciOptions)
  }
  return pool.undici
}

/** Closes the idle sockets of a pool that is no longer configured; busy ones finish and are closed when they go idle. */
export function retirePool (pool: UpstreamPool): void {
  pool.retired = true
  for (const socket of pool.free.splice(0)) socket.destroy()
  // close() lets requests in flight finish, then closes the connections.
  pool.undici?.close().catch(() => {})
  const free = pool.agent.freeSockets
  for (const name of Object.keys(free)) {
    for (const socket of free[name] ?? []) socket.destroy()
  }
  // Sockets returned after this point are not kept.
  pool.agent.maxFreeSockets = 0
  ;(pool.agent as unknown as { keepAlive: boolean }).keepAlive = false
}

/** Destroys every socket of a pool (drain deadline). */
export function destroyPool (pool: UpstreamPool): void {
  pool.retired = true
  for (const socket of pool.free.splice(0)) socket.destroy()
  pool.undici?.destroy().catch(() => {})
  pool.agent.destroy()
}
