// Client-side timeouts from `timeouts:` (the slowloris guard): a request head
// trickled slower than `headers` is cut; an idle keep-alive connection is
// closed after `keep_alive`; a plain-HTTP listener without redirect routes
// like the TLS one (X-Forwarded-Proto http).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import tls from 'node:tls'
import http from 'node:http'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('timeouts')
let pki: Pki
let echo: Echo
let plane: DataPlane
let port = 0
let httpPort = 0

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  const leaf = pki.leaf('t', ['t.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['t.test'] }],
    apis: [{ name: 'echo', targets: [echo.url] }],
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
