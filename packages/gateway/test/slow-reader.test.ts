// A client slow to take its responses, on the fast path (plain-HTTP upstream)
// and the node:http path (HTTPS upstream): `timeouts.send` (nginx's
// send_timeout) closes a client that takes nothing for that long, and the
// upstream connection with it; one that keeps taking bytes is never cut; an
// answer still queued for the client is not cut by the keep-alive timer; and
// a client that sends requests without reading the answers, pipelined or one
// by one, never makes the gateway queue more than about one answer.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import net from 'node:net'
import tls from 'node:tls'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, startRaw, type Pki } from './helpers.js'

const test = suite('slow-reader')
const SEND_MS = 400
const BIG = 32 * 1024 * 1024
const SMALL = 16 * 1024
const PIPELINED = 2000

/**
 * An upstream answering `GET /n/<bytes>` with that many bytes in one write,
 * `GET /slow/<ms>/<bytes>` the same after a delay, `GET /late/<ms>/<bytes>`
 * all but the last byte at once and that one after a delay, and `POST /early/<bytes>`
 * at once, before the body (which it then ignores); it counts requests and
 * closed sockets.
 */
interface Counting { port: number, requests: number, closed: number, close(): void }

async function startCounting (cert?: { certPem: string, keyPem: string }): Promise<Counting> {
  const up: Counting = { port: 0, requests: 0, closed: 0, close: () => {} }
  const onSocket = (socket: net.Socket): void => {
    let head = ''
    let ignore = false
    socket.on('data', (b: Buffer) => {
      if (ignore) return
      head += b.toString('latin1')
      for (let end = head.indexOf('\r\n\r\n'); end !== -1; end = head.indexOf('\r\n\r\n')) {
        const m = /^(GET|POST) \/(n|slow\/\d+|late\/\d+|early)\/(\d+) /.exec(head)
        head = head.slice(end + 4)
        up.requests++
        const n = Number(m?.[3] ?? 0)
        const answer = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${n}\r\n\r\n`), Buffer.alloc(n, 120)])
        const kind = m?.[2] ?? 'n'
        if (kind.startsWith('slow/')) setTimeout(() => { socket.write(answer) }, Number(kind.slice(5)))
        else if (kind.startsWith('late/')) {
          socket.write(answer.subarray(0, answer.length - 1))
          setTimeout(() => { socket.write(answer.subarray(answer.length - 1)) }, Number(kind.slice(5)))
        } else socket.write(answer)
        if (m?.[2] === 'early') {
          ignore = true
          return
        }
      }
    })
    socket.on('close', () => { up.closed++ })
    socket.on('error', () => {})
  }
  const server = await startRaw(onSocket, cert)
  up.port = server.port
  up.close = server.close
  return up
}

/** A TLS client that sends `requests` at once, reads nothing until told, and collects what comes. */
class Reader {
  socket: tls.TLSSocket
  bytes = 0
  text = ''
  closed = false
  closedAt = 0
  constructor (port: number, host: string, ca: string, requests: string) {
    this.socket = tls.connect({ host: '127.0.0.1', port, servername: host, ca }, () => { this.socket.write(requests) })
    this.socket.pause()
    this.socket.on('data', (b: Buffer) => {
      this.bytes += b.length
      // Bodies are all 'x': only the heads are kept, to count the answers.
      this.text += b.toString('latin1').replace(/x+/g, '')
    })
    this.socket.on('close', () => { this.closed = true; this.closedAt = Date.now() })
    this.socket.on('error', () => {})
  }

  /** Complete answers so far. */
  get answers (): number { return this.text.split('HTTP/1.1 200 OK').length - 1 }

  /** Waits until `done()` or `ms` passed. */
  async until (done: () => boolean, ms: number): Promise<void> {
    for (const end = Date.now() + ms; !done() && Date.now() < end;) await sleep(20)
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

const stopped = (): Record<string, unknown> | undefined => logs.find((o) => o.msg === 'client stopped reading')

function gets (host: string, n: number, count: number): string {
  return `GET /n/${n} HTTP/1.1\r\nhost: ${host}\r\n\r\n`.repeat(count)
}

let pki: Pki
let plainUp: Counting
let tlsUp: Counting
// `patient`: keep_alive 300 ms, send 5 s; `strict`: keep_alive 300 ms, send
// 400 ms; `unlimited`: keep_alive and request 0 (no limit), send 400 ms.
interface Served { plane: DataPlane, port: number }
let patient: Served
let strict: Served
let unlimited: Served
const logs: Array<Record<string, unknown>> = []

test.before(async () => {
  pki = makePki()
  plainUp = await startCounting()
  tlsUp = await startCounting(pki.leaf('upstream', ['127.0.0.1']))
  const leaf = pki.leaf('s', ['fast.test', 'full.test'])
  const spec = (timeouts: { headersMs: number, keepAliveMs: number, requestMs: number, sendMs: number }): Parameters<typeof makeTable>[0] => ({
    certs: [{ ...leaf, domains: ['fast.test', 'full.test'] }],
    apis: [
      { name: 'fast', domain: 'fast.test', targets: [`http://127.0.0.1:${plainUp.port}`] },
      { name: 'full', domain: 'full.test', targets: [`https://127.0.0.1:${tlsUp.port}`], upstreamCaPem: pki.caPem }
    ],
    timeouts
  })
  const serve = async (keepAliveMs: number, requestMs: number, sendMs: number): Promise<Served> => {
    const plane = createDataPlane(makeTable(spec({ headersMs: 10_000, keepAliveMs, requestMs, sendMs })), { log: (o) => { logs.push(o) } })
    return { plane, port: (await plane.listen()).https.port }
  }
  patient = await serve(300, 300_000, 5000)
  strict = await serve(300, 300_000, SEND_MS)
  unlimited = await serve(0, 0, SEND_MS)
})

