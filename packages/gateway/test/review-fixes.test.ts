// Regressions found in review (each test names the bug it pins):
// - absolute-form targets and dot segments slipped past per-route mTLS;
// - `Upgrade: h2c` was tunnelled like a WebSocket;
// - an upstream answering before the whole request body was read left the
//   client connection advertising keep-alive while its next request stalled;
// - a client error after the response head was out injected a raw 400 into the body.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import http from 'node:http'
import tls from 'node:tls'
import type { AddressInfo } from 'node:net'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, rawTls, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('review-fixes')
let pki: Pki
let echo: Echo
let early: http.Server
let plane: DataPlane
let port = 0
const HOST = 'app.test.localhost'

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  // Answers 413 at once, without reading the request body.
  early = http.createServer((req, res) => {
    if ((req.url ?? '').startsWith('/early/big')) {
      res.writeHead(413, { 'content-type': 'text/plain', 'content-length': '8' })
      res.end('too big\n')
      return
    }
    // A long streamed response, for the error-after-head case.
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(4 * 1024 * 1024) })
    const chunk = Buffer.alloc(64 * 1024, 97)
    let sent = 0
    const pump = (): void => {
      while (sent < 4 * 1024 * 1024) {
        sent += chunk.length
        if (!res.write(chunk)) { res.once('drain', pump); return }
      }
      res.end()
    }
    req.resume()
    pump()
  })
  await new Promise<void>((resolve) => early.listen(0, '127.0.0.1', resolve))
  const earlyUrl = `http://127.0.0.1:${(early.address() as AddressInfo).port}`
  const leaf = pki.leaf('app', [HOST])
  const table = makeTable({
    certs: [{ ...leaf, domains: [HOST] }],
    clientCaPem: pki.caPem,
    apis: [
      { name: 'public', domain: HOST, listenPath: '/', strip: false, targets: [echo.url] },
      { name: 'internal', domain: HOST, listenPath: '/internal', strip: false, targets: [echo.url], mtls: true },
      { name: 'early', domain: HOST, listenPath: '/early', strip: false, targets: [earlyUrl] }
    ]
  })
  plane = createDataPlane(table)
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane?.drain(100)
  await echo?.close()
  early?.closeAllConnections()
  await new Promise<void>((resolve) => early?.close(() => resolve()))
  pki?.cleanup()
})

function statusOf (raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0)
}

test('absolute-form target cannot reach an mTLS route through the public one (400, nothing forwarded)', async () => {
  const before = echo.seen.length
  for (const target of [`https://${HOST}/internal/secret`, 'http://evil.example/internal/secret', '*']) {
    const out = await rawTls(port, HOST, pki.caPem, `GET ${target} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`)
    assert.is(statusOf(out), 400, `${target}: ${out.slice(0, 120)}`)
  }
  assert.is(echo.seen.length, before)
})

test('dot segments (plain and %2e) are refused before routing', async () => {
  const before = echo.seen.length
  for (const path of ['/x/../internal/secret', '/%2e%2e/internal/secret', '/x/%2E./internal', '/./internal']) {
    const out = await rawTls(port, HOST, pki.caPem, `GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`)
    assert.is(statusOf(out), 400, `${path}: ${out.slice(0, 120)}`)
  }
  assert.is(echo.seen.length, before)
  // Dots inside a segment are ordinary characters.
  const ok = await rawTls(port, HOST, pki.caPem, `GET /files/a..b/.well-known HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`)
  assert.is(statusOf(ok), 200)
})

test('only websocket upgrades are tunnelled: h2c is refused', async () => {
  const before = echo.seen.length
  const out = await rawTls(port, HOST, pki.caPem, `GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n`)
  assert.is(statusOf(out), 400)
  assert.is(echo.seen.length, before)
})

test('an upstream answer before the body was read closes the client connection instead of stalling it', async () => {
  const out = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: HOST, ca: pki.caPem }, () => {
      s.write(`POST /early/big HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 2000000\r\n\r\n`)
      s.write(Buffer.alloc(50_000, 98))
    })
    let text = ''
    s.on('data', (b: Buffer) => { text += b.toString('latin1') })
    s.on('close', () => resolve(text))
    s.on('error', () => resolve(text))
    setTimeout(() => { s.destroy(); reject(new Error(`connection neither answered nor closed: ${text.slice(0, 200)}`)) }, 8000).unref()
  })
  assert.is(statusOf(out), 413)
  assert.match(out.toLowerCase(), /\r\nconnection: close\r\n/)
})

test('a client error after the response head is out never injects an error response into the body', async () => {
  const out = await new Promise<string>((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: HOST, ca: pki.caPem }, () => {
      s.write(`POST /early/stream HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n`)
    })
    let text = ''
    let broke = false
    s.on('data', (b: Buffer) => {
      text += b.toString('latin1')
      // Once the response head has arrived, send a malformed chunk.
      if (!broke && text.includes('\r\n\r\n')) { broke = true; s.write('zz\r\n') }
    })
    s.on('close', () => resolve(text))
    s.on('error', () => resolve(text))
    setTimeout(() => { s.destroy(); resolve(text) }, 8000).unref()
  })
  assert.is(statusOf(out), 200)
  assert.not.match(out.slice(20), /HTTP\/1\.1 4\d\d/)
})

test.run()
