// A/B of Gatehouse builds, interleaved round by round: each build runs as
// `gatehouse start --workers 2` pinned to CPU 1 (wrk on CPU 0), in front of the
// runner's upstream, and gets the same wrk load in turn. Prints the median and
// every round of throughput and CPU (all the build's processes, from /proc),
// and each build's CPU figure divided by the first build's, round by round.
// Used for the before/after figures of hot-path changes (bench/README.md).
//
//   node bench/ab-builds.mjs MODE ROUNDS BUILD [BUILD...]
//   MODE  = download (10 MiB GET, -c8) | upload (10 MiB POST, -c8) | keepalive (small GET, -c50)
//           | rate (small GET on 50 connections at a fixed rate, the latency scenario's
//             open loop, through the built-in client; RATE=N req/s, default 10000)
//   BUILD = path to a build's dist/cli.js, optionally @VAR=value,VAR=value for its environment
//
// Keep a build to compare with: `cp -r packages/gateway/dist packages/gateway/dist-before`
// (its imports resolve through packages/gateway/node_modules like dist's do).
import { spawn, execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startUpstream, BIG_BYTES } from './lib/upstream.js'
import { mintMaterial } from './lib/tls-material.js'
import { gatehouseYaml } from './lib/peers/gatehouse.js'
import { cpuSeconds } from './lib/proc.js'
import { freePort, waitForLine, stopChild } from './lib/spawn.js'
import { corePlan, pinned } from './lib/sys.js'
import { builtin } from './lib/load/generators.js'

const run = promisify(execFile)
const WRK_LUA = new URL('./lib/load/wrk-report.lua', import.meta.url).pathname
const MODES = {
  download: { path: '/10m', conns: 8, upload: 0 },
  upload: { path: '/upload', conns: 8, upload: BIG_BYTES },
  keepalive: { path: '/', conns: 50, upload: 0 },
  rate: { path: '/', conns: 50, upload: 0 }
}
const RATE = Number(process.env.RATE ?? 10000)
const RATE_RUN = { durationMs: 4000, warmupMs: 500 }
const [modeName, roundsArg, ...builds] = process.argv.slice(2)
const mode = MODES[modeName]
const rounds = Number(roundsArg)
if (mode === undefined || !(rounds > 0) || builds.length === 0) {
  process.stderr.write('usage: node bench/ab-builds.mjs download|upload|keepalive|rate ROUNDS BUILD/cli.js[@VAR=v,...] ...\n')
  process.exit(2)
}
const plan = corePlan()
const dir = mkdtempSync(join(os.tmpdir(), 'gatehouse-ab-'))
const material = await mintMaterial(dir)
const upstream = await startUpstream(dir)
const started = []

/** One open-loop run of the built-in client at RATE against build `b`. */
function rateRun (b, { durationMs, warmupMs }) {
  return builtin({ mode: 'rate', target: { host: '127.0.0.1', port: b.port, tls: true }, servername: 'bench.localhost', host: 'bench.localhost', conns: mode.conns, rate: RATE, durationMs, warmupMs, spin: true }, { cpu: plan.load })
}

/** One wrk run of the mode's load against build `b`; resolves wrk-report.lua's JSON. */
async function wrkRun (b, duration) {
  const [cmd, args] = pinned(plan.load, 'wrk', ['-t1', `-c${mode.conns}`, `-d${duration}`, '--timeout', '10s', '-s', WRK_LUA,
    `https://127.0.0.1:${b.port}${mode.path}`, ...(mode.upload > 0 ? ['--', 'upload', String(mode.upload)] : [])])
  const { stdout } = await run(cmd, args, { maxBuffer: 1 << 20 })
  return JSON.parse(stdout.split('\n').find((l) => l.startsWith('WRKJSON ')).slice(8))
}

try {
  for (const [i, spec] of builds.entries()) {
    const [cli, vars = ''] = spec.split('@')
    const env = { ...process.env, ...Object.fromEntries(vars.split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) }
    const port = await freePort()
    const config = join(dir, `build-${i}.yaml`)
    writeFileSync(config, gatehouseYaml({ port, adminPort: await freePort(), workers: 2, material, upstreamPort: upstream.port }))
    const [cmd, args] = pinned(plan.proxy, process.execPath, [cli, 'start', '-c', config, '--workers', '2'])
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    started.push({ spec, port, child, rate: [], cpu: [] })
    await waitForLine(child, 'gatehouse ready', 30_000)
  }
  // A fresh worker's first seconds run its JavaScript unoptimized: 3 s at the
  // rate gave a fresh Gatehouse a p99 of 0.3–0.7 s where the next runs gave
  // 30–80 ms. Every build gets the same unmeasured load first.
  for (const b of started) {
    if (modeName === 'rate') await rateRun(b, { durationMs: 3000, warmupMs: 0 })
    else await wrkRun(b, '3s')
  }
  for (let r = 0; r < rounds; r++) {
    for (const b of started) {
      if (modeName === 'rate') {
        // Open loop: the CPU per request at a fixed rate, and the p99 the latency scenario reads.
        const c0 = cpuSeconds(b.child.pid)
        const res = await rateRun(b, RATE_RUN)
        const cpuS = cpuSeconds(b.child.pid) - c0
        // The CPU counts the warm-up too: per request scheduled over both.
        b.rate.push(res.latency.p99 / 1000)
        b.cpu.push((cpuS * 1e6) / (RATE * (RATE_RUN.durationMs + RATE_RUN.warmupMs) / 1000))
        continue
      }
      const c0 = cpuSeconds(b.child.pid)
      const j = await wrkRun(b, '4s')
      const cpuS = cpuSeconds(b.child.pid) - c0
      const seconds = j.duration_us / 1e6
      if (modeName === 'keepalive') {
        b.rate.push(j.requests / seconds)
        b.cpu.push((cpuS * 1e6) / j.requests)
      } else {
        const bytes = mode.upload > 0 ? j.requests * mode.upload : j.bytes
        b.rate.push(bytes / seconds / 1e6)
        b.cpu.push((cpuS * 1000) / (bytes / 1048576))
      }
    }
  }
  const [rateUnit, cpuUnit] = modeName === 'rate' ? [`p99 ms at ${RATE} req/s`, 'CPU µs/request'] : modeName === 'keepalive' ? ['req/s', 'CPU µs/request'] : ['MB/s', 'CPU ms/MiB']
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
  const fmt = (xs, d) => `${median(xs).toFixed(d)} (${xs.map((x) => x.toFixed(d)).join('/')})`
  for (const b of started) console.log(`${b.spec}: ${rateUnit} ${fmt(b.rate, modeName === 'rate' ? 1 : 0)}, ${cpuUnit} ${fmt(b.cpu, 2)}`)
  // This machine's speed drifts by more than a hot-path change moves the
  // figures; rounds minutes apart are not comparable, one round's builds are.
  const [first, ...rest] = started
  for (const b of rest) {
    const paired = b.cpu.map((x, i) => x / first.cpu[i])
    console.log(`${b.spec} ÷ ${first.spec}, ${cpuUnit} per round: median ${fmt(paired, 3)}, lower in ${paired.filter((x) => x < 1).length} of ${paired.length}`)
  }
} finally {
  for (const b of started) await stopChild(b.child, 'SIGTERM', 10_000)
  await upstream.stop()
  rmSync(dir, { recursive: true, force: true })
}
