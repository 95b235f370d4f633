// Entry point of a cluster worker. It does nothing until the primary sends a
// routing table: only then does it build its data plane, warm up
// (warmup.ts) and listen, so a worker never serves without a validated
// config, nor cold. Afterwards it swaps tables, replaces ticket
// keys, answers metric requests and drains on command.
import cluster from 'node:cluster'
import { getHeapStatistics } from 'node:v8'
import type { RoutingTable } from '@gatehouse/config'
import { createDataPlane, type DataPlane } from './dataplane.js'
import { createWorkerMetrics } from './metrics.js'
import { isGatehouseMessage, type ToPrimary, type ToWorker } from './ipc.js'
import { createLogger, isLevel } from './log.js'
import { warmUp } from './warmup.js'

const slot = Number(process.env.GATEHOUSE_WORKER_SLOT ?? 0)
const log = createLogger(`worker-${slot}`)
const metrics = createWorkerMetrics(slot)
let plane: DataPlane | null = null
let listening = false
let draining = false
// Requests sent through the private warm-up planes before listening; 0 skips
// the warm-up (README "Warm-up").
const warmupRequests = Math.floor(parseCount('GATEHOUSE_WARMUP', 4000))

// The data plane's events carry their own level and message; the rest are fields.
function planeLog (entry: Record<string, unknown>): void {
  const { level, msg, ...fields } = entry
  log(isLevel(level) ? level : 'warn', String(msg ?? 'data plane event'), fields)
}

function send (msg: ToPrimary): void {
  if (process.send !== undefined && process.connected) process.send(msg)
}

async function onTable (msg: Extract<ToWorker, { act: 'table' }>): Promise<void> {
  if (draining) return
  if (plane !== null) {
    // A reload that reached a worker still warming up (a respawn during a reload): served from the start.
    if (!listening) log('info', 'config changed during the warm-up; serving the new one', { version: msg.table.version.slice(0, 12) })
    swapTo(plane, msg)
    return
  }
  const opts = {
    metrics,
    log: planeLog,
    ...(msg.ticketKeys !== null ? { ticketKeys: msg.ticketKeys } : {})
  }
  // Built before the warm-up, and the worker's plane from here on: a reload or
  // new ticket keys arriving during the warm-up apply to it at once, and the
  // warmed code meets the objects it will serve with.
  const p = createDataPlane(msg.table as RoutingTable, opts)
  plane = p
  if (warmupRequests > 0) {
    try {
      const w = await warmUp(msg.table, warmupRequests)
      log('info', 'warmed up', { requests: w.requests, ms: w.ms })
    } catch (err) {
      // A warm-up is an optimization: whatever breaks it, the worker serves (cold).
      log('warn', 'warm-up failed; serving without it', { error: err instanceof Error ? err.message : String(err) })
    }
  }
  if (draining) return
  const addr = await p.listen()
  listening = true
  send({ act: 'listening', https: addr.https.port, http: addr.http?.port ?? null })
}

function swapTo (p: DataPlane, msg: Extract<ToWorker, { act: 'table' }>): void {
  try {
    p.swap(msg.table)
  } catch (err) {
    // The primary checks every table before sending it; should one still
    // fail here, this worker keeps serving the table it has.
    const message = err instanceof Error ? err.message : String(err)
    log('error', 'table swap failed; still serving the previous table', { version: msg.table.version, error: message })
    send({ act: 'swap-failed', version: msg.table.version, message })
    return
  }
  if (msg.ticketKeys !== null) p.setTicketKeys(msg.ticketKeys)
  send({ act: 'swapped', version: msg.table.version })
}

function onKeys (msg: Extract<ToWorker, { act: 'keys' }>): void {
  plane?.setTicketKeys(msg.ticketKeys)
}

async function onDrain (msg: Extract<ToWorker, { act: 'drain' }>): Promise<void> {
  if (draining) return
  draining = true
  if (plane !== null) await plane.drain(msg.timeoutMs)
  // Disconnecting lets the primary see a voluntary exit (exitedAfterDisconnect).
  cluster.worker?.disconnect()
  setTimeout(() => process.exit(0), 1000).unref()
}

