// The byte-level fast path and its hand-off to node:http: which requests it
// serves itself (fastStats.requests), which connections it gives to node:http
// (fastStats.handoffs), and that both produce the same answers: pipelining,
// heads split across reads, chunked and close-delimited upstream bodies,
// upstream keep-alive reuse, a WebSocket upgrade after fast requests on the
// same connection, and bodies in both directions.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import net from 'node:net'
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { createHash, randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { WebSocket, type ClientOptions } from 'ws'
import { createDataPlane, startHttpbin, type DataPlane, type Httpbin } from '@gatehouse/gateway'
import { makePki, makeTable, request, startEcho, rawTls, type Echo, type Pki } from './helpers.js'

const test = suite('fastpath')
let pki: Pki
let echo: Echo
let odd: http.Server
let bin: Httpbin
let plane: DataPlane
let port = 0
const oddSockets = new Set<string>()
// Random bytes: a byte taken from the wrong read cannot match by chance.
const DRIBBLE = randomBytes(16 * 1024 * 1024)

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  // Answers in the framings node:http's own server rarely picks.
  odd = http.createServer((req, res) => {
    oddSockets.add(`${req.socket.remotePort ?? 0}`)
    if (req.url === '/sha') {
      // Reads the body slowly (a 300 ms stall, then short ones): the gateway
      // holds request body bytes in its write queue meanwhile.
      const h = createHash('sha256')
      let chunks = 0
      req.pause()
      setTimeout(() => req.resume(), 300)
      req.on('data', (d: Buffer) => {
        h.update(d)
        if (++chunks % 64 === 0) { req.pause(); setTimeout(() => req.resume(), 5) }
      })
      req.on('end', () => {
        const hex = h.digest('hex')
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(hex.length) })
        res.end(hex)
      })
      return
    }
    req.resume()
    req.on('end', () => {
      if (req.url === '/close-delimited') {
        // No length, no chunking: the body ends when the upstream closes.
        req.socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil-close-body')
        return
      }
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('one,')
        setTimeout(() => { res.end('two') }, 20)
        return
      }
      if (req.url === '/dribble' || req.url === '/dribble-chunked') {
        // Small writes, one per turn of the loop: the gateway reads many small
        // pieces, and with a slow client some arrive while earlier ones still
        // wait to be written.
        res.socket?.setNoDelay(true)
        res.writeHead(200, req.url === '/dribble' ? { 'content-length': String(DRIBBLE.length) } : {})
        let off = 0
        const next = (): void => {
          if (off >= DRIBBLE.length) { res.end(); return }
          const n = Math.min(3000, DRIBBLE.length - off)
          const more = res.write(DRIBBLE.subarray(off, off + n))
          off += n
          if (more) setImmediate(next)
          else res.once('drain', next)
        }
        next()
        return
      }
      if (req.url === '/echo-path') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(req.url)) })
        res.end(req.url)
        return
      }
      if (req.url === '/head') {
        res.writeHead(200, { 'content-length': '1234' })
        res.end()
        return
      }
      res.writeHead(204)
      res.end()
    })
  })
  await new Promise<void>((resolve) => { odd.listen(0, '127.0.0.1', resolve) })
  bin = await startHttpbin({ port: 0 })
  const leaf = pki.leaf('f', ['f.test', 'odd.test', 'bin.test'])
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['f.test', 'odd.test', 'bin.test'] }],
    apis: [
      { name: 'f', domain: 'f.test', targets: [echo.url] },
      { name: 'odd', domain: 'odd.test', targets: [`http://127.0.0.1:${(odd.address() as AddressInfo).port}`] },
      { name: 'bin', domain: 'bin.test', targets: [bin.url] }
    ]
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await echo.close()
  await bin.close()
  await new Promise<void>((resolve) => { odd.close(() => { resolve() }); odd.closeAllConnections() })
  pki.cleanup()
})

