// Helpers the scenarios share: charge a proxy's CPU to a piece of work, and
// name the Host/SNI the bench uses.
import { cpuSeconds, cpuByProcess } from './proc.js'

export const HOST = 'bench.localhost'
export const MiB = 1024 * 1024

/** Runs fn and returns { result, cpuS } where cpuS is the CPU time the target's processes used meanwhile (NaN for direct). */
export async function withCpu (target, fn) {
  if (target.pid === null) return { result: await fn(), cpuS: NaN }
  const c0 = cpuSeconds(target.pid)
  const result = await fn()
  return { result, cpuS: cpuSeconds(target.pid) - c0 }
}

/** CPU seconds per process of the target's tree used while fn ran: { result, perProcess: Map<pid, s> }. */
export async function withCpuPerProcess (target, fn) {
  const before = cpuByProcess(target.pid)
  const result = await fn()
  const after = cpuByProcess(target.pid)
  const perProcess = new Map()
  for (const [pid, s] of after) perProcess.set(pid, s - (before.get(pid) ?? 0))
  return { result, perProcess }
}

/** µs per unit, from CPU seconds and a count. */
export const usPer = (cpuS, count) => (count > 0 ? (cpuS / count) * 1e6 : NaN)

// Instances already warmed, per scenario: a restarted target is a new instance.
const warmed = new WeakMap()

/**
 * Unrecorded warm-up of a running instance, once per scenario: each of `runs`
 * (async, returns a CPU cost per unit) at least `min` times, then until two in
 * a row agree within 10% (at most `max`). A JIT proxy's paths that the
 * runner's keep-alive warm-up does not reach start cold; every target gets the
 * same rule, nginx included. Skipped in --smoke.
 */
export async function warmUntilSteady (ctx, target, scenario, runs, { min, max }) {
  if (ctx.opts.smoke || target.instance === null) return
  const done = warmed.get(target.instance) ?? new Set()
  if (done.has(scenario)) return
  warmed.set(target.instance, done.add(scenario))
  for (const run of runs) {
    let prev = NaN
    for (let i = 0; i < max; i++) {
      const cost = await run()
      if (i + 1 >= min && Math.abs(cost - prev) / prev < 0.1) break
      prev = cost
    }
  }
}
