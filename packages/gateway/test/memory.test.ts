// What keeps the gateway's memory down: upstream reads land in one buffer per
// worker (a download makes no Buffer garbage, and every byte must survive the
// reuse); workers start with --expose-gc (plus the primary's own node flags)
// and scavenge once their Buffer memory has grown by GATEHOUSE_BUFFER_GC_MB
// (an upload's decrypted chunks still are Buffers), which must never cost a
// byte of a streamed body; and the piscina thread that compiles a large config exits after the
// compile instead of holding its heap for the life of the primary.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { adminGet, CLI, configYaml, freePort, makeCerts, metricSum, runCli, tempDir, until, type Running } from './helpers/cluster.js'

const test = suite('memory')
const BODY_BYTES = 16 * 1024 * 1024
// A fixed pattern the test can hash without holding a second copy.
const PATTERN = Buffer.alloc(64 * 1024, 'gatehouse-memory-')
const ctx = {} as { tmp: ReturnType<typeof tempDir>, ca: string, cert: string, key: string, upstream: Server, upstreamUrl: string, expected: string, running: Running[] }

function patternHash (bytes: number): string {
  const h = createHash('sha256')
  for (let left = bytes; left > 0; left -= PATTERN.length) h.update(left >= PATTERN.length ? PATTERN : PATTERN.subarray(0, left))
  return h.digest('hex')
}

/** Pids of the live children of `pid` (the cluster workers of a primary). */
function childPids (pid: number): number[] {
  const out: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name))
    } catch { /* exited meanwhile */ }
  }
  return out
}

function cmdline (pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter((s) => s !== '')
}

function threads (pid: number): number {
  return Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? NaN)
}

async function smallConfig (): Promise<{ file: string, https: number, admin: number }> {
  const httpsPort = await freePort()
  const admin = await freePort()
  const file = join(ctx.tmp.dir, `gatehouse-${httpsPort}.yaml`)
  writeFileSync(file, configYaml({ httpsPort, adminPort: admin, cert: ctx.cert, key: ctx.key, workers: 1, apis: [{ name: 'big', target: ctx.upstreamUrl }] }).replace('access_log: stdout', 'access_log: off'))
  return { file, https: httpsPort, admin }
}

async function startGateway (env: NodeJS.ProcessEnv): Promise<{ gw: Running, https: number, admin: number }> {
  const { file, https: httpsPort, admin } = await smallConfig()
  const gw = runCli(['start', '-c', file], { env })
  ctx.running.push(gw)
  await gw.waitFor((l) => l.includes('gatehouse ready'), 30_000)
  return { gw, https: httpsPort, admin }
}

/** Downloads /big through the gateway, reading slowly enough to span many 25 ms checks; resolves with the body's sha256. */
async function download (port: number): Promise<string> {
  return await new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/big', servername: 'big.test.localhost', headers: { host: 'big.test.localhost' }, ca: ctx.ca, agent: false }, (res) => {
      const h = createHash('sha256')
      let chunks = 0
      res.on('data', (d: Buffer) => {
        h.update(d)
        if (++chunks % 32 === 0) { res.pause(); setTimeout(() => res.resume(), 5) }
      })
      res.on('end', () => resolve(h.digest('hex')))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(30_000, () => req.destroy(new Error('download timed out')))
  })
}

/** Uploads BODY_BYTES of the pattern through the gateway; resolves with the sha256 the upstream computed. */
// Chunked (no content-length), so node:http relays the body: the fast path reads
// content-length bodies into body slabs it reuses, which leave no Buffer garbage.
async function uploadChunked (port: number): Promise<string> {
  return await new Promise((resolve, reject) => {
    const req = https.request({ method: 'POST', host: '127.0.0.1', port, path: '/big', servername: 'big.test.localhost', headers: { host: 'big.test.localhost' }, ca: ctx.ca, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => resolve(body))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(30_000, () => req.destroy(new Error('upload timed out')))
    let left = BODY_BYTES
    let chunks = 0
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, PATTERN.length)
        left -= n
        const more = req.write(n === PATTERN.length ? PATTERN : PATTERN.subarray(0, n))
        // Slow enough to span many 25 ms checks.
        if (++chunks % 32 === 0) { setTimeout(pump, 5); return }
        if (!more) { req.once('drain', pump); return }
      }
      req.end()
    }
    pump()
  })
}

async function minorGcs (admin: number): Promise<number> {
  return metricSum((await adminGet(admin, '/metrics')).body, 'nodejs_gc_duration_seconds_count', 'kind="minor"')
}

test.before(async () => {
  ctx.tmp = tempDir()
  ctx.running = []
  const certs = makeCerts(ctx.tmp.dir, ['*.test.localhost'])
  ctx.cert = certs.cert
  ctx.key = certs.key
  ctx.ca = readFileSync(certs.ca, 'utf8')
  ctx.expected = patternHash(BODY_BYTES)
  ctx.upstream = createServer((req, res) => {
    if (req.method === 'POST') {
      const h = createHash('sha256')
      req.on('data', (d: Buffer) => h.update(d))
      req.on('end', () => res.end(h.digest('hex')))
      return
    }
    req.resume()
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY_BYTES })
    let left = BODY_BYTES
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, PATTERN.length)
        left -= n
        if (!res.write(n === PATTERN.length ? PATTERN : PATTERN.subarray(0, n))) { res.once('drain', pump); return }
      }
      res.end()
    }
    pump()
  })
  await new Promise<void>((resolve) => ctx.upstream.listen(0, '127.0.0.1', resolve))
  ctx.upstreamUrl = `http://127.0.0.1:${(ctx.upstream.address() as AddressInfo).port}`
})

