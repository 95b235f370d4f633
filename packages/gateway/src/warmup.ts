// A fresh worker's warm-up, before it takes traffic (README "Warm-up"). V8
// runs new code in its interpreter and compiles the hot functions on
// background threads once they have run a few thousand times; a worker that
// met full traffic cold paid for those compiles on the core its requests
// needed (p99 0.3–0.8 s for seconds at 14,000 req/s on 2 cores). So a worker
// first sends requests through a private data plane built from its table:
// some of its APIs, every target replaced by an upstream inside the worker,
// over TLS on an ephemeral port of its own. The same module-level code (TLS
// reads, the fast path's parsers, routing, pools, metric series) reaches its
// optimized tier before the worker listens on the shared port. Nothing of it
// is visible: the private plane has its own metrics registry and pools, and
// writes its access log (if the real one is on) to /dev/null.
import net from 'node:net'
import tls from 'node:tls'
import type { AddressInfo } from 'node:net'
import type { CompiledApi, RoutingTable } from '@gatehouse/config'
import { createDataPlane, type DataPlane } from './dataplane.js'

/** What a warm-up did. */
export interface WarmupResult {
  requests: number
  ms: number
}

// Connections the warm-up client keeps busy at once.
const CONNECTIONS = 8
// A warm-up never holds a worker back longer than this.
const LIMIT_MS = 5000
// One in this many requests carries a body; one in CHUNKED_EVERY answers chunked.
const BODY_EVERY = 4
const CHUNKED_EVERY = 5
const REQUEST_BODY = '{"warm":"up","padding":"' + 'x'.repeat(36) + '"}'
const RESPONSE_BODY = '{"ok":true,"from":"gatehouse warm-up upstream","padding":"' + 'x'.repeat(40) + '"}'

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
  const upstream = await startUpstream()
  let done = 0
  try {
    const warm = warmupTable(table, `http://127.0.0.1:${upstream.port}`)
    for (let round = 0; round < 2 && warm.aims.length > 0; round++) {
      const plane = createDataPlane(warm.table, { exclusive: true })
      try {
        done += await drivePlane(plane, warm.aims, Math.ceil(requests / 2), deadline)
      } finally {
        await plane.drain(0)
      }
    }
  } finally {
    upstream.close()
  }
  return { requests: done, ms: Math.round(performance.now() - started) }
}

async function drivePlane (plane: DataPlane, aims: Aim[], requests: number, deadline: number): Promise<number> {
  const port = (await plane.listen()).https.port
  let issued = 0
  const next = (): number => (issued < requests && performance.now() < deadline ? issued++ : -1)
  const sockets = new Set<tls.TLSSocket>()
  // An answer that never comes must not hold the worker back either.
  const stop = setTimeout(() => { for (const s of sockets) s.destroy() }, Math.max(0, deadline - performance.now()) + 500)
  const counts = await Promise.all(Array.from({ length: CONNECTIONS }, (_, k) => drive(port, aims[k % aims.length] as Aim, next, sockets)))
  clearTimeout(stop)
  return counts.reduce((a, b) => a + b, 0)
}

// APIs the warm-up sends requests to, at most: their routes, timeouts and
// path rewriting are what the first real requests meet.
const MAX_APIS = 16
const PLAIN: CompiledApi['upstream']['tls'] = { caPem: null, insecureSkipVerify: false, certPem: null, keyPem: null, minVersion: 'TLSv1.2' }

/** Where one warm-up connection sends its requests. */
interface Aim { host: string, servername: string | undefined, prefix: string }

/**
 * The first MAX_APIS APIs that take requests without a client certificate,
 * re-numbered and routed as the compiler lays them out, every target replaced
 * by the private upstream, with their state-keeping policies off (a rate limit
 * shared through Redis must never count a warm-up); only the default
 * certificate (contexts for hundreds cost more than the warm-up saves).
 */
function warmupTable (table: RoutingTable, target: string): { table: RoutingTable, aims: Aim[] } {
  const apis: CompiledApi[] = []
  const hosts: Record<string, Record<string, number>> = {}
  const wildcards: Record<string, Record<string, number>> = {}
  const anyHost: Record<string, number> = {}
  const aims: Aim[] = []
  const cert = table.tls.certificates[table.tls.defaultCertificate] ?? table.tls.certificates[0]
  const certHost = cert?.domains.find((d) => !d.startsWith('*.') && net.isIP(d) === 0) ?? 'localhost'
  for (const api of table.apis) {
    if (apis.length === MAX_APIS) break
    if (api.auth.type === 'mtls') continue
    const id = apis.length
    apis.push({ ...api, id, upstream: { ...api.upstream, targets: [target], tls: PLAIN, healthCheck: null }, rateLimit: null, cache: null })
    const d = api.domain
    if (d === null) anyHost[api.listenPath] = id
    else if (d.startsWith('*.')) (wildcards[d.slice(2)] ??= {})[api.listenPath] = id
    else (hosts[d] ??= {})[api.listenPath] = id
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
      apis,
      hosts,
      wildcards,
      anyHost
    },
    aims
  }
}

