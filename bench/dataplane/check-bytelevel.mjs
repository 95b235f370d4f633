#!/usr/bin/env node
// Sanity checks for the byte-level prototype (proxy-bytelevel.mjs), run by
// run.mjs before it measures that design (and runnable alone): so the figure
// in bench/RESULTS.md is for a proxy that forwards correctly, not for one that
// is fast because it drops work. Its own in-process upstream (so it can hash
// uploads and count what arrived), the proxy as a child process, real TLS on
// 127.0.0.1. Exits 1 on the first failed assertion.
//
//   node bench/dataplane/check-bytelevel.mjs
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import { spawn, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'

const here = fileURLToPath(new URL('.', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bytelevel-'))
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=bench.test',
  '-addext', 'subjectAltName=DNS:bench.test'], { stdio: 'ignore' })
const ca = readFileSync(join(dir, 'cert.pem'))
const TEN = 10 * 1024 * 1024
const big = Buffer.alloc(TEN, 120)
const sha = (b) => createHash('sha256').update(b).digest('hex')
const small = Buffer.from('{"ok":true,"service":"bench-upstream"}\n')

// ---- upstream ----
let upRequests = 0
let upConnections = 0
let lastHeaders = null
let flooded = 0
const upstream = http.createServer((req, res) => {
  upRequests++
  lastHeaders = req.rawHeaders
  const url = req.url ?? '/'
  if (url === '/sha256') {
    const h = createHash('sha256'); let n = 0
    req.on('data', (b) => { h.update(b); n += b.length })
    req.on('end', () => { const body = JSON.stringify({ sha: h.digest('hex'), n }); res.writeHead(200, { 'content-length': Buffer.byteLength(body) }); res.end(body) })
    return
  }
  req.resume()
  if (url === '/10m') { res.writeHead(200, { 'content-length': TEN }); res.end(req.method === 'HEAD' ? undefined : big); return }
  if (url === '/chunked') { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('hello, '); setTimeout(() => res.end('chunked world'), 10); return }
  if (url === '/204') { res.writeHead(204); res.end(); return }
  if (url === '/hop') { res.writeHead(200, { connection: 'keep-alive, x-up', 'x-up': '1', 'x-end': '2', 'content-length': 2 }); res.end('ok'); return }
  if (url === '/die') { res.writeHead(200, { 'content-length': 1000 }); res.write('0123456789'); setTimeout(() => res.socket?.destroy(), 20); return }
  if (url === '/flood') { // up to 64 MiB in 64 KiB writes, honouring the proxy's backpressure
    const chunk = Buffer.alloc(65536, 122)
    res.writeHead(200, { 'content-length': 64 * 1024 * 1024 })
    const pump = () => { while (flooded < 64 * 1024 * 1024) { flooded += chunk.length; if (!res.write(chunk)) { res.once('drain', pump); return } } res.end() }
    res.on('close', () => { flooded = -flooded })
    pump(); return
  }
  if (url.startsWith('/path')) { const b = Buffer.from(url); res.writeHead(200, { 'content-length': b.length }); res.end(b); return }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': small.length }); res.end(small)
})
upstream.on('connection', () => { upConnections++ })
upstream.keepAliveTimeout = 65_000
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve))
const upPort = upstream.address().port

const children = []
function startProxy (targetPort) {
  const child = spawn(process.execPath, [join(here, 'proxy-bytelevel.mjs'), '0', String(targetPort), join(dir, 'cert.pem'), join(dir, 'key.pem')],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  children.push(child)
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.port))
    child.once('exit', (code) => reject(new Error(`proxy exited ${code}`)))
  })
}
const port = await startProxy(upPort)

