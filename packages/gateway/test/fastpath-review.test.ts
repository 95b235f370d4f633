// Regression tests from an adversarial review of the byte-level fast path
// (fastpath.ts, h1.ts): each test is an input on which the fast path used to
// behave differently from the full node:http path, from DESIGN.md or from
// RFC 9112 — a close-delimited body cut by a reset presented as complete, a
// trickled body outliving `timeouts.request`, a `Connection: close` socket left
// half-open, a NUL in an upstream field relayed to the client, a silent
// connection closed without the 408 node:http sends, `request: 0` not meaning
// "no limit", an early answer leaving the connection (and the upstream socket)
// open until the rest of the body arrived, a request head llhttp frames or
// refuses differently (a tab in Content-Length, Proxy-Connection: close), a
// non-ASCII reason phrase answered 502.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import net, { type AddressInfo } from 'node:net'
import tls from 'node:tls'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, rawTls, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('fastpath-review')
let pki: Pki
let echo: Echo
let raw: net.Server
let plane: DataPlane
let port = 0
const rawSockets = new Set<net.Socket>()

// A raw upstream whose answer depends on the request path.
function onRawConnection (socket: net.Socket): void {
  rawSockets.add(socket)
  socket.on('close', () => { rawSockets.delete(socket) })
  socket.on('error', () => {})
  let head = ''
  socket.on('data', (b: Buffer) => {
    if (head.includes('\r\n\r\n')) return
    head += b.toString('latin1')
    if (!head.includes('\r\n\r\n')) return
    const path = head.split(' ')[1] ?? ''
    if (path === '/rst') {
      // A close-delimited body, then a reset instead of a clean close.
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npartial')
      setTimeout(() => { socket.resetAndDestroy() }, 50)
      return
    }
    if (path === '/early') {
      // Answers before the body arrives (an early 413) and keeps the connection.
      socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 4\r\n\r\nnope')
      return
    }
    if (path === '/reason') {
      // A reason phrase in UTF-8 (obs-text on the wire): llhttp and node:http relay it.
      socket.write(Buffer.concat([Buffer.from('HTTP/1.1 200 Gr'), Buffer.from('é', 'utf8'), Buffer.from('at\r\ncontent-length: 2\r\n\r\nok')]))
      return
    }
    if (path === '/nul') {
      socket.write('HTTP/1.1 200 OK\r\nx-odd: a\x00b\r\ncontent-length: 2\r\n\r\nok')
      return
    }
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n')
  })
}

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  raw = net.createServer(onRawConnection)
  await new Promise<void>((resolve) => { raw.listen(0, '127.0.0.1', resolve) })
  const leaf = pki.leaf('r', ['echo.test', 'raw.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['echo.test', 'raw.test'] }],
    apis: [
      { name: 'echo', domain: 'echo.test', targets: [echo.url] },
      { name: 'raw', domain: 'raw.test', targets: [`http://127.0.0.1:${(raw.address() as AddressInfo).port}`] }
    ],
    timeouts: { headersMs: 2000, keepAliveMs: 5000, requestMs: 700 }
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(500)
  await echo.close()
  for (const s of rawSockets) s.destroy()
  await new Promise<void>((resolve) => { raw.close(() => { resolve() }) })
  pki.cleanup()
})

/** A TLS connection to the plane that records what arrives and how it ends. */
function connect (servername: string, opts: { allowHalfOpen?: boolean } = {}): Promise<{ socket: tls.TLSSocket, data: () => string, ended: Promise<string> }> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen is a net.Socket option tls.connect passes on (missing from its type).
    const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = { host: '127.0.0.1', port, servername, ca: pki.caPem, allowHalfOpen: opts.allowHalfOpen ?? false }
    const socket = tls.connect(options, () => {
      resolve({ socket, data: () => out, ended })
    })
    let out = ''
    socket.on('data', (b: Buffer) => { out += b.toString('latin1') })
    const ended = new Promise<string>((done) => {
      socket.on('error', (err: NodeJS.ErrnoException) => { done(`error ${err.code ?? ''}`) })
      socket.on('close', () => { done('close') })
    })
    socket.once('error', reject)
  })
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms) })
}

test('a close-delimited upstream body cut by a reset is not presented as complete', async () => {
  const c = await connect('raw.test')
  c.socket.write('GET /rst HTTP/1.1\r\nhost: raw.test\r\n\r\n')
  const how = await Promise.race([c.ended, sleep(3000).then(() => 'timeout')])
  c.socket.destroy()
  const out = c.data()
  assert.match(out, /^HTTP\/1\.1 200 /)
  assert.ok(out.includes('7\r\npartial\r\n'), out)
  // The terminating chunk would tell the client the body is whole.
  assert.not.ok(out.endsWith('\r\n0\r\n\r\n'), `truncated body ended cleanly: ${JSON.stringify(out.slice(-40))}`)
  assert.is(how, 'close')
})

test('a request body trickled past timeouts.request is cut with 408', async () => {
  const c = await connect('echo.test')
  c.socket.write('POST /trickle HTTP/1.1\r\nhost: echo.test\r\ncontent-length: 100\r\n\r\n')
  // One byte every 100 ms: the socket is never idle, but the request lasts far
  // longer than timeouts.request (700 ms). The answer must come while it trickles.
  for (let i = 0; i < 30 && !c.socket.destroyed && c.data() === ''; i++) {
    c.socket.write('x')
    await sleep(100)
  }
  const got = c.data()
  c.socket.destroy()
  assert.match(got, /^HTTP\/1\.1 408 /, `no 408 within 3 s of trickling: ${JSON.stringify(got.slice(0, 60))}`)
})