/** One keep-alive connection sending requests one after another; resolves with how many were answered. */
function drive (port: number, aim: Aim, next: () => number, sockets: Set<tls.TLSSocket>): Promise<number> {
  return new Promise((resolve) => {
    let answered = 0
    let got = ''
    const socket = tls.connect({ host: '127.0.0.1', port, servername: aim.servername, rejectUnauthorized: false })
    sockets.add(socket)
    const send = (): void => {
      const i = next()
      if (i === -1) {
        socket.end()
        return
      }
      // The header sets of a bare client and of a browser-like one.
      const common = i % 2 === 0
        ? `host: ${aim.host}\r\nuser-agent: gatehouse-warmup\r\n`
        : `Host: ${aim.host}\r\nUser-Agent: Mozilla/5.0 (gatehouse warm-up)\r\nAccept: application/json, */*\r\nAccept-Encoding: gzip, deflate, br\r\nAccept-Language: en\r\nConnection: keep-alive\r\nX-Request-Id: warmup-${i}\r\n`
      socket.write(i % BODY_EVERY === BODY_EVERY - 1
        ? `POST ${aim.prefix}warmup/${i} HTTP/1.1\r\n${common}content-type: application/json\r\ncontent-length: ${REQUEST_BODY.length}\r\n\r\n${REQUEST_BODY}`
        : `GET ${aim.prefix}warmup/${i}?q=${i} HTTP/1.1\r\n${common}\r\n`)
    }
    socket.setEncoding('latin1')
    socket.on('secureConnect', send)
    socket.on('data', (chunk: string) => {
      got += chunk
      if (!responseComplete(got)) return
      got = ''
      answered++
      send()
    })
    socket.on('error', () => {})
    socket.on('close', () => { resolve(answered) })
  })
}

// The warm-up upstream's answers are small: a whole one ends with its body.
function responseComplete (text: string): boolean {
  const end = text.indexOf('\r\n\r\n')
  if (end === -1) return false
  const length = /content-length: *(\d+)/i.exec(text.slice(0, end))
  if (length !== null) return text.length >= end + 4 + Number(length[1])
  return text.endsWith('\r\n0\r\n\r\n')
}

/** A plain-HTTP upstream on 127.0.0.1 answering each request, one in CHUNKED_EVERY chunked. */
async function startUpstream (): Promise<{ port: number, close(): void }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.setEncoding('latin1')
    let got = ''
    socket.on('data', (chunk: string) => {
      got += chunk
      for (;;) {
        const end = got.indexOf('\r\n\r\n')
        if (end === -1) return
        const length = /content-length: *(\d+)/i.exec(got.slice(0, end))
        const total = end + 4 + (length === null ? 0 : Number(length[1]))
        if (got.length < total) return
        const n = Number(/^\S+ \S*\/warmup\/(\d+)/.exec(got)?.[1] ?? 0)
        got = got.slice(total)
        // The header sets of nginx and of a Node application server.
        const head = n % 2 === 0
          ? `HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: application/json\r\n`
          : `HTTP/1.1 200 OK\r\nX-Powered-By: Express\r\ncontent-type: application/json; charset=utf-8\r\nETag: W/"${n}"\r\ndate: ${new Date().toUTCString()}\r\nconnection: keep-alive\r\nkeep-alive: timeout=5\r\n`
        socket.write(n % CHUNKED_EVERY === CHUNKED_EVERY - 1
          ? `${head}transfer-encoding: chunked\r\n\r\n${RESPONSE_BODY.length.toString(16)}\r\n${RESPONSE_BODY}\r\n0\r\n\r\n`
          : `${head}Content-Length: ${RESPONSE_BODY.length}\r\n\r\n${RESPONSE_BODY}`)
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => { sockets.delete(socket) })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    // exclusive: a cluster worker binds this port itself instead of asking the primary.
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve)
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy()
      server.close()
    }
  }
}