async function onMetrics (msg: Extract<ToWorker, { act: 'metrics' }>): Promise<void> {
  const snapshot = await metrics.registry.getMetricsAsJSON()
  send({ act: 'metrics', id: msg.id, snapshot: snapshot as never })
}

const handlers: { [K in ToWorker['act']]: (msg: Extract<ToWorker, { act: K }>) => unknown } = {
  table: onTable,
  keys: onKeys,
  drain: onDrain,
  metrics: onMetrics
}

process.on('message', (msg: unknown) => {
  if (!isGatehouseMessage(msg)) return
  const handler = handlers[msg.act as ToWorker['act']] as ((m: ToWorker) => unknown) | undefined
  if (handler === undefined) return
  Promise.resolve(handler(msg as ToWorker)).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err)
    log('fatal', 'worker failed', { act: msg.act, error: message })
    send({ act: 'fatal', message })
    // A worker that cannot listen is useless; the primary respawns it with backoff.
    setTimeout(() => process.exit(1), 100).unref()
  })
})

// cluster's 'online' event fires before this ES module has finished loading,
// so a table sent then would be lost: ask for it once the handlers exist.
send({ act: 'hello' })

// Dead Buffers are freed only by a V8 scavenge, and V8 starts one for Buffer
// memory alone only once 32 MB of it sits in the young generation (twice its
// default maximum semi-space size, whatever --max-semi-space-size says). While
// streaming, the socket chunks a worker has already relayed pile up to that
// mark between scavenges, and glibc keeps the heap they grew: that was about a
// third of a worker's peak RSS. The primary starts workers with --expose-gc, so
// here a scavenge runs as soon as Buffer memory has grown by
// GATEHOUSE_BUFFER_GC_MB (default 4; 0 turns it off) since the last look. The
// baseline follows live data (slow clients holding buffers) instead of
// scavenging again and again for memory that is not garbage.
// Fast-path request bodies with a content-length leave no such garbage (their
// body slabs are reused, client-read.ts); the bodies node:http relays do.
const BUFFER_GC_CHECK_MS = 25
const bufferGcBytes = parseCount('GATEHOUSE_BUFFER_GC_MB', 4) * 1024 * 1024
const scavenge = (globalThis as { gc?: (opts: { type: 'minor' }) => void }).gc
let liveBuffers = 0

// V8's external memory (Buffers are most of it) rather than process.memoryUsage(),
// which also reads the RSS from /proc on every call (1.5% of a worker's profile).
function boundBufferGarbage (): void {
  const now = getHeapStatistics().external_memory
  if (now < liveBuffers) liveBuffers = now
  else if (now - liveBuffers > bufferGcBytes) {
    scavenge?.({ type: 'minor' })
    liveBuffers = getHeapStatistics().external_memory
  }
}

/** A non-negative number from the environment variable `name`, `fallback` when unset or (with a warning) not one. */
function parseCount (name: string, fallback: number): number {
  const value = process.env[name]
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (Number.isFinite(n) && n >= 0) return n
  log('warn', `${name} is not a non-negative number; using ${fallback}`, { value })
  return fallback
}

if (scavenge !== undefined && bufferGcBytes > 0) setInterval(boundBufferGarbage, BUFFER_GC_CHECK_MS).unref()

// Pushed every few seconds as well as on request, so the primary's copy of a
// worker's counters is recent when that worker dies (see cluster-metrics.ts).
setInterval(() => { void onMetrics({ act: 'metrics', id: 0 }) }, 5000).unref()

// The primary drains workers through IPC; a signal sent to the whole process
// group (Ctrl-C in a terminal) must not kill a worker before its requests end.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => {})
process.on('SIGHUP', () => {})

// Bad input must never kill a worker silently: log, and let the primary respawn.
process.on('uncaughtException', (err) => {
  log('fatal', 'uncaught exception', { error: err.message, stack: err.stack })
  process.exit(1)
})
