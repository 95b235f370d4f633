// Per-API client certificates: with `tls.client_ca_file` the listener asks
// for a certificate but lets the handshake through; an API with
// `auth: {type: mtls}` answers 401 JSON unless the certificate verified.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, request, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('mtls')
let pki: Pki
let echo: Echo
let plane: DataPlane
let port = 0
let client: { certPem: string, keyPem: string }
let stranger: { certPem: string, keyPem: string }

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  const leaf = pki.leaf('server', ['secure.test', 'open.test'])
  client = pki.leaf('client-1', [], true)
  stranger = pki.leaf('stranger', [], true, 'other')
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['secure.test', 'open.test'] }],
    clientCaPem: pki.caPem,
    apis: [
      { name: 'secure', domain: 'secure.test', targets: [echo.url], mtls: true },
      { name: 'open', domain: 'open.test', targets: [echo.url] }
    ]
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await echo.close()
  pki.cleanup()
})

test('mTLS API without a client certificate: 401 JSON, nothing forwarded', async () => {
  const before = echo.seen.length
  const r = await request({ port, host: 'secure.test', path: '/x', ca: pki.caPem })
  assert.is(r.status, 401)
  assert.is(r.json().error, 'a verified client certificate is required')
  assert.is(r.json().request_id, r.headers['x-request-id'])
  assert.is(echo.seen.length, before)
})

test('mTLS API with a certificate from another CA: 401', async () => {
  const r = await request({ port, host: 'secure.test', path: '/x', ca: pki.caPem, cert: stranger.certPem, key: stranger.keyPem })
  assert.is(r.status, 401)
})

test('mTLS API with a verified client certificate: proxied', async () => {
  const r = await request({ port, host: 'secure.test', path: '/x', ca: pki.caPem, cert: client.certPem, key: client.keyPem })
  assert.is(r.status, 200)
  assert.is(r.json().url, '/x')
})

test('an API without mtls serves clients without a certificate on the same listener', async () => {
  const r = await request({ port, host: 'open.test', path: '/y', ca: pki.caPem })
  assert.is(r.status, 200)
})

test.run()
