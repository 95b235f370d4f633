// The cluster primary: loads and compiles the config, owns the session-ticket
// keys, forks one worker per core and hands each the routing table, serves the
// admin endpoints, and turns signals into reloads (SIGHUP) and drains
// (SIGTERM/SIGINT). It never serves public traffic itself. The reload contract
// is nginx's: validate first, keep the old table on any error, swap only a
// table that compiled; workers finish in-flight requests on the table they
// started with.
import cluster, { type Worker } from 'node:cluster'
import { fileURLToPath } from 'node:url'
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { dirname } from 'node:path'
import type { Server } from 'node:http'
import type { RoutingTable } from '@gatehouse/config'
import { startAdmin } from './admin.js'
import { ClusterMetrics } from './cluster-metrics.js'
import { isGatehouseMessage, type ToPrimary, type ToWorker } from './ipc.js'
import { createLogger, type Logger } from './log.js'
import { createPrimaryMetrics, type PrimaryMetrics } from './metrics.js'
import { loadTable } from './config-source.js'
import { newTicketKeys, TICKET_ROTATION_MS } from './tickets.js'
import { holdSignals, releaseSignals } from './early-signals.js'
import { describeTable, listenersDiffer, keepListeners } from './table-info.js'

/** How `gatehouse start` (and the demo) runs the primary. */
export interface PrimaryOptions {
  /** Config file path. */
  configPath: string
  /** `--workers`, overriding the file and GATEHOUSE_WORKERS. */
  workers?: number
  /** Environment for `${VAR}` interpolation and overrides. */
  env?: NodeJS.ProcessEnv
  /** Operational logger (default: JSON lines on stdout). */
  log?: Logger
  /** Called once every worker listens and the admin server is up. */
  onReady?: (info: ReadyInfo) => void
}

/** What the primary reports when it is ready. */
export interface ReadyInfo {
  httpsPort: number
  httpPort: number | null
  adminPort: number
  workers: number
  table: RoutingTable
}

const RELEASE = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

// Respawn backoff: 100 ms doubling to 30 s; more than CRASH_LOOP exits within
// CRASH_WINDOW_MS is a crash loop and is logged at error level every time.
const BACKOFF_START_MS = 100
const BACKOFF_MAX_MS = 30_000
const CRASH_WINDOW_MS = 60_000
const CRASH_LOOP = 5

interface Slot {
  index: number
  worker: Worker | null
  listening: boolean
  crashes: number[]
  respawnTimer: NodeJS.Timeout | null
}

