// Graceful drain: a request in flight when drain() starts completes; idle
// keep-alive connections are closed; new connections are refused; what is
// still open at the deadline (a WebSocket) is destroyed, and drain resolves.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import tls from 'node:tls'
import { WebSocket, type ClientOptions } from 'ws'
import { createDataPlane, startHttpbin, type Httpbin } from '@gatehouse/gateway'
import { makePki, makeTable, request, type Pki } from './helpers.js'

const test = suite('drain')
let pki: Pki
let bin: Httpbin

test.before(async () => {
  pki = makePki()
  bin = await startHttpbin()
})

test.after(async () => {
  await bin.close()
  pki.cleanup()
})

async function makePlane () {
  const leaf = pki.leaf('d', ['d.test'])
  const plane = createDataPlane(makeTable({ certs: [{ ...leaf, domains: ['d.test'] }], apis: [{ name: 'bin', targets: [bin.url] }] }))
  const port = (await plane.listen()).https.port
  return { plane, port }
}

test('in-flight request completes; idle keep-alive closed; new connections refused', async () => {
  const { plane, port } = await makePlane()
  // an idle keep-alive connection
  const idle = tls.connect({ host: '127.0.0.1', port, servername: 'd.test', ca: pki.caPem })
  await new Promise<void>((resolve) => { idle.once('secureConnect', resolve) })
  idle.write('GET /get HTTP/1.1\r\nhost: d.test\r\n\r\n')
  await new Promise<void>((resolve) => { idle.once('data', () => { resolve() }) })
  const idleClosed = new Promise<void>((resolve) => { idle.once('close', () => { resolve() }) })
  idle.resume()

  const inflight = request({ port, host: 'd.test', path: '/delay/400', ca: pki.caPem })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const t0 = Date.now()
  const drained = plane.drain(5000)
  await idleClosed
  const r = await inflight
  assert.is(r.status, 200, 'the in-flight request finished')
  assert.is(r.headers.connection, 'close', 'and was told the connection closes')
  await drained
  assert.ok(Date.now() - t0 < 3000, 'drain resolved once idle, not at the deadline')
  const refused = await request({ port, host: 'd.test', path: '/get', ca: pki.caPem }).then(() => 'served', (err: NodeJS.ErrnoException) => err.code)
  assert.is(refused, 'ECONNREFUSED')
})

test('an open WebSocket is destroyed at the deadline and drain resolves', async () => {
  const { plane, port } = await makePlane()
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca: pki.caPem, servername: 'd.test', headers: { host: 'd.test' } } as ClientOptions)
  await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const closed = new Promise<void>((resolve) => { ws.once('close', () => { resolve() }) })
  const t0 = Date.now()
  await plane.drain(300)
  const took = Date.now() - t0
  assert.ok(took >= 250 && took < 2000, `drain took ${took} ms`)
  await closed
})

test.run()
