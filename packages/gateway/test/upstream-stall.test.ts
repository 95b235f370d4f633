// An upstream that goes silent in the middle of a response body: once the
// head is relayed, `upstream.timeout` bounds the silence between two reads
// (nginx's proxy_read_timeout), on the fast path (plain-HTTP upstream) and on
// the node:http path (HTTPS upstream, undici's bodyTimeout). A body that keeps
// moving is never cut however long it takes, and neither is one the client
// is slow to read (the upstream is paused then: its silence is the gateway's),
// nor an early answer whose upstream waits for an upload that still moves.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import net from 'node:net'
import tls from 'node:tls'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, startRaw, type Pki } from './helpers.js'

const test = suite('upstream-stall')
const TIMEOUT_MS = 300
const BIG = 24 * 1024 * 1024
const UPLOAD = 1000

/** What the upstream saw: when its sockets closed, by the last request path each carried. */
interface Scripted { port: number, closedAt: Map<string, number>, close(): void }

// /stall: head + 10 of 100 body bytes, then silence. /drip: 10 bytes every 100 ms
// (1 s of body against a 300 ms timeout). /big: BIG bytes written at once.
// POST /late: head + 10 bytes at once (an early answer), the other 90 once the
// whole upload (UPLOAD bytes) has arrived.
// Requests on one connection are answered in turn (the gateway reuses it).
function onRequest (socket: net.Socket, closedAt: Map<string, number>): void {
  let head = ''
  let path = ''
  let uploadLeft = 0
  socket.once('close', () => { closedAt.set(path, Date.now()) })
  const onData = (b: Buffer): void => {
    if (uploadLeft > 0) {
      uploadLeft -= b.length
      if (uploadLeft <= 0) socket.write('x'.repeat(90))
      return
    }
    head += b.toString('latin1')
    if (!head.includes('\r\n\r\n')) return
    path = /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? ''
    const early = head.slice(head.indexOf('\r\n\r\n') + 4).length
    head = ''
    if (path === '/late') {
      uploadLeft = UPLOAD - early
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n' + 'x'.repeat(10))
      return
    }
    if (path === '/big') {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${BIG}\r\n\r\n`)
      socket.write(Buffer.alloc(BIG, 120))
      return
    }
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n' + 'x'.repeat(10))
    if (path !== '/drip') return
    let sent = 10
    const drip = setInterval(() => {
      if (socket.destroyed) { clearInterval(drip); return }
      socket.write('x'.repeat(10))
      sent += 10
      if (sent === 100) clearInterval(drip)
    }, 100)
  }
  socket.on('data', onData)
  socket.on('error', () => {})
}

async function startScripted (cert?: { certPem: string, keyPem: string }): Promise<Scripted> {
  const closedAt = new Map<string, number>()
  return { ...await startRaw((s) => { onRequest(s, closedAt) }, cert), closedAt }
}

interface Outcome { closed: boolean, head: string, bodyBytes: number, at: number }

/** One GET over TLS; the client reads nothing for `pauseMs`, then waits at most `waitMs` for the gateway to close. */
function get (port: number, host: string, ca: string, path: string, waitMs: number, pauseMs = 0): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: host, ca }, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`)
      if (pauseMs > 0) {
        socket.pause()
        setTimeout(() => { socket.resume() }, pauseMs)
      }
    })
    const chunks: Buffer[] = []
    let done = false
    const finish = (closed: boolean): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      const all = Buffer.concat(chunks)
      const end = all.indexOf('\r\n\r\n')
      resolve({ closed, head: end === -1 ? all.toString('latin1') : all.subarray(0, end).toString('latin1'), bodyBytes: end === -1 ? 0 : all.length - end - 4, at: Date.now() })
      socket.destroy()
    }
    const timer = setTimeout(() => { finish(false) }, waitMs)
    socket.on('data', (b: Buffer) => { chunks.push(b) })
    socket.on('close', () => { finish(true) })
    socket.on('error', () => {})
  })
}

let pki: Pki
let plainUp: Scripted
let tlsUp: Scripted
let plane: DataPlane
let port = 0