/** Runs the primary until it has drained; resolves with the process exit code. */
export async function runPrimary (opts: PrimaryOptions): Promise<number> {
  const env = opts.env ?? process.env
  const log = opts.log ?? createLogger('primary')
  const metrics: PrimaryMetrics = createPrimaryMetrics()

  holdSignals()
  log('info', 'starting', { config: opts.configPath, pid: process.pid, release: RELEASE })

  const first = await loadTable(opts.configPath, env)
  for (const w of first.warnings) log('warn', w)
  if (!first.ok) {
    releaseSignals()
    for (const e of first.errors) log('error', e)
    log('fatal', `${opts.configPath}: ${first.errors.length} error(s); not starting (run \`gatehouse check -c ${opts.configPath}\`)`)
    return 1
  }
  let table = first.table
  const workerCount = resolveWorkers(opts.workers, env, table.workers)
  const scheduling = resolveScheduling(env, table.scheduling)
  cluster.schedulingPolicy = scheduling === 'os' ? cluster.SCHED_NONE : cluster.SCHED_RR
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./worker.js', import.meta.url)),
    execArgv: workerExecArgv(process.execArgv),
    serialization: 'advanced'
  })

  let ticketKeys = table.tls.sessionTickets ? newTicketKeys() : null
  let loadedAt = Date.now()
  let draining = false
  let readyAnnounced = false
  let reloading: Promise<void> | null = null
  let reloadAgain = false
  let abortStartup: ((message: string) => void) | null = null
  const slots: Slot[] = Array.from({ length: workerCount }, (_, index) => ({ index, worker: null, listening: false, crashes: [], respawnTimer: null }))
  const bySlot = new Map<number, Slot>()
  let ports = { https: 0, http: null as number | null }

  const clusterMetrics = new ClusterMetrics(metrics.registry, (workerId, requestId) => {
    const w = cluster.workers?.[workerId]
    if (w === undefined || !w.isConnected()) return false
    sendTo(w, { act: 'metrics', id: requestId })
    return true
  })
  setConfigMetrics(metrics, table)
  metrics.lastReloadSuccess.set(Math.floor(loadedAt / 1000))

  function sendTo (w: Worker, msg: ToWorker): void {
    if (w.isConnected()) w.send(msg)
  }

  function fork (slot: Slot): void {
    slot.respawnTimer = null
    slot.listening = false
    const w = cluster.fork(workerEnv(slot.index, scheduling, env))
    slot.worker = w
    bySlot.set(w.id, slot)
    // A message still in the IPC pipe when its worker was replaced is stale.
    w.on('message', (msg: unknown) => { if (slot.worker === w && isGatehouseMessage(msg)) onMessage(slot, w, msg as ToPrimary) })
  }

  function onMessage (slot: Slot, w: Worker, msg: ToPrimary): void {
    switch (msg.act) {
      case 'hello':
        // A worker forked just before a SIGTERM drains at once instead of serving.
        sendTo(w, draining ? { act: 'drain', timeoutMs: table.shutdownTimeoutMs } : { act: 'table', table, ticketKeys })
        break
      case 'listening':
        slot.listening = true
        ports = { https: msg.https, http: msg.http }
        metrics.workersUp.set(slots.filter((s) => s.listening).length)
        if (!readyAnnounced && !draining && slots.every((s) => s.listening)) announceReady()
        break
      case 'metrics':
        clusterMetrics.receive(w.id, msg.id, msg.snapshot)
        break
      case 'log':
        log('info', String(msg.entry.msg ?? ''), msg.entry)
        break
      case 'fatal':
        log('error', `worker ${slot.index} failed: ${msg.message}`, { worker: slot.index })
        // Before the gateway was ever ready, a worker that cannot start (port
        // taken, no permission for 443) will not start on a retry either: fail
        // the way nginx does instead of respawning forever.
        if (!readyAnnounced) abortStartup?.(msg.message)
        break
      case 'swap-failed':
        log('error', `worker ${slot.index} could not apply config ${msg.version.slice(0, 12)}: ${msg.message}`, { worker: slot.index })
        break
      case 'swapped':
        break
    }
  }

  function announceReady (): void {
    readyAnnounced = true
    log('info', 'gatehouse ready', {
      release: RELEASE,
      node: process.version,
      workers: workerCount,
      scheduling,
      https: `${table.listen.https.host}:${ports.https}`,
      http: ports.http === null ? null : `${table.listen.http?.host ?? ''}:${ports.http}`,
      admin: `${table.admin.host}:${adminPort}`,
      ...describeTable(table)
    })
    opts.onReady?.({ httpsPort: ports.https, httpPort: ports.http, adminPort, workers: workerCount, table })
  }

  cluster.on('exit', (w, code, signal) => {
    const slot = bySlot.get(w.id)
    bySlot.delete(w.id)
    clusterMetrics.retire(w.id)
    if (slot === undefined || slot.worker !== w) return
    slot.worker = null
    slot.listening = false
    metrics.workersUp.set(slots.filter((s) => s.listening).length)
    if (draining) return
    // Anything but a drain we asked for is unexpected: count it and respawn.
    metrics.workerRestarts.inc()
    const now = Date.now()
    slot.crashes = slot.crashes.filter((t) => now - t < CRASH_WINDOW_MS)
    slot.crashes.push(now)
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** (slot.crashes.length - 1))
    const loop = slot.crashes.length >= CRASH_LOOP
    log(loop ? 'error' : 'warn', loop ? `worker ${slot.index} is crash-looping: ${slot.crashes.length} exits in the last minute; next respawn in ${delay} ms` : `worker ${slot.index} exited; respawning in ${delay} ms`, {
      worker: slot.index, pid: w.process.pid, code, signal
    })
    slot.respawnTimer = setTimeout(fork, delay, slot)
  })

  // --- admin ---------------------------------------------------------------
  let admin: { server: Server, port: number }
  try {
    const started = await startAdmin(table.admin.host, table.admin.port, {
      ready: () => draining
        ? { ready: false, reason: 'draining' }
        : slots.every((s) => s.listening)
          ? { ready: true, reason: 'config loaded and all workers listening' }
          : { ready: false, reason: `${slots.filter((s) => s.listening).length}/${workerCount} workers listening` },
      config: () => ({ ...describeTable(table), loaded_at: new Date(loadedAt).toISOString(), workers: workerCount, scheduling }),
      metrics: async () => await clusterMetrics.scrape(Object.values(cluster.workers ?? {}).flatMap((w) => w === undefined ? [] : [w.id]))
    })
    admin = { server: started.server, port: started.address.port }
  } catch (err) {
    releaseSignals()
    log('fatal', `cannot listen on admin ${table.admin.host}:${table.admin.port}: ${(err as Error).message}; change admin.port or stop what holds it`)
    return 1
  }
  const adminPort = admin.port

  for (const slot of slots) fork(slot)

  // --- ticket rotation -----------------------------------------------------
  const rotation = setInterval(() => {
    if (ticketKeys === null) return
    ticketKeys = newTicketKeys()
    for (const s of slots) if (s.worker !== null) sendTo(s.worker, { act: 'keys', ticketKeys })
    log('info', 'session-ticket keys rotated')
  }, TICKET_ROTATION_MS)
  rotation.unref()

  // --- reload --------------------------------------------------------------
  async function reloadOnce (reason: string): Promise<void> {
    const next = await loadTable(opts.configPath, env)
    for (const w of next.warnings) log('warn', w)
    if (!next.ok) {
      metrics.configReloads.inc({ result: 'failure' })
      for (const e of next.errors) log('error', e)
      log('error', `reload (${reason}) failed: ${next.errors.length} error(s); still serving config ${table.version.slice(0, 12)}`)
      return
    }
    // A watched directory also changes for files we do not read: same content, nothing to do.
    if (reason === 'file change' && next.table.version === table.version) return
    let fresh = next.table
    if (listenersDiffer(table, fresh)) {
      log('warn', 'listener, admin, workers or scheduling settings changed: they need a restart (gatehouse start); applying the rest')
      fresh = keepListeners(table, fresh)
    }
    // Tickets switched on by this reload: every worker needs the same new keys.
    const newKeys = fresh.tls.sessionTickets && ticketKeys === null
    if (newKeys) ticketKeys = newTicketKeys()
    table = fresh
    loadedAt = Date.now()
    for (const s of slots) if (s.worker !== null) sendTo(s.worker, { act: 'table', table, ticketKeys: newKeys ? ticketKeys : null })
    metrics.configReloads.inc({ result: 'success' })
    metrics.lastReloadSuccess.set(Math.floor(loadedAt / 1000))
    setConfigMetrics(metrics, table)
    log('info', `reloaded (${reason})`, { version: table.version.slice(0, 12), ...describeTable(table) })
  }

  function reload (reason: string): void {
    if (draining) return
    if (reloading !== null) { reloadAgain = true; return }
    reloading = reloadOnce(reason)
      .catch((err: unknown) => {
        metrics.configReloads.inc({ result: 'failure' })
        log('error', `reload failed: ${err instanceof Error ? err.message : String(err)}`)
      })
      .finally(() => {
        reloading = null
        if (reloadAgain) { reloadAgain = false; reload(reason) }
      })
  }

  const watchers = table.reloadWatch ? watchConfig(opts.configPath, table, () => reload('file change')) : []

  // --- shutdown ------------------------------------------------------------
  return await new Promise<number>((resolve) => {
    const onHup = (): void => reload('SIGHUP')
    function finish (code: number): void {
      process.off('SIGHUP', onHup)
      process.off('SIGTERM', onStop)
      process.off('SIGINT', onStop)
      clearInterval(rotation)
      for (const w of watchers) w.close()
      admin.server.close()
      admin.server.closeAllConnections()
      resolve(code)
    }
    let firstSignalAt = 0
    function onStop (signal: NodeJS.Signals): void {
      // `timeout(1)` and some supervisors signal the process and then its
      // group: a copy within 500 ms is the same request, not a second one.
      if (draining && Date.now() - firstSignalAt < 500) return
      if (draining) {
        log('warn', `${signal} again: forcing exit`)
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL')
        finish(1)
        return
      }
      draining = true
      firstSignalAt = Date.now()
      log('info', `${signal}: draining (up to ${table.shutdownTimeoutMs} ms)`)
      for (const s of slots) {
        if (s.respawnTimer !== null) clearTimeout(s.respawnTimer)
        if (s.worker !== null) sendTo(s.worker, { act: 'drain', timeoutMs: table.shutdownTimeoutMs })
      }
      const force = setTimeout(() => {
        log('warn', 'shutdown_timeout reached: killing workers that are still busy')
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL')
      }, table.shutdownTimeoutMs + 2000)
      const check = setInterval(() => {
        if (Object.keys(cluster.workers ?? {}).length > 0) return
        clearInterval(check)
        clearTimeout(force)
        log('info', 'drained; exiting')
        finish(0)
      }, 50)
    }
    abortStartup = (message) => {
      abortStartup = null
      draining = true
      log('fatal', `not starting: ${message}`)
      for (const s of slots) if (s.respawnTimer !== null) clearTimeout(s.respawnTimer)
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL')
      finish(1)
    }
    process.on('SIGHUP', onHup)
    process.on('SIGTERM', onStop)
    process.on('SIGINT', onStop)
    for (const signal of releaseSignals()) {
      if (signal === 'SIGHUP') onHup()
      else onStop(signal)
    }
  })
}

