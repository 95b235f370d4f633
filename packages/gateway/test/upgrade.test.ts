// Protocol switches and interim responses: a WebSocket through the gateway
// echoes text and binary frames (the sockets are piped after the upstream's
// 101); an upgrade to a dead upstream gets a 502; Expect: 100-continue gets
// its 100 before the client sends the body.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import tls from 'node:tls'
import { WebSocket, type ClientOptions } from 'ws'
import { createDataPlane, startHttpbin, type DataPlane, type Httpbin } from '@gatehouse/gateway'
import { makePki, makeTable, rawTls, deadPort, type Pki } from './helpers.js'

const test = suite('upgrade')
let pki: Pki
let bin: Httpbin
let plane: DataPlane
let port = 0

test.before(async () => {
  pki = makePki()
  bin = await startHttpbin()
  const leaf = pki.leaf('w', ['w.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['w.test'] }],
    apis: [
      { name: 'dead', domain: 'w.test', listenPath: '/dead', targets: [`http://127.0.0.1:${await deadPort()}`] },
      { name: 'ws', domain: 'w.test', listenPath: '/sock', strip: true, targets: [bin.url] },
      { name: 'bin', domain: 'w.test', targets: [bin.url] }
    ]
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await bin.close()
  pki.cleanup()
})

test('WebSocket echo through the gateway (text and binary), request id on the 101', async () => {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/sock/ws`, { ca: pki.caPem, servername: 'w.test', headers: { host: 'w.test' } } as ClientOptions)
  let requestId: string | undefined
  ws.on('upgrade', (res) => { requestId = res.headers['x-request-id'] as string | undefined })
  await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  assert.type(requestId, 'string')
  const next = (): Promise<{ data: Buffer, binary: boolean }> => new Promise((resolve) => {
    ws.once('message', (data, binary) => { resolve({ data: data as Buffer, binary }) })
  })
  let p = next()
  ws.send('hello gatehouse')
  assert.is((await p).data.toString(), 'hello gatehouse')
  p = next()
  const bytes = Buffer.from([0, 1, 2, 255, 254])
  ws.send(bytes)
  const got = await p
  assert.ok(got.binary)
  assert.ok(got.data.equals(bytes))
  // a 1 MiB frame crosses in both directions intact
  p = next()
  const big = Buffer.alloc(1024 * 1024, 9)
  ws.send(big)
  assert.ok((await p).data.equals(big))
  ws.close()
  await new Promise((resolve) => { ws.once('close', resolve) })
})

test('upgrade towards an unreachable upstream: 502 JSON', async () => {
  const out = await rawTls(port, 'w.test', pki.caPem,
    'GET /dead/ws HTTP/1.1\r\nhost: w.test\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  assert.ok(out.startsWith('HTTP/1.1 502'), out)
  assert.ok(out.includes('"error":"upstream unreachable"'))
})

test('upgrade refused by the upstream: its answer is relayed', async () => {
  const out = await rawTls(port, 'w.test', pki.caPem,
    'GET /sock/not-ws HTTP/1.1\r\nhost: w.test\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  assert.ok(out.startsWith('HTTP/1.1 404'), out)
})

test('Expect: 100-continue: the 100 arrives before the body is sent, then the upstream answers', async () => {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'w.test', ca: pki.caPem })
  await new Promise<void>((resolve) => { socket.once('secureConnect', resolve) })
  let text = ''
  socket.on('data', (b: Buffer) => { text += b.toString() })
  socket.write('POST /anything HTTP/1.1\r\nhost: w.test\r\ncontent-length: 11\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n')
  const deadline = Date.now() + 2000
  while (!text.includes('\r\n\r\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  assert.ok(text.startsWith('HTTP/1.1 100 Continue'), `interim response first, got ${JSON.stringify(text)}`)
  socket.write('hello world')
  await new Promise((resolve) => { socket.once('close', resolve) })
  const final = text.slice(text.indexOf('\r\n\r\n') + 4)
  assert.ok(final.startsWith('HTTP/1.1 200'), final)
  const json = JSON.parse(final.slice(final.indexOf('{')).replace(/\r\n0\r\n\r\n$/, '').replace(/\r\n[0-9a-f]+\r\n/g, ''))
  assert.is(json.body_bytes, 11)
  assert.is(json.data, 'hello world')
  assert.is(json.headers.expect, undefined, 'the gateway answered the expectation itself')
})

test.run()
