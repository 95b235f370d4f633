// "What Node can reach here": the next-best target rules of bench/README.md
// ("the bar's allowance over nginx, granted on top of the Node floor"; for the
// absolute bars, the headroom the bar leaves nginx or the direct upstream), the
// verdicts built from a run's records (a floor that misses a bar makes it out
// of reach and yields a target; one that meets it leaves the bar standing) for
// the ratio bars, streaming, memory while streaming and added p99, their lines
// in the report, the re-rendering of an older run's JSON whose floor ran fewer
// scenarios, and the grouping of `perf report` lines of the floor's profile
// into OpenSSL, kernel, llhttp, V8 and Node's C++.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
// @ts-expect-error -- plain ESM JavaScript without declarations (the runner runs with no build step)
import { nextBestTarget, nextBestAbsolute, floorVerdicts } from '../lib/bars.js'
// @ts-expect-error -- plain ESM JavaScript without declarations
import { floorLines, renderSection } from '../lib/report.js'
// @ts-expect-error -- plain ESM JavaScript without declarations
import { groupPerfReport } from '../lib/profile.js'

interface Verdict { bar: string, reachable: boolean | null, target: number, status: string, floorRatio: number, floor: number, floorMin: number, floorMax: number }

const test = suite('bench node floor')

test('next-best target: cost bars add (k − 1)× nginx to the floor, rate bars add the allowance per request', () => {
  assert.is(nextBestTarget('max', 2, 60, 30), 90)
  assert.is(nextBestTarget('max', 2, 1700, 900), 2600)
  // 0.6× nginx at 30,000 req/s allows 55.6 µs per request, 22.2 µs over nginx's 33.3 µs;
  // on top of a floor of 10,000 req/s (100 µs) that is 122.2 µs → 8,182 req/s.
  assert.ok(Math.abs(nextBestTarget('min', 0.6, 10_000, 30_000) - 1e6 / (100 + (1e6 / 30_000) * (1 / 0.6 - 1))) < 1e-6)
  // A floor as fast as nginx gives the bar itself back.
  assert.ok(Math.abs(nextBestTarget('min', 0.6, 30_000, 30_000) - 18_000) < 1e-6)
  assert.is(nextBestTarget('max', 2, 30, 30), 60)
  assert.ok(Number.isNaN(nextBestTarget('max', 2, NaN, 30)))
})

const rec = (o: Record<string, number>): Array<Record<string, number>> => [o]
const records = {
  keepalive: {
    nginx: rec({ rps: 27_000, cpuUs: 30 }),
    'node-floor': rec({ rps: 13_000, cpuUs: 70 }),
    'gatehouse-n': rec({ rps: 6_000, cpuUs: 150 })
  },
  handshake: {
    nginx: rec({ ecCpuUs: 900, rsaCpuUs: 1500 }),
    'node-floor': rec({ ecCpuUs: 2000, rsaCpuUs: 1600 }),
    'gatehouse-n': rec({ ecCpuUs: 2500, rsaCpuUs: 2800 })
  }
}

test('verdicts: a floor that misses the bar makes it out of reach and yields a target; one that meets it leaves the bar', () => {
  const v = floorVerdicts(records) as Verdict[]
  const by = (prefix: string): Verdict => v.find((r) => r.bar.startsWith(prefix)) as Verdict
  const rps = by('keep-alive req/s')
  assert.is(rps.reachable, false)
  assert.ok(Math.abs(rps.floorRatio - 13 / 27) < 1e-9)
  assert.is(rps.status, 'FAIL') // 6,000 < the next-best target (≈ 10,000)
  const cpu = by('CPU per request')
  assert.is(cpu.reachable, false)
  assert.is(cpu.target, 100) // 70 + 1 × 30
  assert.is(cpu.status, 'FAIL')
  const ec = by('CPU per full handshake (ECDSA)')
  assert.is(ec.reachable, false)
  assert.is(ec.target, 2900)
  assert.is(ec.status, 'pass')
  const rsa = by('CPU per full handshake (RSA)')
  assert.is(rsa.reachable, true) // 1600 ≤ 2 × 1500
  assert.ok(Number.isNaN(rsa.target))
  const lines = floorLines(v) as string[]
  assert.match(lines[1] ?? '', /out of reach for Node here.*≤ 100 µs/)
  assert.match(lines[3] ?? '', /within reach for Node; the bar stands/)
})