/**
 * The node flags of a worker: the primary's own (--cpu-prof, --inspect and the
 * like carry over, as cluster does by default) plus --expose-gc, which lets
 * the worker bound its Buffer garbage (worker.ts, GATEHOUSE_BUFFER_GC_MB).
 */
function workerExecArgv (execArgv: readonly string[]): string[] {
  return execArgv.includes('--expose-gc') || execArgv.includes('--expose_gc') ? [...execArgv] : [...execArgv, '--expose-gc']
}

function resolveWorkers (flag: number | undefined, env: NodeJS.ProcessEnv, fromFile: number): number {
  if (flag !== undefined) return flag
  const fromEnv = env.GATEHOUSE_WORKERS
  if (fromEnv !== undefined && fromEnv !== '' && fromEnv !== 'auto') {
    const n = Number(fromEnv)
    if (Number.isInteger(n) && n > 0) return n
  }
  return fromFile
}

// With a shared listening socket every idle worker wakes for a new connection
// and the first one accepts all it can: a burst of connections lands on one
// worker. libuv's single-accept mode takes one connection per wake-up and
// yields, so the next one goes to another worker (nginx gets the same effect
// from EPOLLEXCLUSIVE); it is set only where workers accept, never on the
// primary, and an operator's own value wins.
function workerEnv (slot: number, scheduling: RoutingTable['scheduling'], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const vars: NodeJS.ProcessEnv = { GATEHOUSE_WORKER_SLOT: String(slot) }
  if (scheduling === 'os' && env.UV_TCP_SINGLE_ACCEPT === undefined) vars.UV_TCP_SINGLE_ACCEPT = '1'
  return vars
}

