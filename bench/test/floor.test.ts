// "What Node can reach here": the next-best target rule of bench/README.md
// ("the bar's allowance over nginx, granted on top of the Node floor"), the
// verdicts built from a run's records (a floor that misses a bar makes it out
// of reach and yields a target; one that meets it leaves the bar standing),
// their lines in the report, and the grouping of `perf report` lines of the
// floor's profile into OpenSSL, kernel, llhttp, V8 and Node's C++.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
// @ts-expect-error -- plain ESM JavaScript without declarations (the runner runs with no build step)
import { nextBestTarget, floorVerdicts } from '../lib/bars.js'
// @ts-expect-error -- plain ESM JavaScript without declarations
import { floorLines, renderSection } from '../lib/report.js'
// @ts-expect-error -- plain ESM JavaScript without declarations
import { groupPerfReport } from '../lib/profile.js'

interface Verdict { bar: string, reachable: boolean | null, target: number, status: string, floorRatio: number }

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
