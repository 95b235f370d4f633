// The built-in client's fixed-rate mode (bench/lib/load/client.js) must not
// charge its own start-up to the target: every connection is open before the
// clock starts, so requests are not scheduled while TLS handshakes are still
// running (seen as +50 to +170 ms "added p99" for every TLS target), and it
// reports its own event-loop delay, send lag and connect time. Against a real
// TLS server on 127.0.0.1 whose handshakes are held back 1.5 s by the SNI
// callback; no speed is asserted — only that the held-back handshakes are not
// in the latencies (they would be ≥ 0.5 s each with the clock running).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error -- plain ESM JavaScript without declarations (the runner runs with no build step)
import { mintMaterial } from '../lib/tls-material.js'
// @ts-expect-error -- plain ESM JavaScript without declarations
import { builtin } from '../lib/load/generators.js'

interface Pcts { p50: number, p99: number, max: number }
interface RateResult { requests: number, errors: number, connectMs: number, unconnected: number, latency: Pcts, sendLag: Pcts, loopDelay: Pcts }

const HOLD_MS = 1500
const test = suite('bench client, rate mode')
let dir = ''
let server: https.Server
let port = 0

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bench-client-'))
  const m = await mintMaterial(dir) as { ec: { cert: string, key: string } }
  server = https.createServer({
    cert: readFileSync(m.ec.cert),
    key: readFileSync(m.ec.key),
    SNICallback (_name, cb) { setTimeout(() => cb(null, undefined), HOLD_MS) }
  }, (_req, res) => { res.writeHead(200, { 'content-length': '2' }); res.end('ok') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
test.after(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

test('the clock starts once every connection is open; loop delay and send lag are reported', async () => {
  const r = await builtin({
    mode: 'rate', target: { host: '127.0.0.1', port, tls: true }, servername: 'bench.localhost', host: 'bench.localhost',
    conns: 10, rate: 200, durationMs: 1000, warmupMs: 200, spin: true
  }, { cpu: null, timeoutMs: 30000 }) as RateResult
  assert.ok(r.connectMs >= HOLD_MS - 50, `connectMs ${r.connectMs}`)
  assert.is(r.unconnected, 0)
  assert.is(r.errors, 0)
  // 200 req/s for 1 s, warm-up not counted.
  assert.ok(r.requests >= 180 && r.requests <= 201, `requests ${r.requests}`)
  assert.ok(r.latency.p50 < 250_000, `p50 ${r.latency.p50} µs: the handshake wait was charged to the requests`)
  for (const k of ['p50', 'p99', 'max'] as const) {
    assert.ok(Number.isFinite(r.loopDelay[k]) && r.loopDelay[k] >= 0, `loopDelay.${k} = ${r.loopDelay[k]}`)
    assert.ok(Number.isFinite(r.sendLag[k]) && r.sendLag[k] >= 0, `sendLag.${k} = ${r.sendLag[k]}`)
  }
})

test.run()
