// CI smoke of the bench runner (issue 7: "no benchmark is a test"): runs
// `node bench/run --smoke` — Gatehouse alone, every scenario for a second or
// two, with autocannon and the Node upstream as on a CI machine without wrk
// or nginx — and checks that the runner produced sane output: a record per
// scenario with finite, positive figures, full handshakes that really were
// full (the server's counters agree), resumed ones that resumed, the idle
// connections all opened, the Connection: close sanity check passed, and its
// RESULTS section spliced in without touching the sections around it. No
// speed is asserted.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

interface Rec { [key: string]: number | string }
interface Output {
  records: Record<string, Record<string, Rec[]>>
  sanity: Record<string, { ok: boolean, status: number, connection: string | null }>
  bars: Array<{ name: string, status: string }>
  notes: string[]
  commands: string[]
}

const test = suite('bench runner smoke')
let dir = ''
let out: Output
let code: number | null = null
let log = ''

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'))
  writeFileSync(join(dir, 'RESULTS.md'), '# Benchmark results\n\n## certs\n\nleft alone\n')
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, ['bench/run', '--smoke', '--results', join(dir, 'RESULTS.md'), '--json', join(dir, 'out.json')], {
      cwd: root,
      env: { ...process.env, BENCH_GENERATOR: 'autocannon', BENCH_UPSTREAM: 'node' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    child.stdout.on('data', (d: Buffer) => { log += d.toString() })
    child.stderr.on('data', (d: Buffer) => { log += d.toString() })
    const timer = setTimeout(() => child.kill('SIGINT'), 150_000)
    child.on('close', (c) => { clearTimeout(timer); code = c; resolve() })
  })
  out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Output
})
test.after(() => { rmSync(dir, { recursive: true, force: true }) })

const first = (scenario: string): Rec => {
  const rs = out.records[scenario]?.['gatehouse-n']
  assert.ok(rs && rs.length === 1, `one ${scenario} record for gatehouse-n; notes: ${out.notes.join(' | ')}\n${log.slice(-3000)}`)
  return (rs as Rec[])[0] as Rec
}
const positive = (r: Rec, key: string): void => {
  assert.ok(typeof r[key] === 'number' && Number.isFinite(r[key]) && (r[key] as number) > 0, `${key} = ${String(r[key])}`)
}

test('exits 0 and reports no errors', () => {
  assert.is(code, 0, log.slice(-3000))
  assert.equal(out.notes.filter((n) => /error|fail/i.test(n)), [], out.notes.join('\n'))
})

test('keepalive and latency records are sane', () => {
  const ka = first('keepalive')
  for (const k of ['rps', 'p50', 'p99', 'cpuUs', 'requests']) positive(ka, k)
  assert.is(ka.failed, 0)
  const lat = first('latency')
  for (const k of ['rate', 'p50', 'p99', 'p999']) positive(lat, k)
  assert.ok((lat.p50 as number) <= (lat.p99 as number) && (lat.p99 as number) <= (lat.p999 as number))
})

test('stream moved bytes both ways and sampled RSS', () => {
  const s = first('stream')
  for (const k of ['downMBps', 'upMBps', 'peakRssMB']) positive(s, k)
})

test('full handshakes were full on both sides; resumed ones resumed', () => {
  const h = first('handshake')
  for (const k of ['ecCps', 'ecCpuUs', 'rsaCps', 'rsaCpuUs', 'serverFull']) positive(h, k)
  assert.is(h.clientResumed, 0)
  assert.is(h.serverResumed, 0)
  const r = first('resumed')
  positive(r, 'cps')
  assert.ok((r.resumedPct as number) > 50, `resumedPct ${String(r.resumedPct)}`)
  assert.ok((r.serverResumedPct as number) > 50, `serverResumedPct ${String(r.serverResumedPct)}`)
})

test('idle held its connections; reload and many-apis ran', () => {
  const i = first('idle')
  assert.is(i.opened, 200)
  positive(i, 'heldMB')
  const rl = first('reload')
  positive(rl, 'reloads')
  positive(rl, 'rps')
  const m = first('many-apis')
  for (const k of ['rps1', 'rpsMany', 'ratio']) positive(m, k)
  assert.is(m.failed, 0, 'every many-apis request routed (no 404)')
})

test('Connection: close sanity check passed for Gatehouse', () => {
  assert.ok(out.sanity['gatehouse-n']?.ok, JSON.stringify(out.sanity['gatehouse-n']))
})

test('RESULTS section written between markers, other sections kept', () => {
  const md = readFileSync(join(dir, 'RESULTS.md'), 'utf8')
  assert.ok(md.startsWith('# Benchmark results\n\n## certs\n\nleft alone\n'))
  assert.match(md, /\n## Side by side[^\n]*\n<!-- bench\/run:begin -->\n/)
  assert.match(md, /### keepalive/)
  assert.match(md, /<!-- bench\/run:end -->\n$/)
  assert.ok(out.commands.some((c) => c.includes('cli.js start')), 'the exact gatehouse command is recorded')
})

test.run()
