// The access log: one JSON line per request, written through pino's
// SonicBoom destination (buffered, asynchronous writes, so the event loop
// never waits on the disk or the pipe). `access_log: off` yields null and the
// request path skips the whole thing with one null check (STYLE #6). pino is
// loaded only when a log is opened: with `access_log: off` a worker never
// holds it (about 3 MiB of heap and code per worker, README "Memory").
import { createRequire } from 'node:module'
import type pino from 'pino'

/** The fields of one access-log line. */
export interface AccessRecord {
  requestId: string
  api: string
  method: string
  path: string
  status: number
  bytesIn: number
  bytesOut: number
  durationMs: number
  upstreamMs: number
  clientIp: string
  tlsVersion: string
  resumed: boolean
}

/** A line writer; null when the log is off. */
export interface AccessLog {
  write(rec: AccessRecord): void
  flush(): Promise<void>
  close(): void
}

type Boom = ReturnType<typeof pino.destination>

// Which worker served a request (several workers share one log stream).
const PID = process.pid

class SonicAccessLog implements AccessLog {
  #dest: Boom
  constructor (dest: Boom) { this.#dest = dest }
  write (r: AccessRecord): void {
    // Hand-built line: only the strings a client controls go through JSON.stringify.
    this.#dest.write(
      `{"time":${Date.now()},"pid":${PID},"request_id":${JSON.stringify(r.requestId)},"api":${JSON.stringify(r.api)},` +
      `"method":${JSON.stringify(r.method)},"path":${JSON.stringify(r.path)},"status":${r.status},` +
      `"bytes_in":${r.bytesIn},"bytes_out":${r.bytesOut},"duration_ms":${r.durationMs.toFixed(3)},` +
      `"upstream_ms":${r.upstreamMs.toFixed(3)},"client_ip":${JSON.stringify(r.clientIp)},` +
      `"tls_version":${JSON.stringify(r.tlsVersion)},"resumed":${r.resumed}}\n`)
  }
  flush (): Promise<void> {
    return new Promise((resolve) => {
      try { this.#dest.flush(() => resolve()) } catch { resolve() }
    })
  }
  close (): void {
    try { this.#dest.end() } catch { /* already closed */ }
  }
}

const requireDep = createRequire(import.meta.url)

/** Opens the access log named by `access_log` (`stdout`, `off`, or a path). */
export function openAccessLog (target: string): AccessLog | null {
  if (target === 'off') return null
  // pino is CommonJS: a synchronous require keeps a table swap synchronous.
  const { destination } = requireDep('pino') as typeof pino
  const dest = target === 'stdout'
    ? destination({ dest: 1, sync: false })
    : destination({ dest: target, sync: false, mkdir: true, append: true })
  return new SonicAccessLog(dest)
}