/** Splits raw HTTP/1.1 responses read off one connection; `heads` = indexes of answers to HEAD requests. */
function responses (raw: string, heads: number[] = []): Array<{ status: number, head: string, body: string }> {
  const out: Array<{ status: number, head: string, body: string }> = []
  let rest = raw
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) break
    const head = rest.slice(0, end)
    rest = rest.slice(end + 4)
    const cl = /\r\ncontent-length: (\d+)/i.exec(head)
    let body = ''
    if (/\r\ntransfer-encoding: chunked/i.test(head)) {
      for (;;) {
        const lineEnd = rest.indexOf('\r\n')
        const size = parseInt(rest.slice(0, lineEnd), 16)
        rest = rest.slice(lineEnd + 2)
        if (size === 0) { rest = rest.slice(rest.indexOf('\r\n') + 2); break }
        body += rest.slice(0, size)
        rest = rest.slice(size + 2)
      }
    } else if (cl !== null && !/^HTTP\/1\.1 (204|304)/.test(head) && !heads.includes(out.length)) {
      body = rest.slice(0, Number(cl[1]))
      rest = rest.slice(Number(cl[1]))
    }
    out.push({ status: Number(head.slice(9, 12)), head, body })
  }
  return out
}

test('ordinary requests are served by the fast path, pipelined ones in order', async () => {
  const before = plane.fastStats.requests
  const raw = await rawTls(port, 'f.test', pki.caPem,
    'GET /a HTTP/1.1\r\nhost: f.test\r\n\r\nGET /b HTTP/1.1\r\nhost: f.test\r\n\r\nGET /c HTTP/1.1\r\nhost: f.test\r\nconnection: close\r\n\r\n')
  const rs = responses(raw)
  assert.equal(rs.map((r) => r.status), [200, 200, 200])
  assert.equal(rs.map((r) => JSON.parse(r.body).url), ['/a', '/b', '/c'])
  assert.match(rs[0]?.head ?? '', /\r\nconnection: keep-alive/i)
  assert.match(rs[2]?.head ?? '', /\r\nconnection: close/i)
  assert.is(plane.fastStats.requests - before, 3)
})

test('a head split across two reads goes to node:http and is answered the same', async () => {
  const handoffs = plane.fastStats.handoffs
  const out = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'f.test', ca: pki.caPem }, () => {
      s.write('GET /split HTTP/1.1\r\nhost: f.')
      setTimeout(() => { s.write('test\r\nconnection: close\r\n\r\n') }, 50)
    })
    let data = ''
    s.on('data', (b: Buffer) => { data += b.toString('latin1') })
    s.on('close', () => { resolve(data) })
    s.on('error', reject)
  })
  const [r] = responses(out)
  assert.is(r?.status, 200)
  assert.is(JSON.parse(r?.body ?? '{}').url, '/split')
  assert.is(plane.fastStats.handoffs - handoffs, 1)
})

test('a chunked request body after fast requests hands the connection over mid-way', async () => {
  const before = plane.fastStats.requests
  const handoffs = plane.fastStats.handoffs
  const raw = await rawTls(port, 'f.test', pki.caPem,
    'GET /first HTTP/1.1\r\nhost: f.test\r\n\r\n' +
    'POST /second HTTP/1.1\r\nhost: f.test\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' +
    'GET /third HTTP/1.1\r\nhost: f.test\r\nconnection: close\r\n\r\n')
  const rs = responses(raw)
  assert.equal(rs.map((r) => r.status), [200, 200, 200])
  assert.is(JSON.parse(rs[1]?.body ?? '{}').body_bytes, 5)
  assert.is(JSON.parse(rs[2]?.body ?? '{}').url, '/third')
  assert.is(plane.fastStats.requests - before, 1)
  assert.is(plane.fastStats.handoffs - handoffs, 1)
})

test('a Content-Length body streams through, and the upstream connection is reused', async () => {
  const before = plane.fastStats.requests
  const body = randomBytes(3 * 1024 * 1024)
  const r = await request({ port, host: 'f.test', path: '/up', method: 'POST', body, ca: pki.caPem, headers: { 'content-type': 'application/octet-stream' } })
  assert.is(r.status, 200)
  assert.is(r.json().body_bytes, body.length)
  const ports = new Set<number>()
  const start = echo.seen.length
  for (let i = 0; i < 5; i++) {
    const x = await request({ port, host: 'f.test', path: `/seq${i}`, ca: pki.caPem })
    assert.is(x.status, 200)
  }
  for (const s of echo.seen.slice(start)) ports.add(s.remotePort)
  assert.is(ports.size, 1, 'sequential requests share one pooled upstream connection')
  assert.is(plane.fastStats.requests - before, 6, 'the upload and the five GETs took the fast path')
})