test.after(async () => {
  for (const served of [patient, strict, unlimited]) await served.plane.drain(500)
  plainUp.close()
  tlsUp.close()
  pki.cleanup()
})

for (const [path, host, up] of [['fast path', 'fast.test', () => plainUp], ['node:http path', 'full.test', () => tlsUp]] as const) {
  test(`${path}: requests sent without reading wait for the client to take the answers before them`, async () => {
    const up0 = up().requests
    const fast0 = patient.plane.fastStats.requests
    // 2000 requests for 16 KiB each (32 MiB) in one write; nothing read for 1 s, three times keep_alive.
    const r = new Reader(patient.port, host, pki.caPem, gets(host, SMALL, PIPELINED))
    await sleep(1000)
    const taken = up().requests - up0
    // What the kernel buffers hold (~4 MB here, 29 MB allowed), and one more.
    assert.ok(taken > 0 && taken < PIPELINED * 0.9, `the gateway asked the upstream for ${taken} of ${PIPELINED} answers while the client read nothing`)
    assert.not.ok(r.closed, 'an answer still queued for the client is not cut by the keep-alive timer')
    r.socket.resume()
    await r.until(() => r.answers === PIPELINED || r.closed, 20_000)
    assert.is(r.answers, PIPELINED, 'every answer, once the client reads')
    r.socket.destroy()
    assert.ok(path === 'fast path' ? patient.plane.fastStats.requests - fast0 > 0 : patient.plane.fastStats.requests === fast0, 'on the path under test')
  })

  // Holds with the fast path's own check (clientData) removed too: no request
  // arrived while the gateway's writes to the client were blocked. It guards
  // the property, whichever layer keeps it.
  test(`${path}: requests sent one by one without reading wait too, once the client's queue is full`, async () => {
    // 1500 requests for 4 KiB each (one upstream read apiece), 1 ms apart, fill what the kernel buffers (~4 MB here) ...
    const r = new Reader(patient.port, host, pki.caPem, '')
    await new Promise<void>((resolve) => { r.socket.once('secureConnect', resolve) })
    for (let i = 0; i < 1500; i++) {
      r.socket.write(gets(host, 4096, 1))
      await sleep(1)
    }
    await sleep(300)
    // ... then 50 more arrive, 10 ms apart, each with no answer in flight.
    const taken = up().requests
    for (let i = 0; i < 50; i++) {
      r.socket.write(gets(host, 4096, 1))
      await sleep(10)
    }
    await sleep(300)
    assert.is(up().requests - taken, 0, 'no request reached the upstream while the client read nothing')
    r.socket.resume()
    await r.until(() => r.answers === 1550 || r.closed, 20_000)
    assert.is(r.answers, 1550, 'every answer, once the client reads')
    r.socket.destroy()
  })

  test(`${path}: a client that takes nothing for timeouts.send is closed, and its upstream connection too`, async () => {
    const closed0 = up().closed
    logs.length = 0
    const t0 = Date.now()
    const r = new Reader(strict.port, host, pki.caPem, gets(host, BIG, 1))
    await r.until(() => stopped() !== undefined, 5000)
    const line = stopped()
    assert.ok(line !== undefined, 'the gateway gave up on a client that read nothing for 5 s')
    // One to two timeouts after the last write taken (checked when the timer fires), plus slack for a busy machine.
    assert.ok(Date.now() - t0 < 10 * SEND_MS, `after ${Date.now() - t0} ms`)
    assert.is(line.timeout_ms, SEND_MS)
    assert.type(line.request_id, 'string')
    // A paused socket sees no close: reading again finds the connection closed short of the body.
    r.socket.resume()
    await r.until(() => r.closed, 5000)
    assert.ok(r.closed, 'the client connection is closed')
    assert.ok(r.bytes < BIG, `${r.bytes} bytes of ${BIG}`)
    for (let i = 0; i < 20 && up().closed === closed0; i++) await sleep(50)
    assert.ok(up().closed > closed0, 'the gateway let go of the upstream connection')
  })

  for (const [served, what] of [[() => strict, 'keep_alive 300 ms'], [() => unlimited, 'keep_alive 0']] as const) {
    test(`${path}: an answer whose tail the client never takes is cut after timeouts.send once its exchange has ended (${what})`, async () => {
      logs.length = 0
      // The gateway stops at a full queue after an answer has ended: only its tail is left waiting.
      const r = new Reader(served().port, host, pki.caPem, gets(host, SMALL, PIPELINED))
      await r.until(() => stopped() !== undefined, 5000)
      assert.ok(stopped() !== undefined, 'the gateway gave up on a client that read nothing for 5 s')
      r.socket.resume()
      await r.until(() => r.closed, 5000)
      assert.ok(r.closed, 'the connection is closed')
      assert.ok(r.answers < PIPELINED, `${r.answers} answers`)
      assert.ok(served().plane.table.timeouts.sendMs === SEND_MS)
    })
  }

  test(`${path}: a timeouts.send armed for one answer does not cut the next one on the connection`, async () => {
    logs.length = 0
    // 4 MB whose last byte comes 300 ms late, into a queue the client leaves full for 350 ms (less than the
    // timeout), so the timer is armed again as the answer ends; then an answer the upstream gives after 1 s.
    const r = new Reader(strict.port, host, pki.caPem, `GET /late/300/4000000 HTTP/1.1\r\nhost: ${host}\r\n\r\n` + `GET /slow/1000/10 HTTP/1.1\r\nhost: ${host}\r\n\r\n`)
    await sleep(350)
    r.socket.resume()
    await r.until(() => r.answers === 2 || r.closed, 5000)
    assert.is(r.answers, 2, `closed: ${String(r.closed)}, ${JSON.stringify(logs)}`)
    r.socket.destroy()
  })

  test(`${path}: a request pipelined behind an answer that closes the connection is not sent upstream`, async () => {
    const up0 = up().requests
    // The bad target is answered 400 with connection: close by the gateway itself.
    const r = new Reader(strict.port, host, pki.caPem, `GET /../x HTTP/1.1\r\nhost: ${host}\r\n\r\n` + gets(host, 1000, 1))
    r.socket.resume()
    await r.until(() => r.closed, 5000)
    assert.ok(r.closed)
    assert.match(r.text, /^HTTP\/1\.1 400 /)
    await sleep(200)
    assert.is(up().requests, up0, 'the upstream never saw the request behind it')
  })

  test(`${path}: a client slow to read that takes something within each timeouts.send gets the whole answer`, async () => {
    const r = new Reader(strict.port, host, pki.caPem, gets(host, BIG, 1))
    // Reads for 30 ms every 280 ms: each pause is shorter than the timeout, the whole far longer.
    for (let i = 0; i < 200 && r.bytes <= BIG && !r.closed; i++) {
      await sleep(250)
      r.socket.resume()
      await sleep(30)
      r.socket.pause()
    }
    r.socket.resume()
    await r.until(() => r.bytes >= BIG, 5000)
    assert.not.ok(r.closed, 'not cut')
    assert.ok(r.bytes > BIG && r.answers === 1, `${r.bytes} bytes`)
    r.socket.destroy()
  })
}

test('fast path: an early answer the client stops taking while it uploads is cut after timeouts.send (timeouts.request 0)', async () => {
  logs.length = 0
  const body = 100_000
  // The upstream answers 16 MiB before reading the body; the client, reading nothing, sends half the
  // body, and the rest once the answer has filled its queue (so the queue filled while the body came).
  const r = new Reader(unlimited.port, 'fast.test', pki.caPem, `POST /early/${16 << 20} HTTP/1.1\r\nhost: fast.test\r\ncontent-length: ${body}\r\n\r\n` + 'u'.repeat(body / 2))
  await sleep(500)
  r.socket.write('u'.repeat(body / 2))
  await r.until(() => stopped() !== undefined, 5000)
  const line = stopped()
  assert.ok(line !== undefined, 'the gateway gave up on a client that read nothing for 5 s')
  assert.type(line.request_id, 'string')
  r.socket.destroy()
})

test.run()