test('the floor ratio is also given round by round, so noise around a verdict shows', () => {
  const v = floorVerdicts({
    keepalive: {
      nginx: [{ rps: 20_000, cpuUs: 30 }, { rps: 25_000, cpuUs: 25 }],
      'node-floor': [{ rps: 10_000, cpuUs: 60 }, { rps: 20_000, cpuUs: 30 }]
    }
  }) as Array<Verdict & { floorRatioMin: number, floorRatioMax: number }>
  assert.is(v[0]?.floorRatioMin, 0.5)
  assert.is(v[0]?.floorRatioMax, 0.8)
  assert.is(v[1]?.floorRatioMin, 1.2)
  assert.is(v[1]?.floorRatioMax, 2)
  assert.match((floorLines(v) as string[])[1] ?? '', /1\.20–2\.00× by round/)
})

test('no floor in the run: verdicts are n/a and the report has no floor block', () => {
  const v = floorVerdicts({ keepalive: { nginx: rec({ rps: 1, cpuUs: 1 }) } }) as Verdict[]
  assert.ok(v.every((r) => r.reachable === null))
  const md = renderSection({
    meta: { startedAt: '', finishedAt: '', elapsedS: 1, argv: 'x', nproc: 2 },
    records: {}, scenarios: [], sanity: {}, bars: [], floor: v, profiles: [], notes: [], commands: [], labels: {}
  }) as string
  assert.not.match(md, /What Node can reach/)
  const md2 = renderSection({
    meta: { startedAt: '', finishedAt: '', elapsedS: 1, argv: 'x', nproc: 2 },
    records, scenarios: [], sanity: {}, bars: [], floor: floorVerdicts(records), profiles: [], notes: [], commands: [], labels: {}
  }) as string
  assert.match(md2, /### What Node can reach here/)
  assert.match(md2, /\| CPU per request ≤ 2× nginx \| 70\.0 µs \| 2\.33× \| out of reach/)
})

test('the relay floor: its own verdicts and block, only for the scenarios it ran', () => {
  const withRelay = {
    keepalive: {
      ...records.keepalive,
      'node-relay': rec({ rps: 9_000, cpuUs: 100 })
    },
    stream: {
      nginx: rec({ downMBps: 600, upMBps: 500, peakRssMB: 40, peakOnceMB: 26 }),
      'node-relay': rec({ downMBps: 700, upMBps: 400, peakRssMB: 200, peakOnceMB: 120 }),
      'gatehouse-n': rec({ downMBps: 650, upMBps: 420, peakRssMB: 220, peakOnceMB: 135 })
    }
  }
  const relay = floorVerdicts(withRelay, 'gatehouse-n', 'node-relay') as Verdict[]
  const up = relay.find((r) => r.bar.startsWith('streaming up')) as Verdict
  assert.is(up.reachable, false) // 400 < 0.9 × 500
  assert.is(up.status, 'pass') // 420 ≥ the next-best target on top of the relay
  assert.is(relay.find((r) => r.bar.startsWith('CPU per full handshake (ECDSA)'))?.reachable, null)
  assert.match((floorLines(relay, 'node-relay') as string[]).join('\n'), /streaming up.*out of reach for a Node proxy here: even a TLS relay/)
  const md = renderSection({
    meta: { startedAt: '', finishedAt: '', elapsedS: 1, argv: 'x', nproc: 2 },
    records: withRelay, scenarios: [], sanity: {}, bars: [], floor: floorVerdicts(withRelay), relay, profiles: [], notes: [], commands: [], labels: {}
  }) as string
  assert.match(md, /### What a Node proxy can reach here \(the relay floor/)
  assert.match(md, /\| streaming up ≥ 0\.9× nginx \| 400 MB\/s \| 0\.80× \| out of reach for a Node proxy/)
  const block = md.slice(md.indexOf('relay floor, same run'))
  assert.not.match(block.slice(0, block.indexOf('\n###')), /CPU per full handshake/)
})

test('next-best target of an absolute bar: the floor plus the headroom the bar leaves its reference, never under the floor', () => {
  assert.is(nextBestAbsolute(150, 160, 41), 269) // memory: nginx's 109 MB under 150 MB, on top of the floor
  assert.is(nextBestAbsolute(1000, 3000, 0), 4000) // added p99: the direct upstream adds 0, so the bar's whole 1 ms
  assert.is(nextBestAbsolute(150, 170, 200), 170) // a reference over the bar leaves no headroom, not a negative one
  assert.ok(Number.isNaN(nextBestAbsolute(150, 160, NaN)))
})

const MEM_SUM = 'peak RSS while streaming (primary + workers) < 150 MB, sum'
const MEM_ONCE = 'peak RSS while streaming (primary + workers) < 150 MB, shared pages counted once'
const streamRecords = {
  stream: {
    nginx: [{ downMBps: 600, upMBps: 500, peakRssMB: 40, peakOnceMB: 26 }, { downMBps: 620, upMBps: 520, peakRssMB: 41, peakOnceMB: 25 }],
    'node-floor': [{ downMBps: 500, upMBps: 480, peakRssMB: 152, peakOnceMB: 95 }, { downMBps: 520, upMBps: 500, peakRssMB: 160, peakOnceMB: 90 }],
    'gatehouse-n': [{ downMBps: 400, upMBps: 350, peakRssMB: 220, peakOnceMB: 135 }, { downMBps: 410, upMBps: 360, peakRssMB: 228, peakOnceMB: 140 }]
  },
  latency: {
    direct: [{ addedP99: 0 }],
    nginx: [{ addedP99: 5000 }],
    'node-floor': [{ addedP99: 2500 }, { addedP99: 3000 }, { addedP99: 3500 }],
    'gatehouse-n': [{ addedP99: 4500 }]
  }
}

test('verdicts for streaming, memory while streaming and added p99 at half load', () => {
  const v = floorVerdicts(streamRecords) as Verdict[]
  const by = (prefix: string): Verdict => v.find((r) => r.bar.startsWith(prefix)) as Verdict
  // Streaming is a rate bar against nginx: the floor's 510 MB/s is 0.84× nginx's 610.
  const down = by('streaming down')
  assert.is(down.reachable, false)
  assert.ok(Math.abs(down.floorRatio - 510 / 610) < 1e-9)
  assert.ok(Math.abs(down.target - 1 / (1 / 510 + (1 / 0.9 - 1) / 610)) < 1e-9) // ≈ 467 MB/s
  assert.is(down.status, 'FAIL') // Gatehouse 405 MB/s
  const up = by('streaming up')
  assert.is(up.reachable, true) // 490 / 510 = 0.96×
  assert.ok(Number.isNaN(up.target))
  assert.is(up.status, 'n/a')
  // Memory is absolute and read as the bar reads Gatehouse's: the peak over the rounds.
  const sum = by(MEM_SUM)
  assert.is(sum.floor, 160)
  assert.is(sum.floorMin, 152)
  assert.is(sum.reachable, false) // 160 MB ≥ 150 MB
  assert.is(sum.target, 160 + (150 - 41)) // 269 MB
  assert.is(sum.status, 'pass') // Gatehouse 228 MB
  const once = by(MEM_ONCE)
  assert.is(once.floor, 95)
  assert.is(once.reachable, true)
  assert.ok(Number.isNaN(once.target))
  // Added p99 is absolute over the direct upstream: the floor's median 3,000 µs misses 1 ms.
  const lat = by('added p99')
  assert.is(lat.floor, 3000)
  assert.is(lat.reachable, false)
  assert.is(lat.target, 4000)
  assert.is(lat.status, 'FAIL') // Gatehouse 4,500 µs
  const lines = floorLines(v) as string[]
  const line = (prefix: string): string => lines.find((l) => l.startsWith(prefix)) ?? ''
  assert.match(line(MEM_SUM), /the floor 160 MB \(152–160 by round\) \(nginx 41\.0 MB\) — out of reach for Node here.*< 269 MB \(the floor \+ nginx's 109 MB of headroom under the bar\), Gatehouse 228 MB: pass/)
  assert.match(line(MEM_ONCE), /the floor 95\.0 MB.*within reach for Node; the bar stands/)
  assert.match(line('added p99'), /≤ 4,000 µs \(the floor \+ the bar's 1,000 µs over the direct upstream\), Gatehouse 4,500 µs: FAIL/)
  assert.match(line('streaming down'), /= 0\.84× nginx \(610 MB\/s, 0\.83–0\.84× by round\).*≥ 467 MB\/s \(0\.77× nginx, 0\.92× the floor\), Gatehouse 405 MB\/s: FAIL/)
  // The ratio bars keep their rows and are n/a here (no keepalive or handshake in these records).
  assert.is(by('keep-alive req/s').reachable, null)
  const md = renderSection({
    meta: { startedAt: '', finishedAt: '', elapsedS: 1, argv: 'x', nproc: 2 },
    records: streamRecords, scenarios: [], sanity: {}, bars: [], floor: v, profiles: [], notes: [], commands: [], labels: {}
  }) as string
  assert.match(md, /\| peak RSS while streaming \(primary \+ workers\) < 150 MB, sum of each process's RSS \| 160 MB \(152–160 by round\) \| 3\.90× \(bar is absolute; nginx 41\.0 MB\) \| out of reach for Node: even the floor misses it \| < 269 MB .* \| 228 MB \| pass \|/)
  assert.match(md, /\| added p99 at half load ≤ 1 ms \| 3,000 µs \(2,500–3,500 by round\) \| 0\.60× \(bar is absolute; nginx 5,000 µs\) \| out of reach/)
  // An added p99 is a difference against the direct upstream and can be negative: no ratio then.
  const neg = floorVerdicts({ latency: { nginx: [{ addedP99: -20 }], 'node-floor': [{ addedP99: 900 }] } }) as Verdict[]
  assert.match(renderSection({
    meta: { startedAt: '', finishedAt: '', elapsedS: 1, argv: 'x', nproc: 2 },
    records: {}, scenarios: [], sanity: {}, bars: [], floor: neg, profiles: [], notes: [], commands: [], labels: {}
  }) as string, /\| added p99 at half load ≤ 1 ms \| 900 µs \| — \(bar is absolute; nginx -20\.0 µs\) \| within reach: the bar stands \|/)
})

test('the memory bar is strict and the latency bar is not: a floor exactly at the limit misses "< 150 MB" and meets "≤ 1 ms"', () => {
  const v = floorVerdicts({
    stream: { 'node-floor': [{ downMBps: 1, upMBps: 1, peakRssMB: 150, peakOnceMB: 149.9 }] },
    latency: { 'node-floor': [{ addedP99: 1000 }] }
  }) as Verdict[]
  const by = (prefix: string): Verdict => v.find((r) => r.bar.startsWith(prefix)) as Verdict
  assert.is(by(MEM_SUM).reachable, false)
  assert.ok(Number.isNaN(by(MEM_SUM).target), 'no nginx in the run: no headroom to grant, no target')
  assert.match((floorLines(v) as string[]).find((l) => l.startsWith(MEM_SUM)) ?? '', /next-best target — \(needs nginx in the same run\)/)
  assert.is(by(MEM_ONCE).reachable, true)
  assert.is(by('added p99').reachable, true)
  // Streaming needs nginx for its ratio: no verdict without it.
  assert.is(by('streaming down').reachable, null)
})

test('an older run whose floor ran only keepalive and handshake re-renders with the new rows "not measured"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-floor-'))
  try {
    const old = {
      meta: { startedAt: 'then', finishedAt: 'later', elapsedS: 1, argv: 'pnpm bench', nproc: 2, runs: 1, seconds: 1 },
      records: {
        ...records,
        stream: { nginx: rec({ downMBps: 600, upMBps: 500, peakRssMB: 41, peakOnceMB: 26 }), 'gatehouse-n': rec({ downMBps: 400, upMBps: 350, peakRssMB: 228, peakOnceMB: 140 }) },
        latency: { direct: rec({ p99: 100, addedP99: 0 }), 'gatehouse-n': rec({ p99: 600, addedP99: 500 }) }
      },
      sanity: {},
      profiles: [],
      notes: [],
      commands: [],
      labels: {}
    }
    writeFileSync(join(dir, 'old.json'), JSON.stringify(old))
    const results = join(dir, 'RESULTS.md')
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const r = spawnSync(process.execPath, ['bench/run', '--report', join(dir, 'old.json'), '--results', results], { cwd: root, encoding: 'utf8', timeout: 30_000 })
    assert.is(r.status, 0, r.stderr)
    const md = readFileSync(results, 'utf8')
    assert.match(md, /\| CPU per request ≤ 2× nginx \| 70\.0 µs \| 2\.33× \| out of reach/)
    assert.match(md, /\| streaming down ≥ 0\.9× nginx \| not measured \| n\/a \| n\/a \(needs node-floor and nginx in the stream scenario of the same run\) \| — \| 400 MB\/s \(0\.67× nginx\) \| — \|/)
    assert.match(md, /\| peak RSS while streaming \(primary \+ workers\) < 150 MB, sum of each process's RSS \| not measured \| n\/a \| n\/a \(needs node-floor in the stream scenario/)
    assert.match(md, /\| added p99 at half load ≤ 1 ms \| not measured \|/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('perf report lines are grouped by symbol: OpenSSL inside the node binary, kernel, llhttp, V8, Node C++', () => {
  const text = [
    '    20.00%  node                 [.] aesni_gcm_encrypt',
    '    10.00%  node                 [.] SSL_read',
    '    15.00%  [kernel.kallsyms]    [k] tcp_sendmsg',
    '     5.00%  node                 [.] llhttp__internal_execute',
    '     5.00%  node                 [.] node::crypto::TLSWrap::ClearOut',
    '     5.00%  node                 [.] Builtins_LoadIC',
    '     4.00%  [JIT] tid 123        [.] LazyCompile:*parserOnIncoming',
    '     6.00%  node                 [.] v8::internal::compiler::GraphReducer::ReduceTop',
    '     3.00%  node                 [.] v8::internal::Scavenger::ScavengePage',
    '     2.00%  libc.so.6            [.] malloc',
    '     1.00%  node                 [.] uv__io_poll'
  ].join('\n')
  const { groups, top } = groupPerfReport(text) as { groups: Array<{ name: string, pct: number }>, top: unknown[] }
  const pct = (prefix: string): number => groups.find((g) => g.name.startsWith(prefix))?.pct ?? 0
  assert.is(pct('OpenSSL'), 30)
  assert.is(pct('kernel'), 15)
  assert.is(pct('llhttp'), 5)
  assert.is(pct('Node C++'), 5)
  assert.is(pct('JS'), 9)
  assert.is(pct('V8 optimizing compiler'), 6)
  assert.is(pct('V8 garbage'), 3)
  assert.is(pct('libc'), 2)
  assert.is(pct('libuv'), 1)
  assert.is(groups[0]?.name.startsWith('OpenSSL'), true)
  assert.is(top.length, 11)
})

test.run()