test('close-delimited and chunked upstream bodies reach the client chunked, the connection lives on', async () => {
  const raw = await rawTls(port, 'odd.test', pki.caPem,
    'GET /close-delimited HTTP/1.1\r\nhost: odd.test\r\n\r\n' +
    'GET /chunked HTTP/1.1\r\nhost: odd.test\r\n\r\n' +
    'HEAD /head HTTP/1.1\r\nhost: odd.test\r\n\r\n' +
    'DELETE /nothing HTTP/1.1\r\nhost: odd.test\r\nconnection: close\r\n\r\n')
  const rs = responses(raw, [2])
  assert.equal(rs.map((r) => r.status), [200, 200, 200, 204])
  assert.is(rs[0]?.body, 'until-close-body')
  assert.match(rs[0]?.head ?? '', /transfer-encoding: chunked/i)
  assert.is(rs[1]?.body, 'one,two')
  assert.match(rs[2]?.head ?? '', /content-length: 1234/i)
  assert.is(rs[2]?.body, '')
})

test('upstream reads share one buffer: a slow client gets every byte of a body sent in small writes', async () => {
  // 16 MiB and a 300 ms stall: more than the loopback buffers hold, so some
  // TLS writes wait for the client while the next small upstream reads arrive
  // (without the copy in borrowable() this body comes out corrupted).
  const want = createHash('sha256').update(DRIBBLE).digest('hex')
  for (const path of ['/dribble', '/dribble-chunked']) {
    const got = await new Promise<string>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, path, servername: 'odd.test', headers: { host: 'odd.test' }, ca: pki.caPem, agent: false }, (res) => {
        const h = createHash('sha256')
        let chunks = 0
        res.on('data', (d: Buffer) => {
          h.update(d)
          if (++chunks === 1 || chunks % 64 === 0) { res.pause(); setTimeout(() => res.resume(), chunks === 1 ? 300 : 10) }
        })
        res.on('end', () => resolve(h.digest('hex')))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.setTimeout(30_000, () => req.destroy(new Error(`${path} timed out`)))
    })
    assert.is(got, want, `${path}: body intact`)
  }
})

test('client reads share memory: bodies reach the upstream intact (body slabs reused only once released) and a pipelined head survives other connections\' reads', async () => {
  // Other connections read into the same scratch buffer meanwhile: without the
  // copies in client-read.ts `owned`, queued body bytes and the buffered head
  // are overwritten.
  const readsInto = plane.fastStats.readsInto
  const slabsReused = plane.fastStats.slabsReused
  let chatter = true
  const chat = (async () => {
    let n = 0
    while (chatter && n++ < 2000) {
      const r = await request({ port, host: 'f.test', path: `/chatter-${'x'.repeat(n % 700)}`, method: 'POST', body: randomBytes(3000), ca: pki.caPem })
      assert.is(r.status, 200)
    }
  })()
  try {
    // A small body with the next request in the same TLS record, to an upstream that reads it 300 ms later.
    const small = randomBytes(1000)
    const raw = await rawTls(port, 'odd.test', pki.caPem, Buffer.concat([
      Buffer.from(`POST /sha HTTP/1.1\r\nhost: odd.test\r\ncontent-length: ${small.length}\r\n\r\n`), small,
      Buffer.from('GET /echo-path HTTP/1.1\r\nhost: odd.test\r\nconnection: close\r\n\r\n')]), 5000)
    const rs = responses(raw)
    assert.equal(rs.map((r) => r.status), [200, 200])
    assert.is(rs[0]?.body, createHash('sha256').update(small).digest('hex'), 'small body intact')
    assert.is(rs[1]?.body, '/echo-path', 'pipelined request intact')
    // Large bodies, several at once, each starting in the record of its head.
    const bodies = [0, 1, 2, 3].map((i) => DRIBBLE.subarray(i * 3 * 1024 * 1024, (i + 1) * 3 * 1024 * 1024 - i * 777))
    const got = await Promise.all(bodies.map((body) => request({ port, host: 'odd.test', path: '/sha', method: 'POST', body, ca: pki.caPem })))
    assert.equal(got.map((r) => r.status), [200, 200, 200, 200])
    assert.equal(got.map((r) => r.body.toString()), bodies.map((b) => createHash('sha256').update(b).digest('hex')), 'large bodies intact')
    // On this Node the connections did read into supplied memory (not the 'data' fallback, which would pass the rest anyway).
    assert.ok(plane.fastStats.readsInto - readsInto >= 5, `${plane.fastStats.readsInto - readsInto} connections read into supplied memory`)
    // Body slabs were written again while the slow upstream still had queued writes of
    // other regions: without the holds counted in client-read.ts the bodies above break.
    assert.ok(plane.fastStats.slabsReused - slabsReused > 0, `${plane.fastStats.slabsReused - slabsReused} body slabs reused`)
  } finally {
    chatter = false
    await chat
  }
})

