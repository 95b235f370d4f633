// Where Gatehouse spends its CPU under a bench load: starts a separate
// Gatehouse with `node --cpu-prof` (the cluster workers inherit it), drives a
// load at it, stops it so every process writes its .cpuprofile, and folds the
// profiles into self-time tables — by function and by module — that go into
// RESULTS.md next to the bar they explain.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGatehouse } from './peers/gatehouse.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

function shortUrl (url) {
  if (!url) return ''
  if (url.startsWith('node:')) return url
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  const rel = relative(repoRoot, path)
  const nm = rel.lastIndexOf('node_modules/')
  return nm >= 0 ? rel.slice(nm + 'node_modules/'.length).replace(/^\.pnpm\/[^/]+\/node_modules\//, '') : rel
}

/**
 * Folds .cpuprofile files into { totalMs, functions: [{ name, ms, pct }], modules: [...] } (idle excluded).
 * `window` = [fromUs, toUs] on the monotonic clock (process.hrtime, which V8's profile
 * timestamps share on Linux) keeps only the samples taken under load, not start-up.
 */
export function summarizeProfiles (files, top = 15, window = null) {
  const byFn = new Map()
  const byModule = new Map()
  let total = 0
  for (const file of files) {
    const prof = JSON.parse(readFileSync(file, 'utf8'))
    // Self time per node: each sample is charged the time until the next one.
    const selfUs = new Map()
    let t = prof.startTime
    for (let i = 0; i < prof.samples.length; i++) {
      t += prof.timeDeltas[i] ?? 0
      if (window !== null && (t < window[0] || t > window[1])) continue
      const dt = prof.timeDeltas[i + 1] ?? 0
      selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + dt)
    }
    for (const node of prof.nodes) {
      const { functionName, url, lineNumber } = node.callFrame
      // Idle is not cost: the event loop's own idle, and piscina's pool threads parked in Atomics.wait.
      if (functionName === '(idle)' || functionName === 'atomicsWaitLoop') continue
      const ms = (selfUs.get(node.id) ?? 0) / 1000
      if (ms === 0) continue
      total += ms
      const where = shortUrl(url)
      const fn = `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`
      byFn.set(fn, (byFn.get(fn) ?? 0) + ms)
      const mod = where || functionName
      byModule.set(mod, (byModule.get(mod) ?? 0) + ms)
    }
  }
  const rank = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms, pct: total > 0 ? (100 * ms) / total : 0 }))
  return { files: files.length, totalMs: total, functions: rank(byFn), modules: rank(byModule) }
}

/** Profiles Gatehouse (N workers) under `load(target)`; returns the summary. */
export async function profileGatehouse (ctx, name, load) {
  const profileDir = join(ctx.dir, `profile-${name}`)
  mkdirSync(profileDir, { recursive: true })
  const inst = await startGatehouse({
    dir: ctx.dir, name: `gatehouse-prof-${name}`, workers: ctx.opts.workers, cpu: ctx.plan.proxy, material: ctx.material, upstreamPort: ctx.upstream.port, profileDir
  })
  let window = null
  const from = Number(process.hrtime.bigint() / 1000n)
  try {
    await load({ id: 'gatehouse-prof', pid: inst.pid, instance: inst, tls: true, url: `https://127.0.0.1:${inst.port}`, endpoint: { host: '127.0.0.1', port: inst.port, tls: true } })
  } finally {
    window = [from, Number(process.hrtime.bigint() / 1000n)]
    await inst.stop()
  }
  await new Promise((resolve) => setTimeout(resolve, 500))
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profileDir, f))
  return { name, command: inst.command, ...summarizeProfiles(files, 15, window) }
}
