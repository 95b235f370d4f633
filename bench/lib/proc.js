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
 * Memory of the whole tree with shared pages counted once, bytes: the sum of
 * each process's private pages plus the largest shared part of any one of
 * them. A sum of RSS counts the pages the processes share (the node binary's
 * text and data, ~43 MiB per Node process, and shared libraries) once per
 * process; PSS would split them with every other process on the machine that
 * maps them (other Node programs included), so it depends on what else runs.
 * 0 where smaps_rollup is unreadable.
 */
export function onceBytes (rootPid) {
  let privateKb = 0
  let sharedKb = 0
  for (const pid of processTree(rootPid)) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1')
      const field = (name) => Number(new RegExp(`\\n${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0)
      privateKb += field('Private_Clean') + field('Private_Dirty')
      sharedKb = Math.max(sharedKb, field('Shared_Clean') + field('Shared_Dirty'))
    } catch {}
  }
  return (privateKb + sharedKb) * 1024
}

/** Samples the tree's RSS sum and its memory with shared pages once every `everyMs` until stopped; stop() returns both peaks in bytes. */
export function peakRssSampler (rootPid, everyMs = 100) {
  let rss = rssBytes(rootPid)
  let once = onceBytes(rootPid)
  const timer = setInterval(() => {
    rss = Math.max(rss, rssBytes(rootPid))
    once = Math.max(once, onceBytes(rootPid))
  }, everyMs)
  return {
    stop () {
      clearInterval(timer)
      return { rss: Math.max(rss, rssBytes(rootPid)), once: Math.max(once, onceBytes(rootPid)) }
    }
  }
}