test('a body sent in 1-byte TLS records does not pin 16 KiB per record while the upstream is not writable', async () => {
  // An upstream that never accepts: a stopped process whose one-slot backlog
  // is full, so the gateway's connect stays pending and the body queues.
  const child = spawn(process.execPath, ['-e', "require('node:net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, function () { process.stdout.write(String(this.address().port) + '\\n') })"], { stdio: ['ignore', 'pipe', 'inherit'] })
  const bport = await new Promise<number>((resolve) => { child.stdout.once('data', (b: Buffer) => { resolve(Number(b.toString().trim())) }) })
  process.kill(child.pid as number, 'SIGSTOP')
  const fill: net.Socket[] = []
  for (let i = 0; i < 4; i++) fill.push(net.connect({ host: '127.0.0.1', port: bport }).on('error', () => {}))
  const leaf = pki.leaf('s', ['s.test'])
  const stalled = createDataPlane(makeTable({ certs: [{ ...leaf, domains: ['s.test'] }], apis: [{ name: 's', domain: 's.test', targets: [`http://127.0.0.1:${bport}`], timeoutMs: 20_000 }] }))
  const sport = (await stalled.listen()).https.port
  const s = await new Promise<tls.TLSSocket>((resolve, reject) => { const c = tls.connect({ host: '127.0.0.1', port: sport, servername: 's.test', ca: pki.caPem }, () => { resolve(c) }); c.on('error', reject) })
  s.on('error', () => {})
  try {
    const RECORDS = 4096
    await new Promise<void>((resolve) => s.write(`POST /x HTTP/1.1\r\nhost: s.test\r\ncontent-length: ${RECORDS + 1}\r\n\r\n`, () => { resolve() }))
    await sleep(100)
    const before = process.memoryUsage().arrayBuffers
    const one = Buffer.from('a')
    // One write at a time: each becomes its own TLS record.
    for (let i = 0; i < RECORDS; i++) await new Promise<void>((resolve) => s.write(one, () => { resolve() }))
    await sleep(200)
    const grown = process.memoryUsage().arrayBuffers - before
    // 4 KiB of body: a 16 KiB region held per record would be 64 MiB.
    assert.ok(grown < 16 * 1024 * 1024, `ArrayBuffer memory grew ${(grown / 1048576).toFixed(1)} MiB for 4 KiB of body`)
  } finally {
    s.destroy()
    await stalled.drain(500)
    for (const f of fill) f.destroy()
    child.kill('SIGKILL')
  }
})

