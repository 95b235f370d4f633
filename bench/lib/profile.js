// Where Gatehouse — and the Node floor — spend their CPU under a bench load:
// starts a separate instance with `node --cpu-prof` (the cluster workers
// inherit it), drives a load at it, stops it so every process writes its
// .cpuprofile, and folds the profiles into self-time tables — by function and
// by module — that go into RESULTS.md next to the bar they explain. V8's
// profiler charges native time outside JS (TLS records decrypted and HTTP
// parsed in C++ before any JS runs) to "(program)", so where `perf` exists the
// floor is also sampled with `perf record` and its samples are split by
// symbol into OpenSSL, kernel, llhttp, V8 and Node's C++.
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGatehouse } from './peers/gatehouse.js'
import { startNodeFloor } from './peers/node-floor.js'
import { processTree } from './proc.js'
import { which } from './sys.js'

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

/** Profiles an instance started by `start(profileDir)` under `load(target)`; returns the summary. */
async function profileInstance (ctx, name, start, load, { perf = false, warmup = null } = {}) {
  const profileDir = join(ctx.dir, `profile-${name.replace(/[^\w.-]+/g, '-')}`)
  mkdirSync(profileDir, { recursive: true })
  const inst = await start(profileDir)
  let window = null
  let native = null
  let from = 0
  try {
    const target = { id: 'profiled', pid: inst.pid, instance: inst, tls: true, url: `https://127.0.0.1:${inst.port}`, endpoint: { host: '127.0.0.1', port: inst.port, tls: true } }
    // A fresh Node process spends its first seconds compiling: keep that out of the window.
    if (warmup) await warmup(target)
    from = Number(process.hrtime.bigint() / 1000n)
    const sampling = perf ? perfSample(inst.pid, ctx.opts.seconds, join(profileDir, 'perf.data')) : null
    await load(target)
    native = sampling ? await sampling : null
  } finally {
    window = [from, Number(process.hrtime.bigint() / 1000n)]
    await inst.stop()
  }
  await new Promise((resolve) => setTimeout(resolve, 500))
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profileDir, f))
  return { name, command: inst.command, ...summarizeProfiles(files, 15, window), native }
}

/** Profiles Gatehouse (N workers) under `load(target)`; returns the summary. */
export async function profileGatehouse (ctx, name, load) {
  return await profileInstance(ctx, name, (profileDir) => startGatehouse({
    dir: ctx.dir, name: `gatehouse-prof-${name}`, workers: ctx.opts.workers, cpu: ctx.plan.proxy, material: ctx.material, upstreamPort: ctx.upstream.port, profileDir
  }), load)
}

/**
 * Profiles the Node floor (node:https answering itself, N workers) under `load(target)`, after
 * `warmup(target)` (not profiled). Where `perf` is installed, a second instance without
 * --cpu-prof (V8's profiler costs time of its own) is sampled by `perf record` under the same
 * load, for the split of native time.
 */
export async function profileNodeFloor (ctx, name, load, warmup) {
  const start = (profileDir) => startNodeFloor({ material: ctx.material, workers: ctx.opts.workers, cpu: ctx.plan.proxy, profileDir })
  const r = await profileInstance(ctx, name, start, load, { warmup })
  let native = null
  if (which('perf') !== null) {
    const p = await profileInstance(ctx, `${name} (perf)`, () => start(null), load, { warmup, perf: true })
    native = p.native
  }
  return { ...r, native, subject: 'node-floor' }
}

// Where a native symbol's time belongs, first match wins. OpenSSL is linked into the node
// binary, so it is told apart by its symbol names, not by library.
const OPENSSL = /ssl|tls|aes|gcm|ghash|evp|ossl|bio_|^BIO|sha\d|sha_|ecp_|^bn_|^BN_|crypto|x25519|^ec_|^EC_|ecdsa|rsa|hmac|packet|rand|cipher|digest|^md_|asn1|x509|pkey|^ctr|chacha|poly1305|^ERR_|^err_/i
const NATIVE_GROUPS = [
  ['kernel (syscalls, loopback TCP, scheduler)', (sym, dso) => dso.startsWith('[kernel') || sym.startsWith('[k] ')],
  ['llhttp (HTTP/1.1 parser)', (sym) => /llhttp|llparse/.test(sym)],
  ['Node C++ (TLSWrap, stream and parser bindings)', (sym) => /node::/.test(sym)],
  ['V8 optimizing compiler (background threads)', (sym) => /v8::internal::(compiler|maglev|baseline)::|v8::internal::Compiler|ZoneAllocator/.test(sym)],
  ['V8 garbage collector', (sym) => /v8::internal::(Heap|Scavenger|Scavenge|MarkCompact|Marking|ConcurrentMarking|Sweeper|Evacuat|MinorM|GCTracer|MemoryAllocator|.*Visitor)/.test(sym)],
  ['JS (JIT code, V8 builtins and inline caches)', (sym, dso) => dso.startsWith('[JIT]') || /^Builtins_/.test(sym)],
  ['V8 runtime (C++)', (sym) => /v8::|^Runtime_/.test(sym)],
  ['libuv (event loop)', (sym) => /^uv_|^uv__/.test(sym)],
  ['OpenSSL (TLS records: AES-GCM, SSL_read/SSL_write, BIO)', (sym, dso) => dso === 'node' && OPENSSL.test(sym)],
  ['libc (malloc, memcpy)', (sym, dso) => /^libc[.-]|^ld-linux/.test(dso)],
  ['other (libstdc++, unresolved)', () => true]
]

/** Groups `perf report --sort dso,sym` lines ("12.3%  dso  [.] sym") into NATIVE_GROUPS. */
export function groupPerfReport (text) {
  const totals = new Map(NATIVE_GROUPS.map(([g]) => [g, 0]))
  const top = []
  for (const line of text.split('\n')) {
    const m = /^\s*([\d.]+)%\s+(.+?)\s+\[([.k])\]\s+(.*)$/.exec(line)
    if (!m) continue
    const pct = Number(m[1])
    const dso = m[2]
    const sym = m[3] === 'k' ? `[k] ${m[4].trim()}` : m[4].trim()
    const group = NATIVE_GROUPS.find(([, test]) => test(sym, dso))[0]
    totals.set(group, totals.get(group) + pct)
    if (top.length < 15) top.push({ name: `${sym} (${dso})`, pct })
  }
  return { groups: [...totals.entries()].filter(([, p]) => p > 0).sort((a, b) => b[1] - a[1]).map(([name, pct]) => ({ name, pct })), top }
}

function execText (cmd, args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { err = (err + d).slice(-2000) })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out, err }) })
  })
}

/**
 * `perf record -e cpu-clock` of every process of the tree for `seconds` (started as the load
 * starts), then the samples grouped by symbol. Resolves null when perf cannot sample here.
 */
async function perfSample (rootPid, seconds, file) {
  // Sample the workers once they exist (the load starts right away; they already listen).
  const pids = processTree(rootPid).join(',')
  const rec = await execText('perf', ['record', '-e', 'cpu-clock', '-F', '1999', '-o', file, '-p', pids, '--', 'sleep', String(Math.max(1, seconds - 1))], (seconds + 30) * 1000)
  if (rec.code !== 0) return null
  const rep = await execText('perf', ['report', '-i', file, '--no-children', '--sort', 'dso,sym', '--stdio', '-q'], 60000)
  if (rep.code !== 0) return null
  return { command: `perf record -e cpu-clock -F 1999 -p <every pid of the tree> -- sleep ${Math.max(1, seconds - 1)}; perf report --no-children --sort dso,sym`, ...groupPerfReport(rep.out) }
}
