// The embedded httpbin-like upstream on its own: each endpoint answers what
// the demo, the tests and the benchmarks rely on.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import http from 'node:http'
import { createHash } from 'node:crypto'
import { WebSocket } from 'ws'
import { startHttpbin, type Httpbin } from '@gatehouse/gateway'

const test = suite('httpbin')
let bin: Httpbin

test.before(async () => { bin = await startHttpbin() })
test.after(async () => { await bin.close() })

function call (path: string, method = 'GET', body?: string): Promise<{ status: number, headers: http.IncomingHttpHeaders, body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${bin.url}${path}`, { method }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

test('/get, /headers, /ip and /anything echo the request', async () => {
  const get = JSON.parse((await call('/get?a=1')).body.toString())
  assert.equal(get.args, { a: '1' })
  assert.is(get.method, 'GET')
  assert.ok(JSON.parse((await call('/headers')).body.toString()).headers.host.startsWith('127.0.0.1'))
  assert.is(JSON.parse((await call('/ip')).body.toString()).origin, '127.0.0.1')
  const any = JSON.parse((await call('/anything/x', 'PUT', 'hello')).body.toString())
  assert.is(any.method, 'PUT')
  assert.is(any.path, '/anything/x')
  assert.is(any.data, 'hello')
  assert.is(any.body_sha256, createHash('sha256').update('hello').digest('hex'))
})

test('/status/:code and /delay/:ms', async () => {
  assert.is((await call('/status/418')).status, 418)
  assert.is((await call('/status/abc')).status, 400)
  const t0 = Date.now()
  assert.is((await call('/delay/150')).status, 200)
  assert.ok(Date.now() - t0 >= 140)
})

test('/bytes/:n is deterministic per seed and announces its sha256', async () => {
  const a = await call('/bytes/200000?seed=s1')
  assert.is(a.body.length, 200000)
  assert.is(createHash('sha256').update(a.body).digest('hex'), a.headers['x-content-sha256'])
  const b = await call('/bytes/200000?seed=s1')
  assert.ok(a.body.equals(b.body))
  const c = await call('/bytes/200000?seed=s2')
  assert.not.ok(a.body.equals(c.body))
})

test('/stream/:n sends n JSON lines; /drip sends numbytes over time', async () => {
  const lines = (await call('/stream/3')).body.toString().trim().split('\n').map((l) => JSON.parse(l))
  assert.equal(lines.map((l) => l.id), [0, 1, 2])
  const t0 = Date.now()
  const drip = await call('/drip?numbytes=5&duration=0.3')
  assert.is(drip.body.toString(), '*****')
  assert.ok(Date.now() - t0 >= 200)
})

test('/ws echoes WebSocket messages', async () => {
  const ws = new WebSocket(`${bin.url.replace('http', 'ws')}/ws`)
  await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const got = new Promise<string>((resolve) => { ws.once('message', (d) => { resolve(String(d)) }) })
  ws.send('ping')
  assert.is(await got, 'ping')
  ws.close()
})

test.run()
