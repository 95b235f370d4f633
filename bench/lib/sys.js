// The machine and the tools on it: which binaries exist, their versions, the
// CPU, and how to pin a command to a core with taskset. Everything the runner
// writes into the header of RESULTS.md comes from here.
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

/** Absolute path of a binary on PATH, or null. */
export function which (bin) {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' })
  const p = r.stdout.trim()
  return r.status === 0 && p !== '' ? p : null
}

/** First line of a command's combined output (versions go to stderr for some tools). */
export function firstLine (cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? 'unknown'
}

/** CPU model name from /proc/cpuinfo. */
export function cpuModel () {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m) return m[1].trim()
  } catch {}
  return os.cpus()[0]?.model ?? 'unknown'
}

/** Number of CPUs this process may run on (what `nproc` prints). */
export function nproc () {
  try { return Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) } catch { return os.availableParallelism() }
}

/** Soft limit on open files (`ulimit -n`). */
export function openFileLimit () {
  try { return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) } catch { return NaN }
}

/**
 * The core plan. With taskset and ≥ 2 CPUs the load generator runs on CPU 0
 * and every proxy process on CPU 1 (the upstream floats), so a proxy's
 * throughput is bounded by one core of its own and the generator never steals
 * from it. Otherwise nothing is pinned.
 */
export function corePlan () {
  const cpus = nproc()
  if (which('taskset') === null || cpus < 2) return { pinned: false, load: null, proxy: null, cpus }
  return { pinned: true, load: '0', proxy: '1', cpus }
}

/** [cmd, args] prefixed with `taskset -c CPU` when cpu is not null. */
export function pinned (cpu, cmd, args) {
  return cpu === null ? [cmd, args] : ['taskset', ['-c', cpu, cmd, ...args]]
}

/** The command as one shell-readable line (for RESULTS.md). */
export function shellLine (cmd, args) {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ')
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
