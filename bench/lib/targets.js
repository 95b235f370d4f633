// The things a run measures, side by side, behind one shape: the upstream
// reached directly (the ceiling), Gatehouse with 1 and with N workers, nginx,
// HAProxy and @fastify/http-proxy with N workers each. A target knows how to
// (re)start itself, where it listens, which process tree to charge CPU and
// memory to, and how to reload when the proxy has a reload.
import { startNginx } from './peers/nginx.js'
import { startHaproxy } from './peers/haproxy.js'
import { startFastify } from './peers/fastify.js'
import { startNodePipe } from './peers/node-pipe.js'
import { startNodeFloor } from './peers/node-floor.js'
import { startNodeRelay } from './peers/node-relay.js'
import { startGatehouse, gatehouseBuilt } from './peers/gatehouse.js'
import { which } from './sys.js'

/** Every target id the runner knows, in report order. */
export const TARGET_IDS = ['direct', 'gatehouse-1', 'gatehouse-n', 'gatehouse-n-rr', 'nginx', 'haproxy', 'fastify', 'node-pipe', 'node-floor', 'node-relay']

/** Target definitions for this machine; ids whose tool is missing come back with `missing`. */
export function defineTargets ({ workers }) {
  const ghMissing = gatehouseBuilt() ? null : 'packages/gateway/dist/cli.js not built (run `pnpm build`)'
  return [
    { id: 'direct', label: 'upstream direct (plain HTTP)', tls: false, missing: null, start: null },
    { id: 'gatehouse-1', label: 'Gatehouse, 1 worker', tls: true, missing: ghMissing, start: (c) => startGatehouse({ ...c, name: 'gatehouse-1', workers: 1 }) },
    { id: 'gatehouse-n', label: `Gatehouse, ${workers} workers`, tls: true, missing: ghMissing, start: (c) => startGatehouse({ ...c, name: 'gatehouse-n', workers }) },
    // The same with round-robin scheduling: the primary accepts every connection and hands it
    // to a worker over IPC. Measured where connection churn is (and keepalive for reference).
    { id: 'gatehouse-n-rr', label: `Gatehouse, ${workers} workers, GATEHOUSE_SCHEDULING=round_robin`, tls: true, missing: ghMissing, scenarios: ['keepalive', 'handshake', 'resumed'], start: (c) => startGatehouse({ ...c, name: 'gatehouse-n-rr', workers, scheduling: 'round_robin' }) },
    { id: 'nginx', label: `nginx, ${workers} workers`, tls: true, missing: which('nginx') ? null : 'nginx not installed (apt-get install nginx)', start: (c) => startNginx({ ...c, workers }) },
    { id: 'haproxy', label: `HAProxy, ${workers} threads`, tls: true, missing: which('haproxy') ? null : 'haproxy not installed (apt-get install haproxy)', start: (c) => startHaproxy({ ...c, workers }) },
    { id: 'fastify', label: `@fastify/http-proxy, ${workers} workers`, tls: true, missing: null, start: (c) => startFastify({ ...c, workers }) },
    // The naive Node proxy, measured only where the CPU bars are (the run is long enough already).
    { id: 'node-pipe', label: `naive node:https pipe, ${workers} workers`, tls: true, missing: null, scenarios: ['keepalive', 'stream', 'handshake'], start: (c) => startNodePipe({ ...c, workers }) },
    // Not a proxy: node:https answering the upstream's paths itself — the least any Node TLS
    // server costs here (per request, per handshake, per streamed MiB, in memory and latency),
    // against which the bars out of Node's reach are told apart (floorVerdicts in bars.js).
    { id: 'node-floor', label: `Node floor: node:https answering itself (no proxying), ${workers} workers`, tls: true, missing: null, scenarios: ['keepalive', 'latency', 'stream', 'handshake'], start: (c) => startNodeFloor({ ...c, workers }) },
    // Not an HTTP proxy either: node:tls piping each connection to its own upstream
    // connection (TCP mode) — the least any Node TLS proxy costs, upstream leg included.
    { id: 'node-relay', label: `Node relay floor: node:tls piped to the upstream (TCP mode, no HTTP), ${workers} workers`, tls: true, missing: null, scenarios: ['keepalive', 'latency', 'stream'], start: (c) => startNodeRelay({ ...c, workers }) }
  ]
}

/** A live target: wraps a definition with its running instance. */
export class Target {
  constructor (def, common) {
    this.def = def
    this.id = def.id
    this.label = def.label
    this.tls = def.tls
    this.common = common
    this.instance = null
    this.port = def.id === 'direct' ? common.upstreamPort : 0
    /** Scenario names this target takes part in; null = all. */
    this.scenarios = def.scenarios ?? null
  }

  /** Starts (or restarts) the proxy; a no-op for the direct upstream. */
  async start () {
    if (this.def.start === null) return
    if (this.instance) await this.stop()
    this.instance = await this.def.start(this.common)
    this.port = this.instance.port
  }

  async stop () {
    const inst = this.instance
    this.instance = null
    if (inst) await inst.stop()
  }

  /** Root pid of the proxy's process tree, or null (direct). */
  get pid () { return this.instance?.pid ?? null }
  get version () { return this.instance?.version ?? '' }
  get command () { return this.instance?.command ?? '' }
  get canReload () { return typeof this.instance?.reload === 'function' }
  reload () { this.instance?.reload?.() }

  /** What a closed-loop generator (wrk/autocannon) points at. */
  get url () { return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}` }
  /** What the built-in client points at. */
  get endpoint () { return { host: '127.0.0.1', port: this.port, tls: this.tls } }
}
