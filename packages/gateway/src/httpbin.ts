// An embedded httpbin-like upstream for `gatehouse demo`, the tests and the
// benchmarks: plain HTTP on loopback, every body streamed (request bodies are
// hashed as they arrive, generated bodies are produced chunk by chunk with
// backpressure), plus a WebSocket echo. Endpoints:
//   /get /anything[/*] /headers /ip          JSON echo of the request (bodies: length + sha256)
//   /status/:code  /delay/:ms                 a given status / an answer after a pause (max 60 s)
//   /bytes/:n[?seed=S]                         n deterministic bytes, streamed; `x-content-sha256` header
//   /stream/:n                                 n JSON lines, chunked
//   /drip?numbytes=N&duration=S&delay=S        N bytes spread over S seconds
//   /ws                                        WebSocket echo
import http from 'node:http'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'

/** A running httpbin. */
export interface Httpbin {
  url: string
  port: number
  close(): Promise<void>
}

const CHUNK = 64 * 1024
const MAX_BYTES = 1024 * 1024 * 1024
const MAX_DELAY_MS = 60_000
const BODY_ECHO_MAX = 64 * 1024

// A 64 KiB block derived from the seed; each chunk is the block with its
// first 8 bytes replaced by the chunk index, so reordering or dropping a chunk
// changes the hash.
function seedBlock (seed: string): Buffer {
  const block = Buffer.allocUnsafe(CHUNK)
  let h = createHash('sha256').update(seed).digest()
  for (let off = 0; off < CHUNK; off += 32) {
    h.copy(block, off)
    h = createHash('sha256').update(h).digest()
  }
  return block
}

function chunkAt (block: Buffer, index: number, size: number): Buffer {
  const chunk = Buffer.allocUnsafe(size)
  block.copy(chunk, 0, 0, size)
  if (size >= 8) chunk.writeBigUInt64BE(BigInt(index), 0)
  return chunk
}

const hashCache = new Map<string, string>()

function bytesSha256 (block: Buffer, n: number, key: string): string {
  const cached = hashCache.get(key)
  if (cached !== undefined) return cached
  const h = createHash('sha256')
  for (let i = 0, left = n; left > 0; i++, left -= CHUNK) h.update(chunkAt(block, i, Math.min(CHUNK, left)))
  const hex = h.digest('hex')
  if (hashCache.size > 64) hashCache.clear()
  hashCache.set(key, hex)
  return hex
}

function bytesStream (block: Buffer, n: number): Readable {
  let index = 0
  let left = n
  return new Readable({
    highWaterMark: CHUNK,
    read () {
      if (left <= 0) { this.push(null); return }
      const size = Math.min(CHUNK, left)
      left -= size
      this.push(chunkAt(block, index++, size))
    }
  })
}

function sendJson (res: http.ServerResponse, status: number, obj: unknown): void {
  const body = JSON.stringify(obj, null, 2) + '\n'
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function headersObject (req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {}
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    const prev = out[name]
    out[name] = prev === undefined ? raw[i + 1] as string : `${prev}, ${raw[i + 1] as string}`
  }
  return out
}

function echo (req: http.IncomingMessage, res: http.ServerResponse, withBody: boolean): void {
  const url = new URL(req.url ?? '/', 'http://httpbin')
  const base = {
    method: req.method,
    url: req.url,
    path: url.pathname,
    args: Object.fromEntries(url.searchParams),
    headers: headersObject(req),
    origin: req.socket.remoteAddress
  }
  if (!withBody) {
    req.resume()
    sendJson(res, 200, base)
    return
  }
  const hash = createHash('sha256')
  let length = 0
  const kept: Buffer[] = []
  let keptLength = 0
  req.on('data', (chunk: Buffer) => {
    hash.update(chunk)
    length += chunk.length
    if (keptLength < BODY_ECHO_MAX) {
      kept.push(chunk)
      keptLength += chunk.length
    }
  })
  req.on('end', () => {
    const data = length <= BODY_ECHO_MAX ? Buffer.concat(kept).toString('utf8') : null
    sendJson(res, 200, { ...base, body_bytes: length, body_sha256: hash.digest('hex'), data })
  })
  req.on('error', () => { res.destroy() })
}

function intParam (s: string | undefined, max: number): number | null {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return null
  const n = Number(s)
  return n <= max ? n : null
}