function resolveScheduling (env: NodeJS.ProcessEnv, fromFile: RoutingTable['scheduling']): RoutingTable['scheduling'] {
  const v = env.GATEHOUSE_SCHEDULING
  return v === 'os' || v === 'round_robin' ? v : fromFile
}

function setConfigMetrics (metrics: PrimaryMetrics, table: RoutingTable): void {
  metrics.certificateExpiry.reset()
  for (const cert of table.tls.certificates) {
    for (const domain of cert.domains) metrics.certificateExpiry.set({ domain }, Math.floor(cert.notAfter / 1000))
  }
}

// The kubelet updates a mounted ConfigMap or Secret by swapping a symlink in
// the mount's directory, which a watch on the file itself never sees: watch
// the directories and debounce.
function watchConfig (configPath: string, table: RoutingTable, onChange: () => void): FSWatcher[] {
  const dirs = new Set<string>([dirname(configPath)])
  for (const c of table.tls.certificates) dirs.add(dirname(c.certFile))
  let timer: NodeJS.Timeout | null = null
  const fire = (): void => {
    if (timer !== null) clearTimeout(timer)
    timer = setTimeout(onChange, 500)
    timer.unref()
  }
  const watchers: FSWatcher[] = []
  for (const dir of dirs) {
    try {
      const w = watch(dir, { persistent: false }, fire)
      watchers.push(w)
    } catch { /* a directory that cannot be watched is reported by the next reload */ }
  }
  return watchers
}
