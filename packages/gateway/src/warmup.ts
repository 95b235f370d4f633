// A fresh worker's warm-up, before it takes traffic (README "Warm-up"). V8
// runs new code in its interpreter and compiles the hot functions on
// background threads once they have run a few thousand times; a worker that
// met full traffic cold paid for those compiles on the core its requests
// needed (p99 0.3–0.65 s for seconds at 14,000 req/s on 2 cores). So a worker
// first sends requests through a private data plane built from its table:
// some of its APIs, every target replaced by a private upstream, over TLS on
// an ephemeral port of its own. The same module-level code (TLS reads, the
// fast path's parsers, routing, pools, metric series) reaches its optimized
// tier before the worker listens on the shared port. Nothing of it is
// visible: the private plane has its own metrics registry and pools, and
// writes its access log (if the real one is on) to /dev/null.
//
// The load side (client and upstream, warmup-load.ts) runs in a worker
// thread: in this isolate its client TLS sockets and accepted upstream
// sockets would be shapes that real traffic never brings, and Node's stream
// code, compiled for all of them, cost 9% more instructions per request
// afterwards (bench/instructions.mjs: 73.6k against 67.1k without a warm-up;
// 69.2k with the thread, which is also what 50 connections of real traffic
// leave without any warm-up: README "Warm-up").
import { Worker } from 'node:worker_threads'
import net from 'node:net'
import type { CompiledApi, RoutingTable } from '@gatehouse/config'
import { createDataPlane } from './dataplane.js'
import type { Aim, LoadReply, LoadRequest } from './warmup-load.js'

/** What a warm-up did. */
export interface WarmupResult {
  requests: number
  ms: number
}

// A warm-up never holds a worker back longer than this.
const LIMIT_MS = 5000

/**
 * Sends `requests` requests through private data planes built from `table`;
 * resolves when they are answered or LIMIT_MS has passed. Two rounds, each on
 * a plane of its own: tearing the first down changes fields that every plane
 * starts with (`draining`, a pool's `retired`), and V8 throws away the code
 * that assumed they never change. The second round compiles it again knowing
 * they do, so tearing it down throws nothing away.
 */
export async function warmUp (table: RoutingTable, requests: number): Promise<WarmupResult> {
  const started = performance.now()
  const deadline = started + LIMIT_MS
  const load = new LoadThread()
  let done = 0
  try {
    const upstreamPort = await load.ask({ act: 'upstream' })
    const warm = warmupTable(table, `http://127.0.0.1:${upstreamPort}`)
    for (let round = 0; round < 2 && warm.aims.length > 0; round++) {
      const plane = createDataPlane(warm.table, { exclusive: true })
      try {
        const port = (await plane.listen()).https.port
        // Half the requests and at most half the time left each: a slow first round must not leave the second none.
        const share = round === 0 ? Math.floor(requests / 2) : requests - Math.floor(requests / 2)
        done += await load.ask({ act: 'drive', port, aims: warm.aims, requests: share, forMs: (deadline - performance.now()) / (2 - round) })
      } finally {
        await plane.drain(0)
      }
    }
  } finally {
    await load.close()
  }
  return { requests: done, ms: Math.round(performance.now() - started) }
}

/** The worker thread running warmup-load.ts: one question at a time, each answered with a number. */
class LoadThread {
  #thread = new Worker(new URL('./warmup-load.js', import.meta.url))
  /** Why the thread stopped, once it has: an 'error' between two questions is kept for the next one, never thrown at the worker. */
  #failed: Error | null = null

  constructor () {
    this.#thread.on('error', (err) => { this.#failed ??= err })
    this.#thread.on('exit', (code) => { this.#failed ??= new Error(`warm-up thread exited (${code})`) })
  }

  /** Sends one request to the thread; resolves with its answer, rejects if the thread fails or exits first. */
  ask (req: LoadRequest): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#failed !== null) {
        reject(this.#failed)
        return
      }
      const onMessage = (reply: LoadReply): void => { done(); resolve(reply.value) }
      const onStop = (): void => { done(); reject(this.#failed ?? new Error('warm-up thread stopped')) }
      const done = (): void => {
        this.#thread.off('message', onMessage).off('error', onStop).off('exit', onStop)
      }
      // Registered after the constructor's listeners, so #failed is set when these run.
      this.#thread.on('message', onMessage).on('error', onStop).on('exit', onStop)
      this.#thread.postMessage(req)
    })
  }

  /** Stops the thread (its upstream and any socket left with it). */
  async close (): Promise<void> {
    await this.#thread.terminate()
  }
}

// APIs the warm-up sends requests to, at most: their routes, timeouts and
// path rewriting are what the first real requests meet.
const MAX_APIS = 16
const PLAIN: CompiledApi['upstream']['tls'] = { caPem: null, insecureSkipVerify: false, certPem: null, keyPem: null, minVersion: 'TLSv1.2' }

/**
 * The table with every API's targets replaced by the private upstream and its
 * state-keeping policies off (a rate limit shared through Redis must never
 * count a warm-up), its routes as they are; only the default certificate
 * (contexts for hundreds cost more than the warm-up saves). Requests go to the
 * first MAX_APIS APIs that take them without a client certificate.
 */
function warmupTable (table: RoutingTable, target: string): { table: RoutingTable, aims: Aim[] } {
  const cert = table.tls.certificates[table.tls.defaultCertificate] ?? table.tls.certificates[0]
  const certHost = cert?.domains.find((d) => !d.startsWith('*.') && net.isIP(d) === 0) ?? 'localhost'
  const aims: Aim[] = []
  for (const api of table.apis) {
    if (aims.length === MAX_APIS) break
    if (api.auth.type === 'mtls') continue
    const d = api.domain
    const host = d === null ? certHost : d.startsWith('*.') ? `warmup.${d.slice(2)}` : d
    aims.push({ host, servername: net.isIP(host) === 0 ? host : undefined, prefix: api.listenPath === '/' ? '/' : `${api.listenPath}/` })
  }
  return {
    table: {
      ...table,
      listen: { https: { host: '127.0.0.1', port: 0 }, http: null },
      accessLog: table.accessLog === 'off' ? 'off' : '/dev/null',
      tls: { ...table.tls, certificates: cert === undefined ? [] : [cert], exactCerts: {}, wildcardCerts: {}, defaultCertificate: 0, clientCaPem: null },
      redis: null,
      apis: table.apis.map((api) => ({ ...api, upstream: { ...api.upstream, targets: [target], tls: PLAIN, healthCheck: null }, rateLimit: null, cache: null }))
    },
    aims
  }
}