test.before(async () => {
  pki = makePki()
  plainUp = await startScripted()
  tlsUp = await startScripted(pki.leaf('upstream', ['127.0.0.1']))
  const leaf = pki.leaf('s', ['fast.test', 'full.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['fast.test', 'full.test'] }],
    apis: [
      { name: 'fast', domain: 'fast.test', targets: [`http://127.0.0.1:${plainUp.port}`], timeoutMs: TIMEOUT_MS },
      { name: 'full', domain: 'full.test', targets: [`https://127.0.0.1:${tlsUp.port}`], upstreamCaPem: pki.caPem, timeoutMs: TIMEOUT_MS }
    ]
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(500)
  plainUp.close()
  tlsUp.close()
  pki.cleanup()
})

for (const [path, host, up] of [['fast path', 'fast.test', () => plainUp], ['node:http path', 'full.test', () => tlsUp]] as const) {
  test(`${path}: a body the upstream stops sending is cut after the API timeout, on both sides`, async () => {
    const fast0 = plane.fastStats.requests
    const t0 = Date.now()
    const r = await get(port, host, pki.caPem, '/stall', 4000)
    assert.ok(r.closed, `the gateway closed the client connection (waited 4 s; head ${JSON.stringify(r.head.slice(0, 40))}, ${r.bodyBytes} body bytes)`)
    assert.match(r.head, /^HTTP\/1\.1 200 /)
    assert.is(r.bodyBytes, 10, 'what came before the stall was relayed, and the body is short of its length')
    // One to two timeouts after the last byte (the check runs when the timer fires), plus slack for a busy machine.
    assert.ok(r.at - t0 < 3 * TIMEOUT_MS + 1500, `closed after ${r.at - t0} ms`)
    // The upstream sees its connection close a moment after the client does.
    for (let i = 0; i < 20 && !up().closedAt.has('/stall'); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.ok(up().closedAt.has('/stall'), 'the gateway let go of the upstream connection too')
    assert.is(plane.fastStats.requests - fast0, path === 'fast path' ? 1 : 0, 'on the path under test')
  })

  test(`${path}: a slow body that keeps moving is relayed whole, however long it takes`, async () => {
    const r = await get(port, host, pki.caPem, '/drip', 5000)
    assert.ok(r.closed)
    assert.match(r.head, /^HTTP\/1\.1 200 /)
    assert.is(r.bodyBytes, 100, '1 s of body against a 300 ms timeout, all of it')
  })

  test(`${path}: a client slow to read does not make the upstream look stalled`, async () => {
    // The client reads nothing for four timeouts while 24 MiB wait: the gateway pauses the upstream meanwhile.
    const r = await get(port, host, pki.caPem, '/big', 15000, 4 * TIMEOUT_MS)
    assert.ok(r.closed)
    assert.match(r.head, /^HTTP\/1\.1 200 /, JSON.stringify(r.head.slice(0, 200)) + ` ${r.bodyBytes}`)
    assert.is(r.bodyBytes, BIG)
  })
}

test('fast path: an early answer waiting for a slow upload is not cut while the upload moves', async () => {
  // 10 chunks of 100 bytes 100 ms apart: the answer's body is silent for ~1 s against a 300 ms timeout.
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'fast.test', ca: pki.caPem })
  await new Promise<void>((resolve) => { socket.once('secureConnect', resolve) })
  const chunks: Buffer[] = []
  socket.on('data', (b: Buffer) => { chunks.push(b) })
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  socket.write(`POST /late HTTP/1.1\r\nhost: fast.test\r\ncontent-length: ${UPLOAD}\r\n\r\n`)
  for (let i = 0; i < UPLOAD / 100 && !socket.destroyed; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    socket.write('u'.repeat(100))
  }
  // The gateway closes after an early answer (the upload's end is not waited for twice); bounded anyway.
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 3000))])
  socket.destroy()
  const all = Buffer.concat(chunks).toString('latin1')
  assert.match(all, /^HTTP\/1\.1 200 /, all.slice(0, 60))
  assert.is(all.length - all.indexOf('\r\n\r\n') - 4, 100, 'the whole answer, its last 90 bytes sent after the upload ended')
})

test.run()
