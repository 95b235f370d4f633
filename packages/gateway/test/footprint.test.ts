// What each gateway process carries at rest: the primary runs without V8's
// optimizing compilers (it serves no traffic; they only cost it memory) while
// the workers keep every tier, an operator's own JIT flag wins, and a worker
// loads pino only when an access log is on. Seen from inside the real
// processes: a probe preloaded with --import (cluster passes the primary's
// node flags on to its workers) reports, as each process exits, whether V8
// may optimize there and which CommonJS modules were loaded. prom-client's
// index and the positional YAML parser are not among them: they would bring
// code a clean start never runs. At rest the processes also sleep: no timer
// wakes them 100 times a second.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { CLI, configYaml, freePort, runCli, tempDir, until } from './helpers/cluster.js'

const test = suite('footprint')
const ctx = {} as { tmp: ReturnType<typeof tempDir>, cert: string, key: string, probe: string }

// `modules`: the packages (and prom-client's own files) loaded through require().
interface Report { primary: boolean, optimizer: boolean, modules: string[] }

const PROBE = `import cluster from 'node:cluster'
import { createRequire } from 'node:module'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
const cache = createRequire(import.meta.url).cache
// V8 sets kNeverOptimize (bit 1) in a function's status while its isolate
// may not use an optimizing compiler: a property of the process, not of
// whether this function got hot in time.
const status = new Function('f', 'return %GetOptimizationStatus(f)')
function probe () { return 1 }
// A package by its last node_modules/<name> segment; prom-client's files by their own name.
const moduleName = (file) => {
  const parts = file.split(/[\\\\/]/)
  const at = parts.lastIndexOf('node_modules')
  if (at < 0) return null
  const name = parts[at + 1].startsWith('@') ? parts[at + 1] + '/' + parts[at + 2] : parts[at + 1]
  return name === 'prom-client' ? 'prom-client/' + parts.slice(at + 2).join('/') : name
}
process.on('exit', () => {
  writeFileSync(join(process.env.PROBE_OUT, process.pid + '.json'), JSON.stringify({
    primary: cluster.isPrimary,
    optimizer: (status(probe) & 2) === 0,
    modules: [...new Set(Object.keys(cache).map(moduleName).filter((n) => n !== null))].sort()
  }))
})
`

/** Starts the gateway with the probe and `nodeFlags`, stops it once ready; returns each process's report. */
async function probeRun (name: string, accessLog: string, nodeFlags: string[]): Promise<Report[]> {
  const out = join(ctx.tmp.dir, name)
  mkdirSync(out)
  const file = join(ctx.tmp.dir, `${name}.yaml`)
  writeFileSync(file, configYaml({ httpsPort: await freePort(), adminPort: await freePort(), cert: ctx.cert, key: ctx.key, workers: 1, apis: [{ name: 'a', target: 'http://127.0.0.1:9' }] })
    .replace('access_log: stdout', `access_log: ${accessLog}`))
  const proc = spawn(process.execPath, ['--allow-natives-syntax', '--import', ctx.probe, ...nodeFlags, CLI, 'start', '-c', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GATEHOUSE_LOG_FORMAT: 'json', PROBE_OUT: out }
  })
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  let text = ''
  proc.stdout.on('data', (d: Buffer) => { text += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { text += d.toString() })
  try {
    await until(() => text.includes('gatehouse ready'), 30_000)
  } finally {
    proc.kill('SIGTERM')
    const t = setTimeout(() => proc.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(t)
  }
  const reports = readdirSync(out).map((f) => JSON.parse(readFileSync(join(out, f), 'utf8')) as Report)
  assert.is(reports.length, 2, `a report from the primary and its worker; output:\n${text}`)
  return reports
}

test.before(() => {
  ctx.tmp = tempDir()
  // Valid for 90 days: a certificate near expiry is a warning, and a config
  // with a warning is parsed again with positions (the yaml package).
  ctx.cert = join(ctx.tmp.dir, 'cert.pem')
  ctx.key = join(ctx.tmp.dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', ctx.key, '-out', ctx.cert,
    '-days', '90', '-subj', '/CN=a.test.localhost', '-addext', 'subjectAltName=DNS:*.test.localhost'], { stdio: 'ignore' })
  ctx.probe = join(ctx.tmp.dir, 'probe.mjs')
  writeFileSync(ctx.probe, PROBE)
})