function onRequest (req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://httpbin')
  const parts = url.pathname.split('/')
  const first = parts[1] ?? ''
  switch (first) {
    case 'get':
    case 'headers':
    case 'ip':
      if (first === 'headers') { req.resume(); sendJson(res, 200, { headers: headersObject(req) }); return }
      if (first === 'ip') { req.resume(); sendJson(res, 200, { origin: req.socket.remoteAddress }); return }
      echo(req, res, false)
      return
    case 'anything':
    case 'post':
    case 'put':
      echo(req, res, true)
      return
    case 'status': {
      const code = intParam(parts[2], 599)
      req.resume()
      if (code === null || code < 200) { sendJson(res, 400, { error: 'use /status/200..599' }); return }
      res.writeHead(code, { 'content-length': 0 })
      res.end()
      return
    }
    case 'delay': {
      const ms = intParam(parts[2], MAX_DELAY_MS)
      req.resume()
      if (ms === null) { sendJson(res, 400, { error: `use /delay/0..${MAX_DELAY_MS} (milliseconds)` }); return }
      const timer = setTimeout(() => { sendJson(res, 200, { delayed_ms: ms }) }, ms)
      res.on('close', () => { clearTimeout(timer) })
      return
    }
    case 'bytes': {
      const n = intParam(parts[2], MAX_BYTES)
      req.resume()
      if (n === null) { sendJson(res, 400, { error: `use /bytes/0..${MAX_BYTES}` }); return }
      const seed = url.searchParams.get('seed') ?? 'gatehouse'
      const block = seedBlock(seed)
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': n,
        'x-content-sha256': bytesSha256(block, n, `${seed}:${n}`)
      })
      if (req.method === 'HEAD') { res.end(); return }
      bytesStream(block, n).pipe(res)
      return
    }
    case 'stream': {
      const n = intParam(parts[2], 10_000)
      req.resume()
      if (n === null) { sendJson(res, 400, { error: 'use /stream/0..10000' }); return }
      res.writeHead(200, { 'content-type': 'application/x-ndjson' })
      let i = 0
      const s = new Readable({
        read () {
          if (i >= n) { this.push(null); return }
          this.push(JSON.stringify({ id: i++, url: req.url }) + '\n')
        }
      })
      s.pipe(res)
      return
    }
    case 'drip': {
      req.resume()
      const numbytes = Math.min(Number(url.searchParams.get('numbytes') ?? 10), 10 * 1024 * 1024)
      const duration = Math.min(Number(url.searchParams.get('duration') ?? 2), 60) * 1000
      const delay = Math.min(Number(url.searchParams.get('delay') ?? 0), 60) * 1000
      if (!Number.isFinite(numbytes) || !Number.isFinite(duration) || !Number.isFinite(delay) || numbytes < 0) {
        sendJson(res, 400, { error: 'use /drip?numbytes=N&duration=SECONDS&delay=SECONDS' })
        return
      }
      const step = numbytes > 0 ? duration / numbytes : 0
      let sent = 0
      let timer: NodeJS.Timeout | null = null
      const tick = (): void => {
        if (sent >= numbytes) { res.end(); return }
        res.write('*')
        sent++
        timer = setTimeout(tick, step)
      }
      res.on('close', () => { if (timer !== null) clearTimeout(timer) })
      timer = setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': numbytes })
        tick()
      }, delay)
      return
    }
    default:
      req.resume()
      sendJson(res, 404, { error: `no such endpoint ${url.pathname}`, endpoints: ['/get', '/anything', '/headers', '/ip', '/status/:code', '/delay/:ms', '/bytes/:n', '/stream/:n', '/drip', '/ws'] })
  }
}

function onWsConnection (ws: WebSocket): void {
  ws.on('message', (data, isBinary) => { ws.send(data, { binary: isBinary }) })
  ws.on('error', () => { ws.terminate() })
}

/** Starts the embedded httpbin on loopback (port 0 = any free port). */
export function startHttpbin (opts: { host?: string, port?: number } = {}): Promise<Httpbin> {
  const host = opts.host ?? '127.0.0.1'
  const server = http.createServer({ keepAliveTimeout: 65_000 }, onRequest)
  // Longer than the gateway's pool idle timeout, so the gateway closes idle sockets first.
  server.keepAliveTimeout = 65_000
  const wss = new WebSocketServer({ noServer: true })
  wss.on('connection', onWsConnection)
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => { wss.emit('connection', ws, req) })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port: opts.port ?? 0 }, () => {
      const { port } = server.address() as AddressInfo
      const shown = host.includes(':') ? `[${host}]` : host
      resolve({
        url: `http://${shown}:${port}`,
        port,
        close: () => new Promise<void>((done) => {
          for (const ws of wss.clients) ws.terminate()
          wss.close()
          server.close(() => { done() })
          server.closeAllConnections()
        })
      })
    })
  })
}
