#!/usr/bin/env node
// `pnpm bench` — the side-by-side runner of issue 7. Starts the upstream and
// every proxy this machine has (Gatehouse with 1 and N workers, nginx,
// HAProxy, @fastify/http-proxy), pins the load generator and the proxies to
// different cores, runs each scenario in rounds (every target once per round,
// so drift hits all of them alike), and writes the medians, spreads, ratios
// and the bar into its own section of bench/RESULTS.md.
//
//   node bench/run [--runs 3] [--seconds 5] [--workers N] [--only keepalive,latency]
//                  [--targets direct,gatehouse-n,...] [--results FILE] [--json FILE]
//                  [--idle 10000] [--many 5000/500] [--no-profile] [--smoke]
//
// --smoke: Gatehouse (N workers) alone, 1 run of ~1 s per scenario, small idle
// and many-apis sizes, no profile — what CI runs to keep the runner honest.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, release } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { mintMaterial } from '../lib/tls-material.js'
import { startUpstream } from '../lib/upstream.js'
import { defineTargets, Target, TARGET_IDS } from '../lib/targets.js'
import { closedLoop, closedLoopTool, builtin } from '../lib/load/generators.js'
import { corePlan, cpuModel, nproc, openFileLimit, firstLine, which } from '../lib/sys.js'
import { evaluateBars, floorVerdicts } from '../lib/bars.js'
import { renderSection, spliceResults, ratioLines, floorLines } from '../lib/report.js'
import { profileGatehouse, profileNodeFloor } from '../lib/profile.js'
import { HOST } from '../lib/measure.js'
import { gatehouseVersion } from '../lib/peers/gatehouse.js'
import { fmt } from '../lib/stats.js'
import { SCENARIOS } from '../scenarios/index.js'

