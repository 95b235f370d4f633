// Client-side timeouts from `timeouts:` (the slowloris guard): a request head
// trickled slower than `headers` is cut; an idle keep-alive connection is
// closed after `keep_alive`; a plain-HTTP listener without redirect routes
// like the TLS one (X-Forwarded-Proto http).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import tls from 'node:tls'
import http from 'node:http'
import net from 'node:net'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, rawTls, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('timeouts')
let pki: Pki
let echo: Echo
let plane: DataPlane
let port = 0
let httpPort = 0

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  const leaf = pki.leaf('t', ['t.test', 'short.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['t.test', 'short.test'] }],
    apis: [
      { name: 'echo', targets: [echo.url], domain: 't.test' },
      // An upstream timeout shorter than the upload below takes.
      { name: 'short', targets: [echo.url], domain: 'short.test', timeoutMs: 300 }
    ],
    http: { redirectHttps: false },
    timeouts: { headersMs: 500, keepAliveMs: 300, requestMs: 2000 }
  }))
  const addrs = await plane.listen()
  port = addrs.https.port
  httpPort = addrs.http?.port ?? 0
})

test.after(async () => {
  await plane.drain(1000)
  await echo.close()
  pki.cleanup()
})

test('a trickled request head is cut after the headers timeout (slowloris)', async () => {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 't.test', ca: pki.caPem })
  await new Promise<void>((resolve) => { socket.once('secureConnect', resolve) })
  let text = ''
  socket.on('data', (b: Buffer) => { text += b.toString() })
  socket.on('error', () => {})
  const t0 = Date.now()
  socket.write('GET / HTTP/1.1\r\nhost: t.test\r\n')
  const trickle = setInterval(() => { if (!socket.destroyed) socket.write('x-a: b\r\n') }, 100)
  await new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  clearInterval(trickle)
  const took = Date.now() - t0
  assert.ok(took < 3000, `closed after ${took} ms`)
  assert.ok(text === '' || text.startsWith('HTTP/1.1 408'), text)
})

test('an idle keep-alive connection is closed after keep_alive', async () => {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 't.test', ca: pki.caPem })
  await new Promise<void>((resolve) => { socket.once('secureConnect', resolve) })
  socket.write('GET /a HTTP/1.1\r\nhost: t.test\r\n\r\n')
  await new Promise<void>((resolve) => { socket.once('data', () => { resolve() }) })
  const t0 = Date.now()
  socket.resume()
  await new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  const took = Date.now() - t0
  assert.ok(took >= 200 && took < 2500, `idle close after ${took} ms`)
})

test('a busy keep-alive connection outlives keep_alive: each answer starts it again', async () => {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 't.test', ca: pki.caPem })
  await new Promise<void>((resolve) => { socket.once('secureConnect', resolve) })
  let closed = false
  socket.once('close', () => { closed = true })
  let answers = 0
  let text = ''
  socket.on('data', (b: Buffer) => {
    text += b.toString('latin1')
    answers = text.split('HTTP/1.1 200 ').length - 1
  })
  // 7 requests 150 ms apart: 900 ms on one connection, three times keep_alive.
  for (let i = 0; i < 7; i++) {
    assert.not.ok(closed, `closed before request ${i + 1}`)
    socket.write(`GET /busy/${i} HTTP/1.1\r\nhost: t.test\r\n\r\n`)
    const want = i + 1
    for (let w = 0; w < 100 && answers < want && !closed; w++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.is(answers, want, `answer ${want}`)
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  // Then idle: closed by keep_alive (waited for at most 2.5 s, so a timer that never fires fails here, not by hanging).
  for (let w = 0; w < 250 && !closed; w++) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.ok(closed, 'then closed once idle')
})

test('an upload slower than the API timeout is not cut while it moves; the timeout counts from its end', async () => {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'short.test', ca: pki.caPem })
  await new Promise<void>((resolve) => { socket.once('secureConnect', resolve) })
  let text = ''
  socket.on('data', (b: Buffer) => { text += b.toString('latin1') })
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
  // 10 chunks of 100 bytes 100 ms apart: ~1 s of body against a 300 ms upstream timeout.
  socket.write('POST /trickled-upload HTTP/1.1\r\nhost: short.test\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n')
  for (let i = 0; i < 10 && !socket.destroyed; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    socket.write('x'.repeat(100))
  }
  await closed
  assert.match(text, /^HTTP\/1\.1 200 /, text.slice(0, 80))
  assert.match(text, /"body_bytes":1000/)
})

test('interim 1xx answers start the API timeout again, as on the full path', async () => {
  // Every 150 ms a 102, the answer after 900 ms: three times the API's 300 ms timeout.
  const slow = net.createServer((s) => {
    s.once('data', () => {
      const beat = setInterval(() => { s.write('HTTP/1.1 102 Processing\r\n\r\n') }, 150)
      setTimeout(() => { clearInterval(beat); s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok') }, 900)
    })
    s.on('error', () => {})
  })
  await new Promise<void>((resolve) => { slow.listen(0, '127.0.0.1', resolve) })
  const leaf = pki.leaf('i', ['interim.test'])
  const p2 = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['interim.test'] }],
    apis: [{ name: 'interim', targets: [`http://127.0.0.1:${(slow.address() as net.AddressInfo).port}`], timeoutMs: 300 }]
  }))
  try {
    const port2 = (await p2.listen()).https.port
    const out = await rawTls(port2, 'interim.test', pki.caPem, 'GET /job HTTP/1.1\r\nhost: interim.test\r\nconnection: close\r\n\r\n', 3000)
    assert.match(out, /^HTTP\/1\.1 200 /, out.slice(0, 80))
    assert.ok(out.endsWith('\r\n\r\nok'), out.slice(-40))
    assert.is(p2.fastStats.requests, 1, 'on the fast path')
  } finally {
    await p2.drain(300)
    slow.close()
  }
})

test('plain-HTTP listener without redirect routes and says proto http', async () => {
  const body = await new Promise<any>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: httpPort, path: '/p?q=1', headers: { host: 't.test' } }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => { text += c.toString() })
      res.on('end', () => { resolve(JSON.parse(text)) })
    }).on('error', reject)
  })
  assert.is(body.url, '/p?q=1')
  assert.is(body.headers['x-forwarded-proto'], 'http')
})

test.run()
