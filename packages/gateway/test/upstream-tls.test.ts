// HTTPS upstreams: verified against `upstream.tls.ca_file`, refused (502)
// when the chain does not verify, accepted with `insecure_skip_verify`, and
// the gateway presents `cert_file`/`key_file` to an upstream that asks.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, request, type Pki } from './helpers.js'

const test = suite('upstream-tls')
let pki: Pki
let upstream: https.Server
let plane: DataPlane
let port = 0

test.before(async () => {
  pki = makePki()
  const upCert = pki.leaf('upstream', ['127.0.0.1', 'localhost'])
  const gwClient = pki.leaf('gateway-client', [], true)
  // The upstream asks for a client certificate and reports who it saw.
  upstream = https.createServer({ cert: upCert.certPem, key: upCert.keyPem, ca: pki.caPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    req.resume()
    const socket = req.socket as TLSSocket
    const peer = socket.getPeerCertificate()
    const body = JSON.stringify({ authorized: socket.authorized, cn: peer?.subject?.CN ?? null, url: req.url })
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  await new Promise<void>((resolve) => { upstream.listen(0, '127.0.0.1', resolve) })
  const target = `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  const leaf = pki.leaf('u', ['u.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['u.test'] }],
    apis: [
      { name: 'verified', domain: 'u.test', listenPath: '/verified', targets: [target], upstreamCaPem: pki.caPem },
      { name: 'wrong-ca', domain: 'u.test', listenPath: '/wrong-ca', targets: [target], upstreamCaPem: pki.otherCaPem },
      { name: 'default-roots', domain: 'u.test', listenPath: '/default-roots', targets: [target] },
      { name: 'insecure', domain: 'u.test', listenPath: '/insecure', targets: [target], insecure: true },
      { name: 'client-cert', domain: 'u.test', listenPath: '/client-cert', targets: [target], upstreamCaPem: pki.caPem, upstreamCertPem: gwClient.certPem, upstreamKeyPem: gwClient.keyPem }
    ]
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await new Promise<void>((resolve) => { upstream.close(() => { resolve() }); upstream.closeAllConnections() })
  pki.cleanup()
})

const get = (path: string) => request({ port, host: 'u.test', path, ca: pki.caPem })

test('https upstream verified with ca_file', async () => {
  const r = await get('/verified/x')
  assert.is(r.status, 200)
  assert.is(r.json().url, '/verified/x')
  assert.is(r.json().cn, null, 'no client certificate unless configured')
})

test('an upstream certificate that does not verify -> 502 (wrong CA, default roots)', async () => {
  assert.is((await get('/wrong-ca/x')).status, 502)
  assert.is((await get('/default-roots/x')).status, 502)
})

test('insecure_skip_verify accepts the unverified upstream', async () => {
  assert.is((await get('/insecure/x')).status, 200)
})

test('the gateway presents its client certificate to the upstream', async () => {
  const r = await get('/client-cert/x')
  assert.is(r.status, 200)
  assert.is(r.json().authorized, true)
  assert.is(r.json().cn, 'gateway-client')
})

test.run()
