// Table swaps under traffic: a request in flight finishes on the table it
// started with; the next one uses the new table; upstream pools of unchanged
// targets are kept (the same upstream connection serves before and after).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import https from 'node:https'
import { createDataPlane, startHttpbin, type DataPlane, type Httpbin } from '@gatehouse/gateway'
import { makePki, makeTable, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('swap')
let pki: Pki
let echo: Echo
let bin: Httpbin
let plane: DataPlane
let port = 0
let leaf: { certPem: string, keyPem: string }
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 })

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  bin = await startHttpbin()
  leaf = pki.leaf('s', ['s.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['s.test'] }],
    apis: [
      { name: 'echo', domain: 's.test', listenPath: '/echo', targets: [echo.url] },
      { name: 'slow', domain: 's.test', listenPath: '/delay', targets: [bin.url] }
    ]
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  agent.destroy()
  await plane.drain(1000)
  await echo.close()
  await bin.close()
  pki.cleanup()
})

function get (path: string, a: https.Agent | false = agent): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path, servername: 's.test', headers: { host: 's.test' }, ca: pki.caPem, agent: a }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    }).on('error', reject)
  })
}

test('in-flight request finishes on the old table; pools of unchanged targets are kept', async () => {
  assert.is((await get('/echo/1')).status, 200)
  const firstPort = echo.seen[echo.seen.length - 1]?.remotePort
  const inflight = get('/delay/300', false)
  await new Promise((resolve) => setTimeout(resolve, 50))
  // The new table drops the `slow` API and moves `echo` to another listen path.
  plane.swap(makeTable({
    certs: [{ ...leaf, domains: ['s.test'] }],
    apis: [{ name: 'echo', domain: 's.test', listenPath: '/moved', targets: [echo.url] }]
  }))
  assert.is((await inflight).status, 200, 'the request that started on the old table completed')
  // Own connections: a 404 hands its connection to node:http, whose upstream pool is undici's.
  assert.is((await get('/delay/1', false)).status, 404, 'the removed API is gone for new requests')
  assert.is((await get('/echo/2', false)).status, 404)
  assert.is((await get('/moved/3')).status, 200)
  const lastPort = echo.seen[echo.seen.length - 1]?.remotePort
  assert.is(lastPort, firstPort, 'the same pooled upstream connection served before and after the swap')
})

test.run()