const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca, servername: 'bench.test' })
function request (path, { method = 'GET', headers = {}, body = null, agent: ag = agent, p = port } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: p, path, method, headers, agent: ag, ca, servername: 'bench.test' }, (res) => {
      const h = createHash('sha256'); const parts = []; let n = 0
      res.on('data', (b) => { h.update(b); n += b.length; if (n <= 65536) parts.push(b) })
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, n, sha: h.digest('hex'), body: Buffer.concat(parts).toString('latin1') }))
      res.on('aborted', () => reject(new Error('aborted')))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (body !== null) req.end(body); else req.end()
  })
}
// Raw bytes over one TLS connection; resolves with everything read until the server closes or `ms` passes.
function raw (bytes, ms = 500) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'bench.test' }, () => s.write(bytes))
    const parts = []
    const t = setTimeout(() => s.destroy(), ms)
    s.on('data', (b) => parts.push(b))
    s.on('close', () => { clearTimeout(t); resolve(Buffer.concat(parts).toString('latin1')) })
    s.on('error', reject)
  })
}
const checks = []
const check = (name, fn) => checks.push([name, fn])

check('50 sequential keep-alive GETs: 200, exact body, one client and one upstream connection', async () => {
  const c0 = upConnections
  let clientSockets = 0
  const ka = new https.Agent({ keepAlive: true, maxSockets: 1, ca, servername: 'bench.test' })
  const orig = ka.createConnection.bind(ka)
  ka.createConnection = (...a) => { clientSockets++; return orig(...a) }
  for (let i = 0; i < 50; i++) {
    const r = await request('/', { agent: ka })
    assert.equal(r.status, 200)
    assert.equal(r.body, small.toString('latin1'))
    assert.ok(/^[\w-]+$/.test(String(r.headers['x-request-id'])), 'x-request-id returned')
  }
  ka.destroy()
  assert.equal(clientSockets, 1, 'client connection reused')
  assert.equal(upConnections - c0, 1, 'upstream socket pooled and reused')
})
check('10 MiB download: length and sha256', async () => {
  const r = await request('/10m')
  assert.equal(r.status, 200); assert.equal(r.n, TEN); assert.equal(r.sha, sha(big))
})
check('10 MiB upload with Content-Length: upstream hashes the same bytes', async () => {
  const up = Buffer.alloc(TEN); for (let i = 0; i < TEN; i++) up[i] = (i * 31) & 255
  const r = await request('/sha256', { method: 'POST', headers: { 'content-length': TEN }, body: up })
  assert.equal(r.status, 200); assert.deepEqual(JSON.parse(r.body), { sha: sha(up), n: TEN })
})
check('chunked upload forwarded and framed', async () => {
  const r = await new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/sha256', method: 'POST', agent, ca, servername: 'bench.test' }, (res) => {
      let s = ''; res.on('data', (b) => { s += b }); res.on('end', () => resolve(JSON.parse(s)))
    })
    req.on('error', reject)
    req.write('abc'); setTimeout(() => { req.write(Buffer.alloc(70000, 97)); req.end('xyz') }, 20)
  })
  const expect = Buffer.concat([Buffer.from('abc'), Buffer.alloc(70000, 97), Buffer.from('xyz')])
  assert.deepEqual(r, { sha: sha(expect), n: expect.length })
})
check('CL+TE is 400 and nothing reaches the upstream', async () => {
  const n0 = upRequests
  const out = await raw('POST /sha256 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /path/smuggled HTTP/1.1\r\nHost: a\r\n\r\n')
  assert.match(out, /^HTTP\/1\.1 400 /); assert.equal((out.match(/HTTP\/1\.1 /g) ?? []).length, 1)
  assert.equal(upRequests, n0)
})
check('differing duplicate Content-Length, bad CL, TE gzip, obs-fold, space before colon, NUL, bare LF, no Host, bad chunk size: 400', async () => {
  const n0 = upRequests
  for (const bad of [
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n',
    'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\x00\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\nX-B: 2\r\n\r\n',
    'GET / HTTP/1.1\r\n\r\n'
  ]) assert.match(await raw(bad), /^HTTP\/1\.1 400 /, bad)
  assert.equal(upRequests, n0)
  const mid = await raw('POST /sha256 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n')
  assert.match(mid, /^HTTP\/1\.1 400 /, 'bad chunk size before any response')
})
check('pipelined requests answered in order on one connection', async () => {
  const out = await raw('GET /path/one HTTP/1.1\r\nHost: a\r\n\r\nGET /10m HTTP/1.1\r\nHost: a\r\n\r\nGET /path/three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 3000)
  const bodies = [...out.matchAll(/\/path\/(?:one|three)/g)].map((m) => m[0])
  assert.deepEqual(bodies, ['/path/one', '/path/three'])
  assert.equal((out.match(/HTTP\/1\.1 200 /g) ?? []).length, 3)
  assert.ok(out.length > TEN, 'the 10 MiB middle response is complete')
})
check('hop-by-hop dropped both ways, X-Forwarded-* and X-Request-Id set', async () => {
  const r = await request('/hop', { headers: { connection: 'keep-alive, x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', te: 'trailers', 'x-forwarded-for': '10.0.0.1', 'x-request-id': 'given-id', 'x-keep': 'yes' } })
  const h = {}; for (let i = 0; i < lastHeaders.length; i += 2) h[lastHeaders[i].toLowerCase()] = lastHeaders[i + 1]
  assert.equal(h['x-secret'], undefined); assert.equal(h['keep-alive'], undefined); assert.equal(h.te, undefined)
  assert.equal(h['x-keep'], 'yes'); assert.equal(h['x-forwarded-for'], '10.0.0.1, 127.0.0.1')
  assert.equal(h['x-forwarded-proto'], 'https'); assert.equal(h['x-forwarded-host'], `127.0.0.1:${port}`)
  assert.equal(h['x-request-id'], 'given-id'); assert.equal(h.host, `127.0.0.1:${upPort}`)
  assert.equal(r.headers['x-up'], undefined); assert.equal(r.headers['x-end'], '2'); assert.equal(r.headers['x-request-id'], 'given-id')
})
check('HEAD with Content-Length, 204 and a chunked response keep the connection usable', async () => {
  const h = await request('/10m', { method: 'HEAD' })
  assert.equal(h.status, 200); assert.equal(h.headers['content-length'], String(TEN)); assert.equal(h.n, 0)
  assert.equal((await request('/204')).status, 204)
  const c = await request('/chunked')
  assert.equal(c.body, 'hello, chunked world'); assert.equal(c.headers['transfer-encoding'], 'chunked')
  assert.equal((await request('/')).body, small.toString('latin1'))
})
check('a client that stops reading stops the upstream (backpressure, no buffering of the body)', async () => {
  flooded = 0
  await new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/flood', agent: false, ca, servername: 'bench.test' }, (res) => {
      res.pause()
      setTimeout(() => { res.destroy(); resolve() }, 800)
    })
    req.on('error', () => {})
    setTimeout(() => reject(new Error('no response head')), 5000).unref()
  })
  const sent = Math.abs(flooded)
  assert.ok(sent > 0 && sent < 32 * 1024 * 1024, `upstream wrote ${sent} bytes to a proxy whose client read nothing`)
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.ok(flooded <= 0, 'upstream response closed after the client went away')
})
check('upstream dying mid-body aborts the client (no truncated body as complete)', async () => {
  await assert.rejects(request('/die', { agent: false }))
})
check('unreachable upstream: 502 JSON with the request id', async () => {
  const closed = http.createServer()
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const deadPort = closed.address().port
  await new Promise((resolve) => closed.close(resolve))
  const p = await startProxy(deadPort)
  const r = await request('/', { agent: false, p })
  assert.equal(r.status, 502); assert.equal(JSON.parse(r.body).error.request_id, r.headers['x-request-id'])
})

let failed = 0
for (const [name, fn] of checks) {
  try { await fn(); process.stderr.write(`ok   ${name}\n`) } catch (err) { failed++; process.stderr.write(`FAIL ${name}: ${err.message}\n`) }
}
agent.destroy()
for (const c of children) c.kill('SIGKILL')
upstream.closeAllConnections(); upstream.close()
rmSync(dir, { recursive: true, force: true })
process.stderr.write(`bytelevel checks: ${checks.length - failed} passed, ${failed} failed\n`)
process.exit(failed === 0 ? 0 : 1)
