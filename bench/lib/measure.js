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