test('after a Connection: close answer the server closes its socket, not only its write side', async () => {
  const c = await connect('echo.test', { allowHalfOpen: true })
  c.socket.write('GET /bye HTTP/1.1\r\nhost: echo.test\r\nconnection: close\r\n\r\n')
  await new Promise<void>((resolve) => { c.socket.once('end', resolve) })
  assert.match(c.data(), /^HTTP\/1\.1 200 /)
  // A client that keeps its half open: the gateway must not keep the socket for it.
  for (let i = 0; i < 10; i++) {
    if (c.socket.destroyed) break
    c.socket.write('still here\r\n')
    await sleep(50)
  }
  const how = await Promise.race([c.ended, sleep(1000).then(() => 'timeout')])
  c.socket.destroy()
  assert.is.not(how, 'timeout')
})

test('a control byte in an upstream response field is answered 502, not relayed', async () => {
  const c = await connect('raw.test')
  c.socket.write('GET /nul HTTP/1.1\r\nhost: raw.test\r\nconnection: close\r\n\r\n')
  await Promise.race([c.ended, sleep(2000)])
  c.socket.destroy()
  assert.match(c.data(), /^HTTP\/1\.1 502 /)
  assert.not.ok(c.data().includes('\x00'))
})

test('a connection that sends nothing is answered 408 after timeouts.headers, like node:http', async () => {
  const c = await connect('echo.test')
  const how = await Promise.race([c.ended, sleep(4000).then(() => 'timeout')])
  c.socket.destroy()
  assert.is(how, 'close')
  assert.match(c.data(), /^HTTP\/1\.1 408 /)
  assert.match(c.data(), /\{"error":"request timeout","request_id":"[^"]+"\}$/)
})

test('timeouts.request 0 means no limit: a body paused longer than timeouts.headers still goes through', async () => {
  const leaf = pki.leaf('z', ['zero.test'])
  const zero = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['zero.test'] }],
    apis: [{ name: 'echo', targets: [echo.url] }],
    timeouts: { headersMs: 300, keepAliveMs: 5000, requestMs: 0 }
  }))
  const zeroPort = (await zero.listen()).https.port
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: zeroPort, servername: 'zero.test', ca: pki.caPem }, () => {
        s.write('POST /pause HTTP/1.1\r\nhost: zero.test\r\ncontent-length: 10\r\nconnection: close\r\n\r\nhello')
        setTimeout(() => { s.write('world') }, 800)
      })
      let data = ''
      s.on('data', (b: Buffer) => { data += b.toString('latin1') })
      s.on('close', () => { resolve(data) })
      s.on('error', reject)
      setTimeout(() => { s.destroy() }, 3000)
    })
    assert.match(out, /^HTTP\/1\.1 200 /, out.slice(0, 80))
    assert.match(out, /"body_bytes":10/)
  } finally {
    await zero.drain(300)
  }
})

test('an early answer closes the connection without waiting for the rest of the body', async () => {
  // A long timeouts.request, so only the early answer can end the exchange.
  const leaf = pki.leaf('e', ['raw.test'])
  const slow = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['raw.test'] }],
    apis: [{ name: 'raw', targets: [`http://127.0.0.1:${(raw.address() as AddressInfo).port}`] }],
    timeouts: { headersMs: 10_000, keepAliveMs: 5000, requestMs: 60_000 }
  }))
  const slowPort = (await slow.listen()).https.port
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: slowPort, servername: 'raw.test', ca: pki.caPem }, () => {
        // 3 of the 100 bytes announced; the client then waits for the answer.
        s.write('POST /early HTTP/1.1\r\nhost: raw.test\r\ncontent-length: 100\r\n\r\nabc')
      })
      let data = ''
      s.on('data', (b: Buffer) => { data += b.toString('latin1') })
      s.on('close', () => { resolve(data) })
      s.on('error', reject)
      setTimeout(() => { s.destroy(); resolve(data + ' [still open after 3 s]') }, 3000)
    })
    assert.match(out, /^HTTP\/1\.1 413 /)
    assert.match(out, /\r\nconnection: close\r\n/i)
    assert.ok(out.endsWith('nope'), out.slice(-60))
  } finally {
    await slow.drain(300)
  }
})

test('a Content-Length with a tab after the digits is refused like llhttp does, not forwarded', async () => {
  const before = echo.seen.length
  const out = await rawTls(port, 'echo.test', pki.caPem, 'POST /tab HTTP/1.1\r\nhost: echo.test\r\ncontent-length: 5\t\r\n\r\nhello')
  assert.match(out, /^HTTP\/1\.1 400 /, out.slice(0, 60))
  assert.is(echo.seen.length, before, 'nothing reached the upstream')
})

test('Proxy-Connection: close closes the connection after the answer, as llhttp reads it', async () => {
  const c = await connect('echo.test')
  c.socket.write('GET /one HTTP/1.1\r\nhost: echo.test\r\nproxy-connection: close\r\n\r\n')
  const how = await Promise.race([c.ended, sleep(2000).then(() => 'still open')])
  c.socket.destroy()
  assert.match(c.data(), /^HTTP\/1\.1 200 /)
  assert.match(c.data(), /\r\nconnection: close\r\n/i)
  assert.is(how, 'close')
})

test('a reason phrase with non-ASCII bytes is relayed, not answered 502', async () => {
  const out = await rawTls(port, 'raw.test', pki.caPem, 'GET /reason HTTP/1.1\r\nhost: raw.test\r\nconnection: close\r\n\r\n')
  assert.ok(out.startsWith('HTTP/1.1 200 Gr\xc3\xa9at\r\n'), JSON.stringify(out.slice(0, 40)))
  assert.ok(out.endsWith('\r\n\r\nok'))
})

test.run()