const { values: a } = parseArgs({
  options: {
    runs: { type: 'string' },
    seconds: { type: 'string' },
    workers: { type: 'string' },
    only: { type: 'string' },
    targets: { type: 'string' },
    results: { type: 'string' },
    json: { type: 'string' },
    idle: { type: 'string' },
    many: { type: 'string' },
    rate: { type: 'string' },
    report: { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
  }
})
if (a.help) {
  process.stdout.write(readHelp())
  process.exit(0)
}

function readHelp () {
  const src = fileURLToPath(import.meta.url)
  return (
    `usage: node bench/run [options]   (source: ${src})\n` +
    '  --runs N          rounds per figure (default 3; smoke 1)\n' +
    '  --seconds S       seconds per measured run (default 5; smoke 1)\n' +
    '  --workers N       worker count of Gatehouse and every peer (default: nproc, at least 2)\n' +
    `  --only LIST       scenarios: ${SCENARIOS.map((s) => s.name).join(',')}\n` +
    `  --targets LIST    targets: ${TARGET_IDS.join(',')}\n` +
    '  --results FILE    Markdown file whose runner section is rewritten (default bench/RESULTS.md)\n' +
    '  --json FILE       also write the raw records as JSON\n' +
    '  --idle N          idle connections to hold (default 10000; smoke 200)\n' +
    '  --many A/C        many-apis size: APIs/certificates (default 5000/500; smoke 50/5)\n' +
    '  --rate N          latency scenario rate, req/s (default: half of Gatehouse\'s keep-alive req/s in the same run; 500 without keepalive)\n' +
    '  --report FILE     re-render the RESULTS section from a --json file of an earlier run (measures nothing)\n' +
    '  --no-profile      skip the --cpu-prof runs of Gatehouse and the Node floor\n' +
    '  --smoke           Gatehouse alone, 1 short run per scenario (CI)\n'
  )
}

const smoke = a.smoke
const [manyApis, manyCerts] = (a.many ?? (smoke ? '50/5' : '5000/500')).split('/').map(Number)
const opts = {
  smoke,
  runs: Number(a.runs ?? (smoke ? 1 : 3)),
  seconds: Number(a.seconds ?? (smoke ? 1 : 5)),
  workers: Number(a.workers ?? Math.max(2, nproc())),
  idleCount: Number(a.idle ?? (smoke ? 200 : 10000)),
  idleOpenTimeoutMs: smoke ? 15000 : 30000,
  manyApis,
  manyCerts,
  rate: Number(a.rate ?? 0),
  profile: !smoke && !a['no-profile']
}
if (!(opts.runs >= 1 && opts.seconds >= 1 && opts.workers >= 1 && manyCerts >= 1 && manyApis >= 10 * manyCerts && opts.rate >= 0)) {
  process.stderr.write('bench/run: --runs, --seconds, --workers must be ≥ 1, --rate a number of req/s, and --many A/C needs A ≥ 10×C (each certificate covers 10 APIs)\n')
  process.exit(2)
}
const only = a.only ? new Set(a.only.split(',')) : null
const wanted = new Set((a.targets ?? (smoke ? 'gatehouse-n' : TARGET_IDS.join(','))).split(','))
for (const id of wanted) {
  if (!TARGET_IDS.includes(id)) { process.stderr.write(`bench/run: unknown target '${id}'; use ${TARGET_IDS.join(', ')}\n`); process.exit(2) }
}
for (const name of only ?? []) {
  if (!SCENARIOS.some((s) => s.name === name)) { process.stderr.write(`bench/run: unknown scenario '${name}'; use ${SCENARIOS.map((s) => s.name).join(', ')}\n`); process.exit(2) }
}
const resultsFile = a.results ?? fileURLToPath(new URL('../RESULTS.md', import.meta.url))

// --report: the section again from an earlier run's records, with the bars and
// floor verdicts re-evaluated by this checkout's bars.js (nothing is measured).
if (a.report) {
  const saved = JSON.parse(readFileSync(a.report, 'utf8'))
  const scenarios = SCENARIOS.filter((s) => saved.records[s.name] !== undefined)
  const notes = [...(saved.notes ?? []), `This section was rendered by \`node bench/run --report\` from the JSON that run wrote; the figures are that run's.`]
  spliceResults(resultsFile, renderSection({ ...saved, scenarios, notes, bars: evaluateBars(saved.records, saved.sanity), floor: floorVerdicts(saved.records), relay: floorVerdicts(saved.records, 'gatehouse-n', 'node-relay') }))
  process.stdout.write(`bench/run: wrote ${resultsFile} from ${a.report}\n`)
  process.exit(0)
}

const log = (msg) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`)
const commands = []
const seen = new Set()
let dir = ''
const command = (line) => {
  const norm = line.replaceAll(dir, '$BENCH_TMP').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:$PORT').replace(/"port":\d+/g, '"port":$PORT')
  if (!seen.has(norm)) { seen.add(norm); commands.push(norm) }
}

// The idle client holds one descriptor per connection and every proxy one per client: stay under `ulimit -n`.
const fdLimit = openFileLimit()
if (Number.isFinite(fdLimit) && opts.idleCount > fdLimit - 1000) {
  const was = opts.idleCount
  opts.idleCount = Math.max(100, fdLimit - 1000)
  process.stdout.write(`[bench] ulimit -n is ${fdLimit}: idle holds ${opts.idleCount} connections instead of ${was} (raise it with \`ulimit -n ${was + 2000}\`)\n`)
}

const startedAt = new Date()
const plan = corePlan()
dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
const ctx = { opts, plan, dir, material: null, upstream: null, targets: [], records: {}, notes: [], command, log, manyTarget: null }
let cleaning = null
async function cleanup () {
  cleaning ??= (async () => {
    for (const t of ctx.targets) await t.stop().catch(() => {})
    await ctx.manyTarget?.instance.stop().catch(() => {})
    await ctx.upstream?.stop().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })()
  return cleaning
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { log(`${sig}: stopping everything`); cleanup().finally(() => process.exit(130)) })

