// Instructions per keep-alive request of one Gatehouse worker, counted by
// callgrind: deterministic where this machine's CPU time per request drifts
// by ±30% between rounds, so a hot-path change of a few percent shows (runs
// of one build agree within 1–2%). The worker runs under
// `valgrind --tool=callgrind` with instrumentation off; after WARM requests
// (JIT settled) it is switched on for N requests on one connection (each
// request alone, as in the open-loop latency scenario), then dumped. Printed:
// the worker's main-thread instructions per request, and the same without the
// periodic timers (the 5 s metrics snapshot, the buffer-GC check), whose
// share depends on how long the window lasted, not on the requests.
//
//   node bench/instructions.mjs BUILD/cli.js [N]      (needs `apt-get install valgrind`)
//   node bench/instructions.mjs relay [N]             (the relay floor, for comparison)
//
// Only user-space instructions are counted: the kernel's part of a request
// (syscalls, loopback TCP) is the same for every build.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readdirSync, readFileSync, rmSync, chmodSync, existsSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'
import { startUpstream } from './lib/upstream.js'
import { mintMaterial } from './lib/tls-material.js'
import { gatehouseYaml } from './lib/peers/gatehouse.js'
import { freePort, waitForLine, stopChild } from './lib/spawn.js'

const [build, nArg = '3000'] = process.argv.slice(2)
const N = Number(nArg)
const WARM = Number(process.env.WARM ?? 6000)
if (build === undefined || !(N > 0)) {
  process.stderr.write('usage: node bench/instructions.mjs BUILD/cli.js|relay [N]\n')
  process.exit(2)
}
const relay = build === 'relay'
const dir = mkdtempSync(join(os.tmpdir(), 'gatehouse-instr-'))
// Cluster workers are forked with process.execPath: the primary is given a
// wrapper that starts them under callgrind (and with a perf map, so JIT
// addresses can be named).
const wrapper = join(dir, 'node-callgrind')
writeFileSync(wrapper, `#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes --callgrind-out-file=${dir}/cg.%p.out -q ${process.execPath} --perf-basic-prof "$@"\n`)
chmodSync(wrapper, 0o755)
const hook = join(dir, 'hook.mjs')
writeFileSync(hook, `import cluster from 'node:cluster'\nif (cluster.isPrimary) process.execPath = ${JSON.stringify(wrapper)}\n`)

const material = await mintMaterial(dir)
const upstream = await startUpstream(dir)
const port = await freePort()
let child
try {
  if (relay) {
    const script = fileURLToPath(new URL('./lib/peers/node-relay-server.js', import.meta.url))
    const cfg = { host: '127.0.0.1', port, workers: 1, upstreamPort: upstream.port, ec: material.ec }
    child = spawn(process.execPath, ['--import', hook, script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_NODE_RELAY: JSON.stringify(cfg) } })
    await waitForLine(child, 'node-relay ready', 180_000)
  } else {
    const config = join(dir, 'gatehouse.yaml')
    writeFileSync(config, gatehouseYaml({ port, adminPort: await freePort(), workers: 1, material, upstreamPort: upstream.port }))
    child = spawn(process.execPath, ['--import', hook, build, 'start', '-c', config, '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] })
    await waitForLine(child, 'gatehouse ready', 180_000)
  }
  const socket = await new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'bench.localhost', rejectUnauthorized: false }, () => resolve(s))
  })
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: bench.localhost\r\nUser-Agent: gatehouse-bench\r\n\r\n')
  const requests = async (n) => {
    let got = ''
    for (let i = 0; i < n; i++) {
      await new Promise((resolve) => {
        const onData = (d) => {
          got += d.toString('latin1')
          const head = got.indexOf('\r\n\r\n')
          if (head === -1) return
          const length = Number(/content-length: *(\d+)/i.exec(got.slice(0, head))?.[1] ?? 0)
          if (got.length < head + 4 + length) return
          got = got.slice(head + 4 + length)
          socket.off('data', onData)
          resolve()
        }
        socket.on('data', onData)
        socket.write(request)
      })
    }
  }
  await requests(WARM)
  const out = readdirSync(dir).find((f) => f.startsWith('cg.'))
  const pid = out.split('.')[1]
  execFileSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' })
  await requests(N)
  execFileSync('callgrind_control', ['-i', 'off', pid], { stdio: 'ignore' })
  execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' })
  socket.destroy()
  const main = join(dir, readdirSync(dir).find((f) => f.startsWith(`cg.${pid}.out.`) && f.endsWith('-01')))
  const total = Number(/^totals: (\d+)/m.exec(readFileSync(main, 'utf8'))[1])
  // The periodic timers' inclusive cost: processTimers, named through the perf map.
  const map = `/tmp/perf-${pid}.map`
  const timers = existsSync(map) ? periodicTimers(main, map) : 0
  console.log(`${build}: ${(total / N).toFixed(0)} instructions per request (worker main thread), ` +
    `${((total - timers) / N).toFixed(0)} without the periodic timers (N=${N}, after ${WARM} warm-up requests)`)
  if (existsSync(map)) rmSync(map)
} finally {
  if (child !== undefined) await stopChild(child, 'SIGTERM', 60_000)
  await upstream.stop()
  rmSync(dir, { recursive: true, force: true })
}

// Inclusive instructions of the timer callbacks (JIT code is named ???:0xADDR by callgrind).
function periodicTimers (file, map) {
  const ranges = readFileSync(map, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [a, s, ...name] = l.split(' ')
    return [parseInt(a, 16), parseInt(s, 16), name.join(' ')]
  })
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { maxBuffer: 64 << 20 }).toString()
  let best = 0
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+\?\?\?:0x([0-9a-f]+) \[\?\?\?\]/.exec(line)
    if (m === null) continue
    const addr = parseInt(m[2], 16)
    const hit = ranges.find(([a, s]) => addr >= a && addr < a + s)
    if (hit !== undefined && /processTimers/.test(hit[2])) best = Math.max(best, Number(m[1].replace(/,/g, '')))
  }
  return best
}