test('a WebSocket upgrade after a fast request on the same connection is tunnelled', async () => {
  // ws opens its own connection; send a fast request first on a raw socket, then the upgrade.
  const key = randomBytes(16).toString('base64')
  const raw = await rawTls(port, 'bin.test', pki.caPem,
    'GET /get HTTP/1.1\r\nhost: bin.test\r\n\r\n' +
    `GET /ws HTTP/1.1\r\nhost: bin.test\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`, 1000)
  assert.match(raw, /^HTTP\/1\.1 200/)
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
  assert.match(raw, /HTTP\/1\.1 101 /)
  assert.ok(raw.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`), raw)
  // And a whole WebSocket exchange through the gateway still echoes.
  const wsOptions: ClientOptions & { servername: string } = { headers: { host: 'bin.test' }, servername: 'bin.test', ca: pki.caPem }
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, wsOptions)
  const echoed = await new Promise<string>((resolve, reject) => {
    ws.on('open', () => { ws.send('ping-through') })
    ws.on('message', (m: Buffer) => { resolve(m.toString()) })
    ws.on('error', reject)
  })
  ws.close()
  assert.is(echoed, 'ping-through')
})

/** A TCP port whose connects never complete: a stopped process listening with a full backlog. */
async function blackhole (): Promise<{ port: number, close: () => void, fill: net.Socket[] }> {
  const child = spawn(process.execPath, ['-e', "require('node:net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, function () { process.stdout.write(String(this.address().port) + '\\n') })"], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve) => { child.stdout.once('data', (b: Buffer) => { resolve(Number(b.toString().trim())) }) })
  process.kill(child.pid as number, 'SIGSTOP')
  // The stopped process accepts nothing: these fill the kernel's queue, later SYNs go unanswered.
  const fill: net.Socket[] = []
  for (let i = 0; i < 4; i++) fill.push(net.connect({ host: '127.0.0.1', port }).on('error', () => {}))
  await new Promise((resolve) => setTimeout(resolve, 200))
  return { port, fill, close: () => { for (const s of fill) s.destroy(); child.kill('SIGKILL') } }
}

test('a target that never completes the TCP handshake is skipped after upstream.timeout, like a refused one', async () => {
  const hole = await blackhole()
  const leaf = pki.leaf('d', ['dead.test'])
  const p2 = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: ['dead.test'] }],
    apis: [{ name: 'dead', domain: 'dead.test', targets: [`http://127.0.0.1:${hole.port}`, echo.url], timeoutMs: 400 }]
  }))
  try {
    const port2 = (await p2.listen()).https.port
    // Round-robin sends one of the two to the dead target first: it must fail over, not answer 504.
    const a = await request({ port: port2, host: 'dead.test', path: '/one', ca: pki.caPem })
    const b = await request({ port: port2, host: 'dead.test', path: '/two', ca: pki.caPem })
    assert.equal([a.status, b.status], [200, 200])
    assert.ok(p2.fastStats.requests >= 2, 'served by the fast path')
  } finally {
    await p2.drain(500)
    hole.close()
  }
})

/** Runs `body` against a data plane whose one API, `<name>.test`, proxies to a raw TCP upstream that `onSocket` serves. */
async function withRawUpstream (name: string, onSocket: (s: net.Socket) => void, api: { timeoutMs?: number }, body: (port: number, plane: DataPlane) => Promise<void>): Promise<void> {
  const up = net.createServer(onSocket)
  await new Promise<void>((resolve) => { up.listen(0, '127.0.0.1', resolve) })
  const domain = `${name}.test`
  const leaf = pki.leaf(name, [domain])
  const p2 = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: [domain] }],
    apis: [{ name, domain, targets: [`http://127.0.0.1:${(up.address() as AddressInfo).port}`], ...api }]
  }))
  try {
    await body((await p2.listen()).https.port, p2)
  } finally {
    await p2.drain(500)
    await new Promise<void>((resolve) => { up.close(() => { resolve() }) })
  }
}

// A raw upstream's bodiless request heads: each recorded in `heads`, then answered.
function eachHead (s: net.Socket, heads: string[], answer: (head: string) => void): void {
  let got = ''
  s.on('data', (d: Buffer) => {
    got += d.toString('latin1')
    const end = got.indexOf('\r\n\r\n')
    if (end === -1) return
    const head = got.slice(0, end + 2)
    got = ''
    heads.push(head)
    answer(head)
  })
}