try {
  log(`tmp ${dir}; ${plan.pinned ? `load generator on CPU ${plan.load}, proxies on CPU ${plan.proxy}` : 'no pinning'}; ${closedLoopTool()} for closed-loop runs`)
  ctx.material = await mintMaterial(dir)
  ctx.upstream = await startUpstream(dir)
  log(`upstream: ${ctx.upstream.kind} on ${ctx.upstream.port}`)
  const common = { dir, material: ctx.material, upstreamPort: ctx.upstream.port, cpu: plan.proxy }
  for (const def of defineTargets({ workers: opts.workers })) {
    if (!wanted.has(def.id)) continue
    if (def.missing) { ctx.notes.push(`${def.label}: skipped — ${def.missing}.`); log(`skip ${def.id}: ${def.missing}`); continue }
    const t = new Target(def, common)
    try {
      await t.start()
      if (t.command) command(t.command)
      ctx.targets.push(t)
      log(`started ${t.label} on ${t.port}`)
    } catch (err) {
      ctx.notes.push(`${def.label}: failed to start — ${String(err.message).split('\n')[0]}`)
      log(`FAILED to start ${def.id}: ${err.message}`)
    }
  }
  if (ctx.targets.length === 0) throw new Error('no target could be started')

  // Sanity: a client that sends `Connection: close` must not be told keep-alive, and must see the connection closed.
  const sanity = {}
  for (const t of ctx.targets) {
    const s = await builtin({ mode: 'sanity', target: t.endpoint, servername: HOST, host: HOST }, { cpu: plan.load })
    const keepAlive = /keep-alive/i.test(s.connection ?? '')
    s.ok = s.status >= 200 && s.status < 400 && !keepAlive && s.serverClosed
    s.summary = `status ${s.status}, Connection: ${s.connection ?? '(none)'}, closed: ${s.serverClosed ? 'yes' : 'no'}`
    sanity[t.id] = s
    log(`sanity ${t.id}: ${s.summary}${s.ok ? '' : '  <-- WRONG'}`)
  }

  // Warm-up (JIT, pools) — not recorded. A Node proxy's first seconds run several times slower
  // than its steady state, so warm each target until two consecutive 2 s runs agree within 15%.
  for (const t of ctx.targets) {
    let prev = 0
    for (let i = 0; i < (smoke ? 1 : 5); i++) {
      const r = await closedLoop({ target: { url: t.url, hostHeader: HOST }, conns: 50, seconds: smoke ? 1 : 2, cpu: plan.load, tmpDir: dir, log: command })
      if (prev > 0 && Math.abs(r.rps - prev) / prev < 0.15) break
      prev = r.rps
    }
  }

  const ran = []
  for (const sc of SCENARIOS) {
    if (only && !only.has(sc.name)) continue
    const targets = sc.targets(ctx).filter((t) => t.scenarios === null || t.scenarios.includes(sc.name))
    if (targets.length === 0) continue
    ran.push(sc)
    log(`scenario ${sc.name}: ${targets.map((t) => t.id).join(', ')}`)
    const byTarget = ctx.records[sc.name] = {}
    try {
      await sc.setup?.(ctx, targets)
      for (let round = 1; round <= opts.runs; round++) {
        for (const t of targets) {
          try {
            const rec = await sc.measure(ctx, t)
            ;(byTarget[t.id] ??= []).push(rec)
            log(`  ${sc.name} #${round} ${t.id}: ${sc.columns.map((c) => `${c.label}=${c.text ? rec[c.key] : fmt(rec[c.key])}`).join(' ')}`)
          } catch (err) {
            ctx.notes.push(`${sc.name} round ${round}, ${t.label}: ${String(err.message).split('\n')[0].slice(0, 300)}`)
            log(`  ${sc.name} #${round} ${t.id}: ERROR ${err.message}`)
          }
        }
      }
      sc.finish?.(ctx, byTarget)
    } catch (err) {
      ctx.notes.push(`${sc.name}: ${String(err.message).split('\n')[0].slice(0, 300)}`)
      log(`scenario ${sc.name}: ERROR ${err.message}`)
    } finally {
      await sc.teardown?.(ctx)
    }
  }

  const profiles = []
  if (opts.profile && ctx.targets.some((t) => t.id.startsWith('gatehouse'))) {
    log('profiling Gatehouse (keepalive, full handshakes, stream)')
    try {
      profiles.push(await profileGatehouse(ctx, 'keepalive', (t) => closedLoop({ target: { url: t.url, hostHeader: HOST }, conns: 50, seconds: opts.seconds, cpu: plan.load, tmpDir: dir })))
      profiles.push(await profileGatehouse(ctx, 'full handshakes (ECDSA)', (t) => builtin({ mode: 'handshake', target: t.endpoint, servername: 'ec.bench.localhost', conc: 8, resume: false, durationMs: opts.seconds * 1000 }, { cpu: plan.load })))
      profiles.push(await profileGatehouse(ctx, 'stream (10 MiB downloads)', (t) => closedLoop({ target: { url: t.url, hostHeader: HOST }, path: '/10m', conns: 8, seconds: opts.seconds, cpu: plan.load, tmpDir: dir })))
    } catch (err) {
      ctx.notes.push(`profile: ${String(err.message).split('\n')[0]}`)
    }
  }
  if (opts.profile && ctx.targets.some((t) => t.id === 'node-floor')) {
    log('profiling the Node floor (keepalive)')
    try {
      const keepalive = (seconds) => (t) => closedLoop({ target: { url: t.url, hostHeader: HOST }, conns: 50, seconds, cpu: plan.load, tmpDir: dir })
      profiles.push(await profileNodeFloor(ctx, 'Node floor, keepalive', keepalive(opts.seconds), keepalive(3)))
    } catch (err) {
      ctx.notes.push(`profile of the Node floor: ${String(err.message).split('\n')[0]}`)
    }
  }

  const labels = Object.fromEntries(ctx.targets.map((t) => [t.id, t.label]))
  // latency measures the direct upstream as its baseline even when --targets left it out.
  labels.direct ??= 'upstream direct (plain HTTP)'
  const bars = evaluateBars(ctx.records, sanity)
  const floor = floorVerdicts(ctx.records)
  const relay = floorVerdicts(ctx.records, 'gatehouse-n', 'node-relay')
  const finishedAt = new Date()
  const version = (id) => ctx.targets.find((t) => t.id === id)?.version || 'not run'
  function gatehouseMeta () {
    const t = ctx.targets.find((x) => x.id.startsWith('gatehouse'))
    if (!t?.instance) return 'not run'
    const commit = firstLine('git', ['-C', fileURLToPath(new URL('..', import.meta.url)), 'rev-parse', '--short', 'HEAD'])
    const dirty = firstLine('git', ['-C', fileURLToPath(new URL('..', import.meta.url)), 'status', '--porcelain', '--', '../packages/gateway/src', '../packages/config/src', '../packages/certs/src']) !== 'unknown' ? ' + uncommitted changes' : ''
    return `@gatehouse/gateway ${gatehouseVersion()} at ${commit}${dirty}, cluster scheduling ${t.instance.scheduling}`
  }
  const wrk = closedLoopTool() === 'wrk' ? firstLine('wrk', ['-v']).replace(/ Copyright.*/, '') : 'autocannon (wrk not installed)'
  const meta = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    elapsedS: (finishedAt - startedAt) / 1000,
    argv: ['pnpm bench', ...process.argv.slice(2).filter((x, i) => !(i === 0 && x === '--'))].join(' '),
    nproc: nproc(),
    cpu: cpuModel(),
    kernel: release(),
    ulimit: openFileLimit(),
    node: process.version,
    gatehouse: gatehouseMeta(),
    nginx: version('nginx'),
    haproxy: version('haproxy'),
    fastify: version('fastify'),
    generator: `${wrk}, \`-t1\`; built-in Node client (bench/lib/load/client.js) for latency, handshakes, idle, many-apis`,
    upstream: `${ctx.upstream.version} (${ctx.upstream.kind}), small body ${100} B, 10 MiB file, /upload discards; not pinned, not counted`,
    pinning: plan.pinned ? `taskset: load generator on CPU ${plan.load}, every proxy process on CPU ${plan.proxy} (all N workers share that core); upstream floats` : `none (${which('taskset') ? `${plan.cpus} CPU` : 'no taskset'})`,
    runs: opts.runs,
    seconds: opts.seconds
  }
  if (Number.isFinite(fdLimit) && opts.idleCount < Number(a.idle ?? (smoke ? 200 : 10000))) ctx.notes.push(`idle: \`ulimit -n\` is ${fdLimit}, so ${opts.idleCount} connections were held instead of ${a.idle ?? 10000}.`)
  if (opts.workers > 1 && plan.pinned) ctx.notes.push(`Every proxy runs its ${opts.workers} workers on the one proxy core, as the bar compares same-worker-count setups on this ${meta.nproc}-CPU machine.`)
  const run = { meta, records: ctx.records, scenarios: ran, sanity, bars, floor, relay, profiles, notes: ctx.notes, commands, labels }
  if (a.json) writeFileSync(a.json, JSON.stringify({ meta, records: ctx.records, sanity, bars, floor, relay, profiles, notes: ctx.notes, commands, labels }, null, 2))
  spliceResults(resultsFile, renderSection(run))
  log(`wrote ${resultsFile}`)
  for (const sc of ran) {
    const lines = ratioLines(sc.name, ctx.records[sc.name] ?? {})
    if (lines) log(`ratios ${sc.name}:\n${lines}`)
  }
  for (const b of bars) log(`bar ${b.status.padEnd(4)} ${b.name}: ${b.text ?? (Number.isFinite(b.value) ? fmt(b.value, 2) + b.unit : 'n/a')}`)
  for (const line of floorLines(floor)) log(`node floor: ${line}`)
  for (const line of floorLines(relay, 'node-relay')) log(`relay floor: ${line}`)
} catch (err) {
  log(`FAILED: ${err.stack ?? err}`)
  process.exitCode = 1
} finally {
  await cleanup()
}
