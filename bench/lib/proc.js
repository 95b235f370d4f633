// What a proxy costs, read from /proc: the CPU time (user+sys) and resident
// memory of every process of a proxy — the root we spawned and all its
// descendants (nginx workers, cluster workers). CPU time is read from
// /proc/<pid>/stat fields 14–17: utime and stime of each live process plus
// cutime/cstime, which keep the time of children that exited and were reaped
// (workers replaced by a reload), so a before/after delta stays whole.
import { readdirSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

let clkTck = 100
try { clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100 } catch {}

/** Fields of /proc/<pid>/stat after the command name, or null when the process is gone. */
function statFields (pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // The command name may contain spaces and parentheses: split after the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/** The pid and all its live descendants. */
export function processTree (rootPid) {
  const children = new Map()
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue
    const f = statFields(name)
    if (f === null) continue
    const ppid = Number(f[1])
    let list = children.get(ppid)
    if (list === undefined) children.set(ppid, list = [])
    list.push(Number(name))
  }
  const out = []
  const stack = [rootPid]
  while (stack.length > 0) {
    const pid = stack.pop()
    out.push(pid)
    for (const c of children.get(pid) ?? []) stack.push(c)
  }
  return out
}

/** Total CPU seconds (user+sys, including reaped children) of a process tree. */
export function cpuSeconds (rootPid) {
  let ticks = 0
  for (const pid of processTree(rootPid)) {
    const f = statFields(pid)
    // After the name: [0]=state [1]=ppid ... [11]=utime [12]=stime [13]=cutime [14]=cstime
    if (f !== null) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
  }
  return ticks / clkTck
}

/** CPU seconds of each process in the tree, by pid (for "did every worker work?"). */
export function cpuByProcess (rootPid) {
  const out = new Map()
  for (const pid of processTree(rootPid)) {
    const f = statFields(pid)
    if (f !== null) out.set(pid, (Number(f[11]) + Number(f[12])) / clkTck)
  }
  return out
}

/** Resident set size of the whole tree, bytes. */
export function rssBytes (rootPid) {
  let kb = 0
  for (const pid of processTree(rootPid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))
      if (m) kb += Number(m[1])
    } catch {}
  }
  return kb * 1024
}

/**
 * Proportional set size of the whole tree, bytes: each page shared by n of its
 * processes counts 1/n in each, so the sum counts the node binary, shared
 * libraries and copy-on-write pages once — the memory the tree occupies. A sum
 * of RSS counts them once per process (about 43 MiB of `node` text and data
 * per Node process). 0 where smaps_rollup is unreadable.
 */
export function pssBytes (rootPid) {
  let kb = 0
  for (const pid of processTree(rootPid)) {
    try {
      const m = /\nPss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'))
      if (m) kb += Number(m[1])
    } catch {}
  }
  return kb * 1024
}

/** Samples the tree's RSS sum and PSS sum every `everyMs` until stopped; stop() returns both peaks in bytes. */
export function peakRssSampler (rootPid, everyMs = 100) {
  let rss = rssBytes(rootPid)
  let pss = pssBytes(rootPid)
  const timer = setInterval(() => {
    rss = Math.max(rss, rssBytes(rootPid))
    pss = Math.max(pss, pssBytes(rootPid))
  }, everyMs)
  return {
    stop () {
      clearInterval(timer)
      return { rss: Math.max(rss, rssBytes(rootPid)), pss: Math.max(pss, pssBytes(rootPid)) }
    }
  }
}