test('end-to-end fields are relayed as sent and in order, hop-by-hop ones dropped wherever they stand', async () => {
  // A raw upstream: records each request head, answers with fields whose
  // hop-by-hop lines sit between, before and after the end-to-end ones.
  const heads: string[] = []
  await withRawUpstream('relay', (s) => {
    eachHead(s, heads, (head) => {
      const lastDropped = head.startsWith('GET /last-dropped')
      s.write('HTTP/1.1 200 OK\r\nX-One: a\r\nConnection: keep-alive\r\nX-Two:b\r\nX-Three:  c  \r\nContent-Length: 2\r\nProxy-Foo: p\r\n' +
        (lastDropped ? 'X-Four: d\r\nKeep-Alive: timeout=5\r\n\r\nok' : 'Keep-Alive: timeout=5\r\nX-Four: d\r\n\r\nok'))
    })
  }, {}, async (port2, p2) => {
    for (const path of ['/last-kept', '/last-dropped']) {
      const out = await rawTls(port2, 'relay.test', pki.caPem,
        `GET ${path} HTTP/1.1\r\nX-A: 1\r\nhost: relay.test\r\nX-B:2\r\nKeep-Alive: 5\r\nX-C:  spaced  \r\nTE: trailers\r\nProxy-Authorization: x\r\nX-D: last\r\nconnection: close\r\n\r\n`)
      const head = out.slice(0, out.indexOf('\r\n\r\n') + 2)
      assert.ok(head.startsWith('HTTP/1.1 200 OK\r\nX-One: a\r\nX-Two:b\r\nX-Three:  c  \r\n'), head)
      assert.ok(head.includes('\r\nX-Four: d\r\n'), head)
      assert.not.match(head, /proxy-foo|keep-alive|timeout=5/i)
      assert.is(head.match(/content-length/gi)?.length, 1, head)
      assert.ok(out.endsWith('\r\n\r\nok'), out)
      const sent = heads.at(-1) as string
      assert.ok(sent.includes('\r\nX-A: 1\r\nX-B:2\r\nX-C:  spaced  \r\nX-D: last\r\n'), sent)
      assert.not.match(sent, /\r\n(te|proxy-authorization|keep-alive):/i)
    }
    assert.is(p2.fastStats.requests, 2, 'both took the fast path')
  })
})

test('field names are matched in any case, and the status line is relayed as sent or rebuilt as HTTP/1.1', async () => {
  // Each path gets its own answer; every name the parsers act on is sent in an odd case.
  const answers: Record<string, string> = {
    '/v11': 'HTTP/1.1 201 Made It\xe9\r\nX-Kept: 1\r\nCONTENT-LENGTH: 2\r\nDATE: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-REQUEST-ID: upstream-id\r\nPROXY-Thing: p\r\nKeep-ALIVE: timeout=5\r\n\r\nok',
    '/v10': 'HTTP/1.0 200 Fine Then\r\nContent-Length: 2\r\n\r\nok',
    '/bare': 'HTTP/1.1 200\r\ncontent-length: 2\r\nCONNECTION: close\r\n\r\nok',
    '/chunked': 'HTTP/1.1 200 OK\r\nTRANSFER-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'
  }
  const heads: string[] = []
  await withRawUpstream('names', (s) => {
    eachHead(s, heads, (head) => {
      const path = head.slice(4, head.indexOf(' ', 4))
      s.write(answers[path] as string, 'latin1')
      if (path === '/v10' || path === '/bare') s.end()
    })
  }, {}, async (port2, p2) => {
    const head = async (path: string, extra = ''): Promise<{ head: string, out: string }> => {
      const out = await rawTls(port2, 'names.test', pki.caPem, `GET ${path} HTTP/1.1\r\nHOST: names.test\r\n${extra}Connection: close\r\n\r\n`)
      return { head: out.slice(0, out.indexOf('\r\n\r\n') + 2), out }
    }
    const v11 = await head('/v11', 'X-Request-ID: client-7\r\nX-FORWARDED-FOR: 198.51.100.9\r\nTe: trailers\r\nPROXY-Authorization: x\r\n')
    assert.ok(v11.head.startsWith('HTTP/1.1 201 Made It\xe9\r\nX-Kept: 1\r\nDATE: Sun, 06 Nov 1994 08:49:37 GMT\r\n'), v11.head)
    assert.is(v11.head.match(/content-length/gi)?.length, 1, v11.head)
    assert.is(v11.head.match(/\r\ndate:/gi)?.length, 1, 'the upstream Date is kept, none added')
    assert.ok(v11.head.includes('\r\nx-request-id: client-7\r\n'), 'the client id, not the upstream one')
    assert.not.match(v11.head, /upstream-id|proxy-thing|keep-alive/i)
    assert.ok(v11.out.endsWith('\r\n\r\nok'), v11.out)
    const sent = heads.at(-1) as string
    assert.ok(sent.includes('\r\nx-forwarded-host: names.test\r\n'), sent)
    assert.ok(sent.includes('\r\nx-forwarded-for: 198.51.100.9, 127.0.0.1\r\n'), sent)
    assert.ok(sent.includes('\r\nx-request-id: client-7\r\n'), sent)
    assert.not.match(sent, /\r\n(te|proxy-authorization|HOST):/)
    const v10 = await head('/v10')
    assert.ok(v10.head.startsWith('HTTP/1.1 200 Fine Then\r\n'), v10.head)
    const bare = await head('/bare')
    assert.ok(bare.head.startsWith('HTTP/1.1 200 \r\n'), 'the SP before an empty reason is put back')
    const chunked = await head('/chunked')
    assert.ok(chunked.head.includes('\r\ntransfer-encoding: chunked\r\n'), chunked.head)
    assert.ok(chunked.out.endsWith('\r\n\r\n2\r\nok\r\n0\r\n\r\n'), chunked.out)
    assert.is(p2.fastStats.requests, 4, 'all took the fast path')
  })
})

