// Upstream failures and framing attacks: refused -> 502, too slow -> 504,
// death mid-response -> the client connection is aborted (never a clean end);
// CL+TE and differing duplicate Content-Length -> 400 with nothing forwarded;
// round-robin skips a target that refuses; a reused pooled socket that the
// upstream dropped is retried once for idempotent methods only.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import http from 'node:http'
import https from 'node:https'
import net, { type AddressInfo, type Socket } from 'node:net'
import { createDataPlane, startHttpbin, type DataPlane, type Httpbin } from '@gatehouse/gateway'
import { makePki, makeTable, request, startEcho, rawTls, deadPort, type Echo, type Pki } from './helpers.js'

const test = suite('upstream-errors')
let pki: Pki
let echo: Echo
let echo2: Echo
let bin: Httpbin
let crashy: http.Server
let flaky: http.Server
let flakySeen = 0
let broken: net.Server
let plane: DataPlane
let port = 0

function listen (server: http.Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => { resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) })
  })
}

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  echo2 = await startEcho()
  bin = await startHttpbin()
  // Dies after 64 KiB of a declared 1 MiB (/length) or of a chunked body (/chunked).
  crashy = http.createServer((req, res) => {
    req.resume()
    if (req.url === '/length') res.writeHead(200, { 'content-length': 1024 * 1024 })
    else res.writeHead(200, { 'content-type': 'application/octet-stream' })
    res.write(Buffer.alloc(64 * 1024, 1), () => { setTimeout(() => { req.socket.destroy() }, 50) })
  })
  // Answers the first request of each connection and drops the connection on the second,
  // without a Connection: close: the race a keep-alive pool meets when the upstream times out.
  flaky = http.createServer((req, res) => {
    flakySeen++
    const socket = req.socket as Socket & { served?: number }
    socket.served = (socket.served ?? 0) + 1
    if (socket.served > 1) { socket.destroy(); return }
    req.resume()
    res.writeHead(200, { 'content-length': 2 })
    res.end('ok')
  })
  // Answers with heads Node cannot relay: a status below 100, or no HTTP at all.
  broken = net.createServer((socket) => {
    socket.once('data', (b: Buffer) => {
      const line = b.toString('latin1')
      socket.end(line.includes('/garbage') ? 'SSH-2.0-nope\r\n\r\n' : 'HTTP/1.1 099 Odd\r\ncontent-length: 0\r\n\r\n')
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => { broken.listen(0, '127.0.0.1', resolve) })
  const brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`
  const crashyUrl = await listen(crashy)
  const flakyUrl = await listen(flaky)
  const dead = `http://127.0.0.1:${await deadPort()}`
  const leaf = pki.leaf('e', ['e.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['e.test'] }],
    apis: [
      { name: 'dead', domain: 'e.test', listenPath: '/dead', targets: [dead] },
      { name: 'slow', domain: 'e.test', listenPath: '/delay', targets: [bin.url], timeoutMs: 300 },
      { name: 'crashy', domain: 'e.test', listenPath: '/crash', strip: true, targets: [crashyUrl] },
      { name: 'flaky', domain: 'e.test', listenPath: '/flaky', targets: [flakyUrl] },
      { name: 'rr', domain: 'e.test', listenPath: '/rr', targets: [echo.url, echo2.url] },
      { name: 'half-dead', domain: 'e.test', listenPath: '/half', targets: [dead, echo.url] },
      { name: 'least', domain: 'e.test', listenPath: '/least', targets: [`${echo.url}/A`, `${echo.url}/B`], balance: 'least_conn' },
      { name: 'broken', domain: 'e.test', listenPath: '/broken', targets: [brokenUrl] },
      { name: 'echo', domain: 'e.test', listenPath: '/', targets: [echo.url] }
    ]
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await echo.close()
  await echo2.close()
  await bin.close()
  await new Promise<void>((resolve) => { broken.close(() => { resolve() }) })
  for (const s of [crashy, flaky]) {
    await new Promise<void>((resolve) => { s.close(() => { resolve() }); s.closeAllConnections() })
  }
  pki.cleanup()
})

test('connection refused -> 502 JSON with the request id', async () => {
  const r = await request({ port, host: 'e.test', path: '/dead/x', ca: pki.caPem })
  assert.is(r.status, 502)
  assert.equal(r.json(), { error: 'upstream unreachable', request_id: r.headers['x-request-id'] })
})

test('upstream slower than its timeout -> 504 JSON, quickly', async () => {
  const t0 = Date.now()
  const r = await request({ port, host: 'e.test', path: '/delay/3000', ca: pki.caPem })
  assert.is(r.status, 504)
  assert.is(r.json().error, 'upstream timed out')
  assert.ok(Date.now() - t0 < 2000, 'answered at the timeout, not when the upstream finished')
  const ok = await request({ port, host: 'e.test', path: '/delay/10', ca: pki.caPem })
  assert.is(ok.status, 200)
})

function download (path: string): Promise<{ status: number, bytes: number, ended: boolean, error: string | null }> {
  return new Promise((resolve) => {
    let bytes = 0
    let status = 0
    const req = https.get({ host: '127.0.0.1', port, path, servername: 'e.test', headers: { host: 'e.test' }, ca: pki.caPem, agent: false }, (res) => {
      status = res.statusCode ?? 0
      res.on('data', (c: Buffer) => { bytes += c.length })
      res.on('end', () => { resolve({ status, bytes, ended: true, error: null }) })
      res.on('error', (err) => { resolve({ status, bytes, ended: false, error: err.message }) })
      res.on('aborted', () => { resolve({ status, bytes, ended: false, error: 'aborted' }) })
    })
    req.on('error', (err) => { resolve({ status, bytes, ended: false, error: err.message }) })
  })
}

test('upstream dies mid-response (Content-Length) -> client connection aborted', async () => {
  const r = await download('/crash/length')
  assert.is(r.status, 200)
  assert.is(r.ended, false, 'a truncated body must not end cleanly')
  assert.ok(r.bytes < 1024 * 1024)
})

test('upstream dies mid-response (chunked) -> client connection aborted, no final chunk', async () => {
  const r = await download('/crash/chunked')
  assert.is(r.status, 200)
  assert.is(r.ended, false, 'a truncated chunked body must not end cleanly')
})

test('CL + TE smuggling attempt: 400, nothing reaches the upstream', async () => {
  const before = echo.seen.length
  const smuggle = 'POST /x HTTP/1.1\r\nhost: e.test\r\ncontent-length: 44\r\ntransfer-encoding: chunked\r\n\r\n' +
    '0\r\n\r\nGET /smuggled HTTP/1.1\r\nhost: e.test\r\n\r\n'
  const out = await rawTls(port, 'e.test', pki.caPem, smuggle)
  assert.ok(out.startsWith('HTTP/1.1 400'), out)
  assert.ok(out.includes('"error":"bad request"'), out)
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.is(echo.seen.length, before, 'nothing forwarded')
  assert.not.ok(echo.seen.some((s) => s.url.includes('smuggled')))
})

test('differing duplicate Content-Length and odd Transfer-Encoding: 400, nothing forwarded', async () => {
  const before = echo.seen.length
  const dup = await rawTls(port, 'e.test', pki.caPem, 'POST /x HTTP/1.1\r\nhost: e.test\r\ncontent-length: 3\r\ncontent-length: 5\r\n\r\nabcde')
  assert.ok(dup.startsWith('HTTP/1.1 400'), dup)
  const te = await rawTls(port, 'e.test', pki.caPem, 'POST /x HTTP/1.1\r\nhost: e.test\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n')
  assert.ok(te.startsWith('HTTP/1.1 400') || te.startsWith('HTTP/1.1 501'), te)
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.is(echo.seen.length, before)
})

test('round-robin over targets; a refusing target is skipped', async () => {
  const a = echo.seen.length
  const b = echo2.seen.length
  for (let i = 0; i < 6; i++) assert.is((await request({ port, host: 'e.test', path: '/rr/x', ca: pki.caPem })).status, 200)
  assert.is(echo.seen.length - a, 3)
  assert.is(echo2.seen.length - b, 3)
  for (let i = 0; i < 4; i++) {
    const r = await request({ port, host: 'e.test', path: '/half/x', ca: pki.caPem })
    assert.is(r.status, 200, 'a GET that met a refused target went to the live one')
    const last = echo.seen[echo.seen.length - 1] as Echo['seen'][number]
    const at = last.rawHeaders.findIndex((h) => h.toLowerCase() === 'host')
    assert.is(last.rawHeaders[at + 1], `127.0.0.1:${echo.port}`, 'the retry carries the live target\'s Host')
  }
})

test('least_conn sends new requests to the target with fewer in flight', async () => {
  const slow = request({ port, host: 'e.test', path: '/least/slow', ca: pki.caPem })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const served: string[] = []
  for (let i = 0; i < 3; i++) served.push((await request({ port, host: 'e.test', path: '/least/x', ca: pki.caPem })).json().url)
  const s = await slow
  assert.is(s.json().url, '/A/least/slow')
  assert.equal(served, ['/B/least/x', '/B/least/x', '/B/least/x'])
})

test('a dropped pooled socket is retried once for GET, not for POST', async () => {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 })
  const go = (method: string): Promise<number> => new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path: '/flaky', servername: 'e.test', headers: { host: 'e.test' }, ca: pki.caPem, agent }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode ?? 0) })
    })
    req.on('error', reject)
    req.end()
  })
  flakySeen = 0
  assert.is(await go('GET'), 200)
  assert.is(await go('GET'), 200, 'retried on a fresh connection')
  assert.is(flakySeen, 3)
  assert.is(await go('GET'), 200)
  const post = await go('POST')
  assert.is(post, 502, 'a POST on a dropped pooled socket is not replayed')
  agent.destroy()
})

test('an upstream answering garbage or an unrelayable status: 502, and the worker keeps serving', async () => {
  const odd = await request({ port, host: 'e.test', path: '/broken/odd', ca: pki.caPem })
  assert.is(odd.status, 502)
  const garbage = await request({ port, host: 'e.test', path: '/broken/garbage', ca: pki.caPem })
  assert.is(garbage.status, 502)
  assert.is(garbage.json().error, 'upstream connection broke')
  assert.is((await request({ port, host: 'e.test', path: '/fine', ca: pki.caPem })).status, 200)
})

test.run()