test.after(async () => {
  for (const gw of ctx.running ?? []) await gw.stop()
  ctx.upstream?.closeAllConnections()
  await new Promise<void>((resolve) => ctx.upstream?.close(() => resolve()))
  ctx.tmp?.cleanup()
})

test('workers run with --expose-gc and the node flags the primary was started with', async () => {
  const { file } = await smallConfig()
  const proc = spawn(process.execPath, ['--max-old-space-size=300', CLI, 'start', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GATEHOUSE_LOG_FORMAT: 'json' } })
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  try {
    let out = ''
    proc.stdout.on('data', (d: Buffer) => { out += d.toString() })
    await until(() => out.includes('gatehouse ready'), 30_000)
    const workers = childPids(proc.pid as number)
    assert.is(workers.length, 1)
    const args = cmdline(workers[0] as number)
    assert.ok(args.includes('--expose-gc'), args.join(' '))
    assert.ok(args.includes('--max-old-space-size=300'), args.join(' '))
  } finally {
    proc.kill('SIGTERM')
    await exited
  }
})

test('a scavenge per GATEHOUSE_BUFFER_GC_MB of Buffer growth while streaming, and every body byte intact', async () => {
  const on = await startGateway({ GATEHOUSE_BUFFER_GC_MB: '1' })
  const off = await startGateway({ GATEHOUSE_BUFFER_GC_MB: '0' })
  // Downloads through the shared upstream read buffer, two at once per
  // gateway so that reads of different sockets interleave in it.
  const downs = await Promise.all([download(on.https), download(on.https), download(off.https), download(off.https)])
  for (const d of downs) assert.is(d, ctx.expected, 'downloaded body intact')
  const before = { on: await minorGcs(on.admin), off: await minorGcs(off.admin) }
  for (let i = 0; i < 2; i++) {
    assert.is(await uploadChunked(on.https), ctx.expected, 'body through the gateway that scavenges')
    assert.is(await uploadChunked(off.https), ctx.expected, 'body through the gateway that does not')
  }
  let delta = { on: 0, off: 0 }
  // Workers push metrics on request; the scrape waits for them.
  await until(async () => {
    delta = { on: await minorGcs(on.admin) - before.on, off: await minorGcs(off.admin) - before.off }
    return delta.on >= 4
  }, 10_000, 200)
  assert.ok(delta.on > delta.off, `minor GCs while streaming 32 MiB: ${delta.on} with GATEHOUSE_BUFFER_GC_MB=1, ${delta.off} with 0`)
})

test('GATEHOUSE_BUFFER_GC_MB that is not a number falls back to the default instead of failing the worker', async () => {
  const bad = await startGateway({ GATEHOUSE_BUFFER_GC_MB: 'lots' })
  assert.is(await download(bad.https), ctx.expected)
  assert.ok(!bad.gw.lines.some((l) => l.includes('"level":"fatal"')), 'no fatal line')
})

test('the compile thread of a large config exits after the compile, and a reload starts a new one', async () => {
  const httpsPort = await freePort()
  const admin = await freePort()
  const apis = Array.from({ length: 1500 }, (_, i) => ({ name: `api-${i}`, domain: `svc${i}.test.localhost`, listenPath: `/v1/${i}`, target: ctx.upstreamUrl }))
  const file = join(ctx.tmp.dir, 'large.yaml')
  writeFileSync(file, configYaml({ httpsPort, adminPort: admin, cert: ctx.cert, key: ctx.key, workers: 1, apis }).replace('access_log: stdout', 'access_log: off'))
  const gw = runCli(['start', '-c', file])
  ctx.running.push(gw)
  await gw.waitFor((l) => l.includes('gatehouse ready'), 30_000)
  const pid = gw.proc.pid as number
  // Settled: the same thread count for 3 s in a row (the compile thread idles out after 2 s).
  let settled = threads(pid)
  let since = Date.now()
  await until(() => {
    const now = threads(pid)
    if (now !== settled) { settled = now; since = Date.now() }
    return Date.now() - since >= 3000
  }, 20_000, 100)
  let most = settled
  const watch = setInterval(() => { most = Math.max(most, threads(pid)) }, 20)
  try {
    gw.proc.kill('SIGHUP')
    await until(async () => metricSum((await adminGet(admin, '/metrics')).body, 'gatehouse_config_reloads_total', 'result="success"') === 1, 30_000)
    assert.ok(most > settled, `a compile thread ran for the reload (threads: ${settled} settled, ${most} at most)`)
    await until(() => threads(pid) === settled, 10_000, 100)
  } finally {
    clearInterval(watch)
  }
  assert.is(threads(pid), settled, 'the compile thread exited after the reload')
})

test.run()