test('framing with NBSP around its value is refused with 502, as llhttp refuses it on the full path', async () => {
  // String#trim would strip U+00A0 and read these as a length of 2 and as chunked.
  await withRawUpstream('nbsp', (s) => {
    s.once('data', (d) => {
      const te = d.toString('latin1').startsWith('GET /te')
      s.end(te ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\xa0\r\n\r\n2\r\nok\r\n0\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\xa0\r\n\r\nok', 'latin1')
    })
  }, {}, async (port2, p2) => {
    for (const path of ['/length', '/te']) {
      const r = await request({ port: port2, host: 'nbsp.test', path, ca: pki.caPem })
      assert.is(r.status, 502, path)
    }
    assert.is(p2.fastStats.requests, 2, 'answered by the fast path')
  })
})

test('an idle pooled upstream connection outlives its API timeout and is closed by the gateway within POOL_IDLE_MS (4 s)', async () => {
  // A keep-alive upstream that never closes on its own, recording when the gateway hangs up.
  const conns: Array<{ ended: number }> = []
  await withRawUpstream('idle', (s) => {
    const c = { ended: 0 }
    conns.push(c)
    s.on('data', (d) => { if (d.includes('\r\n\r\n')) s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok') })
    s.on('end', () => { c.ended = Date.now(); s.end() })
  }, { timeoutMs: 300 }, async (port2) => {
    assert.is((await request({ port: port2, host: 'idle.test', path: '/a', ca: pki.caPem })).status, 200)
    // Idle for longer than the API's 300 ms timeout: still pooled, and reused.
    await sleep(800)
    assert.is((await request({ port: port2, host: 'idle.test', path: '/b', ca: pki.caPem })).status, 200)
    const lastUse = Date.now()
    assert.is(conns.length, 1, 'the second request reused the pooled connection')
    const deadline = Date.now() + 8000
    while ((conns[0] as { ended: number }).ended === 0 && Date.now() < deadline) await sleep(100)
    const idle = (conns[0] as { ended: number }).ended - lastUse
    // The gateway, not the upstream, closed it, before a Node upstream's 5 s
    // keep-alive timeout would (4 s plus slack for a busy test machine's timers).
    assert.ok(idle > 1000 && idle < 4500, `closed after ${idle} ms idle`)
  })
})

test.run()
