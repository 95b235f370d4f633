// The admin HTTP server of the primary: /healthz, /readyz, /config and
// /metrics. It binds `admin.host:port` (loopback by default) and is never
// reachable on the public listeners. Handlers are read-only views of the
// primary's state, passed in as functions so this file holds no state of its own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the admin server reads from the primary. */
export interface AdminSource {
  /** Whether the process is alive and its event loop turns (always true when it answers). */
  ready: () => { ready: boolean, reason: string }
  /** The /config document (never key material). */
  config: () => unknown
  /** Prometheus text of all workers plus the primary. */
  metrics: () => Promise<string>
}

const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

function json (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n'
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

async function handle (source: AdminSource, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0]
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    json(res, 405, { error: 'method not allowed; the admin endpoints are read-only (GET)' })
    return
  }
  switch (path) {
    case '/healthz':
      json(res, 200, { status: 'ok' })
      return
    case '/readyz': {
      const r = source.ready()
      json(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', reason: r.reason })
      return
    }
    case '/config':
      json(res, 200, source.config())
      return
    case '/metrics': {
      const text = await source.metrics()
      res.writeHead(200, { 'content-type': PROM_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) })
      res.end(text)
      return
    }
    default:
      json(res, 404, { error: `no admin endpoint ${path}; try /healthz, /readyz, /config or /metrics` })
  }
}

/** Starts the admin server; resolves once it listens. */
export async function startAdmin (host: string, port: number, source: AdminSource): Promise<{ server: Server, address: AddressInfo }> {
  const server = createServer((req, res) => {
    handle(source, req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: err instanceof Error ? err.message : String(err) })
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5000
  server.headersTimeout = 10000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  return { server, address: server.address() as AddressInfo }
}
