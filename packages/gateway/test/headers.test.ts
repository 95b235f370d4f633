// Header handling across the proxy: every hop-by-hop header (RFC 9110 §7.6.1)
// and every name listed in Connection is dropped in both directions;
// X-Forwarded-For is appended, X-Forwarded-Proto/Host set; X-Request-Id is
// created when absent, kept when sent, and reaches both the upstream and the
// client; Host is the target's unless preserve_host_header.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, request, startEcho, rawTls, type Echo, type Pki } from './helpers.js'

const test = suite('headers')
let pki: Pki
let echo: Echo
let hoppy: http.Server
let plane: DataPlane
let port = 0

const HOP_REQUEST: Record<string, string> = {
  connection: 'close, X-Listed-One, x-listed-two',
  'x-listed-one': 'a',
  'x-listed-two': 'b',
  'keep-alive': 'timeout=5',
  'proxy-authorization': 'Basic Zm9vOmJhcg==',
  'proxy-connection': 'keep-alive',
  te: 'trailers',
  trailer: 'x-checksum',
  upgrade: 'h2c'
}

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  // An upstream that answers with every hop-by-hop response header.
  hoppy = http.createServer((req, res) => {
    req.resume()
    res.writeHead(200, [
      'Connection', 'keep-alive, X-Resp-Listed',
      'X-Resp-Listed', '1',
      'Keep-Alive', 'timeout=100',
      'Proxy-Authenticate', 'Basic',
      'Trailer', 'x-sum',
      'Upgrade', 'foo',
      'X-Request-Id', 'upstream-made-this',
      'X-End', 'ok'
    ])
    res.end('ok')
  })
  await new Promise<void>((resolve) => { hoppy.listen(0, '127.0.0.1', resolve) })
  const hoppyUrl = `http://127.0.0.1:${(hoppy.address() as AddressInfo).port}`
  const leaf = pki.leaf('h', ['h.test', 'keep.test', 'hop.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['h.test', 'keep.test', 'hop.test'] }],
    apis: [
      { name: 'h', domain: 'h.test', targets: [echo.url] },
      { name: 'keep', domain: 'keep.test', targets: [echo.url], preserveHost: true },
      { name: 'hop', domain: 'hop.test', targets: [hoppyUrl] }
    ]
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await echo.close()
  await new Promise<void>((resolve) => { hoppy.close(() => { resolve() }); hoppy.closeAllConnections() })
  pki.cleanup()
})

function names (raw: string[]): string[] {
  return raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase())
}

function jsonBody (raw: string): any {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4)
  return JSON.parse(body)
}

test('each hop-by-hop request header and each Connection-listed name is dropped', async () => {
  // Raw bytes: Node's own client refuses some of these headers on a bodiless request.
  let head = 'GET /x HTTP/1.1\r\nhost: h.test\r\nx-kept: yes\r\n'
  for (const [name, value] of Object.entries(HOP_REQUEST)) head += `${name}: ${value}\r\n`
  const out = await rawTls(port, 'h.test', pki.caPem, head + '\r\n')
  assert.ok(out.startsWith('HTTP/1.1 200'), out)
  const seen = names(jsonBody(out).rawHeaders)
  for (const name of Object.keys(HOP_REQUEST)) {
    if (name !== 'connection') assert.not.ok(seen.includes(name), `${name} must not reach the upstream`)
  }
  // The only Connection the upstream sees is the gateway's own pool keep-alive, not the client's.
  assert.is(jsonBody(out).headers.connection, 'keep-alive')
  assert.ok(seen.includes('x-kept'), 'end-to-end headers pass')
})

test('a chunked request body is re-framed, Transfer-Encoding not copied verbatim', async () => {
  const raw = 'POST /c HTTP/1.1\r\nhost: h.test\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
  const out = await rawTls(port, 'h.test', pki.caPem, raw)
  assert.ok(out.startsWith('HTTP/1.1 200'), out)
  const body = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, ''))
  assert.is(body.body_bytes, 5)
})

test('X-Forwarded-For appended, X-Forwarded-Proto and X-Forwarded-Host set', async () => {
  const r = await request({ port, host: 'h.test', path: '/x', ca: pki.caPem, headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'evil.test' } })
  const h = r.json().headers
  assert.is(h['x-forwarded-for'], '203.0.113.7, 127.0.0.1')
  assert.is(h['x-forwarded-proto'], 'https')
  assert.is(h['x-forwarded-host'], 'h.test')
  const fresh = await request({ port, host: 'h.test', path: '/x', ca: pki.caPem })
  assert.is(fresh.json().headers['x-forwarded-for'], '127.0.0.1')
})

test('Host: the target\'s by default, the client\'s with preserve_host_header', async () => {
  const r = await request({ port, host: 'h.test', path: '/x', ca: pki.caPem })
  assert.is(r.json().headers.host, `127.0.0.1:${echo.port}`)
  const k = await request({ port, host: 'keep.test', path: '/x', ca: pki.caPem })
  assert.is(k.json().headers.host, 'keep.test')
})

test('X-Request-Id: created when absent, kept when sent, same upstream and client', async () => {
  const r = await request({ port, host: 'h.test', path: '/x', ca: pki.caPem })
  const id = r.headers['x-request-id']
  assert.type(id, 'string')
  assert.ok((id as string).length >= 16)
  assert.is(r.json().headers['x-request-id'], id)
  const other = await request({ port, host: 'h.test', path: '/x', ca: pki.caPem })
  assert.is.not(other.headers['x-request-id'], id, 'ids are unique')
  const kept = await request({ port, host: 'h.test', path: '/x', ca: pki.caPem, headers: { 'x-request-id': 'client-id-42' } })
  assert.is(kept.headers['x-request-id'], 'client-id-42')
  assert.is(kept.json().headers['x-request-id'], 'client-id-42')
  // The upstream's own id never replaces the request's.
  const hop = await request({ port, host: 'hop.test', path: '/x', ca: pki.caPem, headers: { 'x-request-id': 'mine' } })
  assert.is(hop.headers['x-request-id'], 'mine')
})

test('hop-by-hop response headers and Connection-listed names are dropped', async () => {
  const r = await request({ port, host: 'hop.test', path: '/x', ca: pki.caPem })
  assert.is(r.status, 200)
  assert.is(r.body.toString(), 'ok')
  for (const name of ['x-resp-listed', 'keep-alive', 'proxy-authenticate', 'trailer', 'upgrade']) {
    assert.is(r.headers[name], undefined, `${name} must not reach the client`)
  }
  assert.is(r.headers['x-end'], 'ok')
  assert.not.ok(String(r.headers.connection ?? '').toLowerCase().includes('x-resp-listed'))
})

test('client Connection: close is honoured, not overridden by the upstream keep-alive', async () => {
  const out = await rawTls(port, 'hop.test', pki.caPem, 'GET /x HTTP/1.1\r\nhost: hop.test\r\nconnection: close\r\n\r\n')
  const head = out.slice(0, out.indexOf('\r\n\r\n')).toLowerCase()
  assert.ok(head.includes('connection: close'), head)
  assert.not.ok(head.includes('keep-alive'), head)
})

test.run()
