// latency: a fixed request rate — half of Gatehouse's (N workers) keep-alive
// maximum measured earlier in the same run — over 50 keep-alive connections,
// latency from each request's scheduled send time, µs resolution → p50, p99,
// p99.9, and what each proxy adds over the upstream reached directly.
// The client opens all 50 connections and runs a warm-up at the rate before
// the measured window (TLS handshakes block its one thread; a fresh process
// runs its first second interpreted), and reports its own event-loop delay
// over the window: a client that stalled shows there, not as the proxy's p99.
import { builtin } from '../lib/load/generators.js'
import { median } from '../lib/stats.js'
import { HOST, withCpu } from '../lib/measure.js'
import { Target } from '../lib/targets.js'

/** The rate used for every target: --rate, else half the median keep-alive req/s of Gatehouse N workers (or of the slowest proxy measured), else 500. */
export function latencyRate (ctx) {
  if (ctx.opts.rate > 0) return ctx.opts.rate
  const ka = ctx.records.keepalive ?? {}
  // Without Gatehouse in the run, the slowest proxy sets the rate (the direct upstream never does).
  const base = ka['gatehouse-n'] ?? ka['gatehouse-1']
  const rps = base
    ? median(base.map((r) => r.rps))
    : Math.min(...Object.entries(ka).filter(([id]) => id !== 'direct').map(([, rs]) => median(rs.map((r) => r.rps))))
  return Number.isFinite(rps) && rps > 0 ? Math.max(50, Math.round(rps / 2)) : 500
}

/** Unmeasured warm-up at the rate before each measured window. */
const WARMUP_MS = (ctx) => (ctx.opts.smoke ? 300 : 1000)

/** A client whose own loop stalled longer than this cannot vouch for a 1 ms bar. */
export const CLIENT_STALL_US = 1000

export default {
  name: 'latency',
  title: 'latency: fixed rate at half of Gatehouse\'s keep-alive maximum, 50 connections',
  columns: [
    { key: 'rate', label: 'rate req/s' },
    { key: 'p50', label: 'p50 µs' },
    { key: 'p99', label: 'p99 µs' },
    { key: 'p999', label: 'p99.9 µs' },
    { key: 'addedP50', label: 'added p50 µs' },
    { key: 'addedP99', label: 'added p99 µs' },
    { key: 'addedP999', label: 'added p99.9 µs' },
    { key: 'dropped', label: 'late (not sent)' },
    { key: 'sendLagP99', label: 'client send lag p99 µs' },
    { key: 'loopP99', label: 'client loop delay p99 µs' },
    { key: 'loopMax', label: 'client loop delay max µs' },
    { key: 'cpuPerReq', label: 'CPU µs/req at this rate' },
    { key: 'busyPct', label: 'proxy CPU % of its core' },
    { key: 'failed', label: 'failed' }
  ],
  // Added latency needs the direct upstream in the same rounds: measured even when --targets left it out.
  targets: (ctx) => ctx.targets.some((t) => t.id === 'direct')
    ? ctx.targets
    : [new Target({ id: 'direct', label: 'upstream direct (plain HTTP)', tls: false, start: null }, { upstreamPort: ctx.upstream.port }), ...ctx.targets],
  async measure (ctx, target) {
    const rate = latencyRate(ctx)
    const warmupMs = WARMUP_MS(ctx)
    const { result: r, cpuS } = await withCpu(target, () => builtin({
      mode: 'rate', target: target.endpoint, servername: HOST, host: HOST, conns: 50, rate, durationMs: ctx.opts.seconds * 1000, warmupMs, spin: true
    }, { cpu: ctx.plan.load, log: ctx.command }))
    // Requests spread evenly in time cost a proxy more CPU each than wrk's batches do (fewer
    // requests per wake-up): the CPU the proxy used over warm-up + window, per request sent
    // and as a share of one core (all its processes are pinned to one core), tells whether
    // this rate is really "half load" for it.
    const windowS = (warmupMs + ctx.opts.seconds * 1000) / 1000
    return {
      cpuPerReq: (cpuS / (rate * windowS)) * 1e6,
      busyPct: (cpuS / windowS) * 100,
      rate,
      achieved: r.rps,
      p50: r.latency.p50,
      p99: r.latency.p99,
      p999: r.latency.p999,
      dropped: r.dropped,
      failed: r.errors + r.non2xx + r.unconnected,
      loopP99: r.loopDelay.p99,
      loopMax: r.loopDelay.max,
      sendLagP99: r.sendLag.p99,
      clientGcMaxMs: r.gc.maxMs,
      clientPreempted: r.preempted,
      connectMs: r.connectMs
    }
  },
  // Added latency is a difference of medians against the direct upstream, filled in after all rounds.
  finish (ctx, records) {
    for (const [id, rs] of Object.entries(records)) {
      // Send lag p99 over 1 ms has two causes, told apart by the client's own loop delay: the
      // client stalled (its loop ran late: GC, preempted by another process on the load core),
      // or all 50 connections were busy (the target fell behind the rate: its queueing, its p99).
      // A send lag far beyond the client's longest stall can only be queueing; both can happen in one run.
      const queuedRun = (r) => r.sendLagP99 > CLIENT_STALL_US && r.sendLagP99 > 2 * r.loopMax
      const stalled = rs.filter((r) => r.loopP99 > CLIENT_STALL_US || (r.sendLagP99 > CLIENT_STALL_US && !queuedRun(r)))
      const queued = rs.filter(queuedRun)
      if (stalled.length > 0) {
        const w = stalled.reduce((x, y) => (y.loopMax > x.loopMax ? y : x))
        ctx.notes.push(`latency, ${id}: the client stalled in ${stalled.length} of ${rs.length} runs (worst: loop delay p99 ${Math.round(w.loopP99)} µs, max ${Math.round(w.loopMax)} µs; longest GC pause ${w.clientGcMaxMs.toFixed(1)} ms; preempted ${w.clientPreempted} times by other processes on the load core; send lag p99 ${Math.round(w.sendLagP99)} µs): those runs' p99 is partly the load core's, not the target's.`)
      }
      if (queued.length > 0) {
        const w = queued.reduce((x, y) => (y.sendLagP99 > x.sendLagP99 ? y : x))
        ctx.notes.push(`latency, ${id}: in ${queued.length} of ${rs.length} runs requests waited for a free connection (send lag p99 up to ${Math.round(w.sendLagP99)} µs, while the client's own loop never ran more than ${Math.round(w.loopMax)} µs late): the target fell behind the rate at times — its queueing, counted in its p99.`)
      }
    }
    const direct = records.direct
    if (!direct) return
    const d = (k) => median(direct.map((r) => r[k]))
    const d50 = d('p50')
    const d99 = d('p99')
    const d999 = d('p999')
    for (const rs of Object.values(records)) {
      for (const r of rs) {
        r.addedP50 = r.p50 - d50
        r.addedP99 = r.p99 - d99
        r.addedP999 = r.p999 - d999
      }
    }
  }
}