test.after(() => {
  ctx.tmp?.cleanup()
})

test('the primary runs without the optimizing compilers, workers keep them; no pino with access_log: off, no yaml for a clean config, prom-client in parts', async () => {
  const reports = await probeRun('default', 'off', [])
  const primary = reports.find((r) => r.primary)
  const worker = reports.find((r) => !r.primary)
  assert.ok(primary !== undefined && worker !== undefined, JSON.stringify(reports))
  assert.is(primary.optimizer, false, 'the primary runs without an optimizing compiler')
  assert.is(worker.optimizer, true, 'the worker keeps its optimizing compiler')
  assert.not.ok(worker.modules.includes('pino'), `the worker did not load pino: ${worker.modules.join(' ')}`)
  assert.ok(worker.modules.includes('prom-client/lib/histogram.js'), 'the probe sees what a worker loads')
  for (const r of reports) {
    const role = r.primary ? 'primary' : 'worker'
    // prom-client's index would load these: Gatehouse requires its parts one by one.
    for (const unused of ['@opentelemetry/api', 'prom-client/lib/pushgateway.js', 'prom-client/lib/summary.js']) {
      assert.not.ok(r.modules.includes(unused), `${role} loaded ${unused}`)
    }
  }
  assert.ok(primary.modules.includes('prom-client/lib/cluster.js'), 'the primary aggregates with prom-client')
  // A clean config compiles on the fast parser; the positional one is for diagnostics.
  assert.not.ok(primary.modules.includes('yaml'), `the primary loaded the yaml package: ${primary.modules.join(' ')}`)
  assert.not.ok(worker.modules.includes('prom-client/lib/cluster.js'), 'a worker does not load the aggregator')
})

test("an operator's JIT flag keeps the primary's optimizer; an access log loads pino in the worker", async () => {
  const reports = await probeRun('operator', 'stdout', ['--turbofan'])
  const primary = reports.find((r) => r.primary)
  const worker = reports.find((r) => !r.primary)
  assert.ok(primary !== undefined && worker !== undefined, JSON.stringify(reports))
  assert.is(primary.optimizer, true, 'with --turbofan given, the primary keeps its optimizing compiler')
  assert.ok(worker.modules.includes('pino'), `the worker loaded pino for its access log: ${worker.modules.join(' ')}`)
})

// How often a process's main thread went to sleep and was woken (context switches it gave up).
function wakeUps (pid: number): number {
  const m = /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? NaN)
}

test('an idle gateway sleeps: neither the primary nor a worker is woken 100 times a second', async () => {
  const file = join(ctx.tmp.dir, 'idle.yaml')
  writeFileSync(file, configYaml({ httpsPort: await freePort(), adminPort: await freePort(), cert: ctx.cert, key: ctx.key, workers: 1, apis: [{ name: 'a', target: 'http://127.0.0.1:9' }] })
    .replace('access_log: stdout', 'access_log: off'))
  const gw = runCli(['start', '-c', file])
  try {
    await gw.waitFor((l) => l.includes('gatehouse ready'), 30_000)
    const primary = gw.proc.pid as number
    const worker = Number(readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/)[0])
    assert.ok(worker > 0, 'found the worker')
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const before = [wakeUps(primary), wakeUps(worker)]
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const [p, w] = [wakeUps(primary) - (before[0] as number), wakeUps(worker) - (before[1] as number)]
    // prom-client's default event-loop sampling alone is 200 wake-ups in 2 s; what is
    // left is the 100 ms sampling, the worker's 25 ms Buffer-garbage check and IPC.
    assert.ok(p < 120, `the primary woke ${p} times in 2 s`)
    assert.ok(w < 160, `the worker woke ${w} times in 2 s`)
  } finally {
    await gw.stop()
  }
})

test.run()
