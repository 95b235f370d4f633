// Bodies stream through without buffering: a 50 MiB upload and a 50 MiB
// download keep their sha256 while the data plane's RSS (in its own process)
// grows by less than 64 MiB; a client that stops reading makes the upstream
// see backpressure instead of the gateway soaking up the body.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { fork, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import type { AddressInfo } from 'node:net'
import { startHttpbin, type Httpbin } from '@gatehouse/gateway'
import { makePki, makeTable, type Pki } from './helpers.js'

const test = suite('streaming')
const MiB = 1024 * 1024
let pki: Pki
let bin: Httpbin
let firehose: http.Server
let firehoseWritten = 0
let firehoseBlocked = false
let sink: http.Server
let sinkRead = 0
let child: ChildProcess
let port = 0

function ask (cmd: string): Promise<{ rss: number }> {
  return new Promise((resolve) => {
    const onMessage = (msg: { cmd: string, rss: number }): void => {
      if (msg.cmd !== cmd) return
      child.off('message', onMessage)
      resolve(msg)
    }
    child.on('message', onMessage)
    child.send({ cmd })
  })
}

test.before(async () => {
  pki = makePki()
  bin = await startHttpbin()
  // Writes up to 512 MiB as fast as the connection accepts, counting what it managed to write.
  firehose = http.createServer((req, res) => {
    req.resume()
    res.writeHead(200, { 'content-length': 512 * MiB })
    const chunk = Buffer.alloc(64 * 1024, 7)
    firehoseWritten = 0
    firehoseBlocked = false
    const pump = (): void => {
      while (firehoseWritten < 512 * MiB) {
        firehoseWritten += chunk.length
        if (!res.write(chunk)) { firehoseBlocked = true; res.once('drain', pump); return }
      }
      res.end()
    }
    res.on('close', () => { firehoseBlocked = false })
    pump()
  })
  await new Promise<void>((resolve) => { firehose.listen(0, '127.0.0.1', resolve) })
  const firehoseUrl = `http://127.0.0.1:${(firehose.address() as AddressInfo).port}`
  // Accepts an upload but reads only its first 64 KiB, then stops reading.
  sink = http.createServer((req, res) => {
    sinkRead = 0
    req.on('data', (c: Buffer) => {
      sinkRead += c.length
      if (sinkRead >= 64 * 1024) req.pause()
    })
    res.on('close', () => { req.destroy() })
  })
  await new Promise<void>((resolve) => { sink.listen(0, '127.0.0.1', resolve) })
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`
  const leaf = pki.leaf('s', ['s.test'])
  const table = makeTable({
    certs: [{ ...leaf, domains: ['s.test'] }],
    apis: [
      { name: 'firehose', domain: 's.test', listenPath: '/firehose', targets: [firehoseUrl] },
      { name: 'sink', domain: 's.test', listenPath: '/sink', targets: [sinkUrl] },
      { name: 'bin', domain: 's.test', targets: [bin.url] }
    ]
  })
  const file = join(pki.dir, 'table.json')
  writeFileSync(file, JSON.stringify(table))
  child = fork(new URL('./fixtures/dataplane-child.mjs', import.meta.url), [file], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  port = await new Promise<number>((resolve) => {
    child.once('message', (msg: { port: number }) => { resolve(msg.port) })
  })
})

test.after(async () => {
  child.send({ cmd: 'stop' })
  await new Promise((resolve) => { child.once('exit', resolve) })
  await bin.close()
  await new Promise<void>((resolve) => { firehose.close(() => { resolve() }); firehose.closeAllConnections() })
  await new Promise<void>((resolve) => { sink.close(() => { resolve() }); sink.closeAllConnections() })
  pki.cleanup()
})

function opts (path: string, method = 'GET'): https.RequestOptions {
  return { host: '127.0.0.1', port, path, method, servername: 's.test', headers: { host: 's.test' }, ca: pki.caPem, agent: false }
}

test('50 MiB upload and download keep their sha256; RSS grows < 64 MiB', async () => {
  // warm up the paths once so first-use allocations are not counted as growth
  await new Promise<void>((resolve, reject) => { https.get(opts('/bytes/1024'), (r) => { r.resume(); r.on('end', resolve) }).on('error', reject) })
  const base = (await ask('mark')).rss

  const size = 50 * MiB
  const sent = createHash('sha256')
  let left = size
  let i = 0
  const body = new Readable({
    read () {
      if (left <= 0) { this.push(null); return }
      const chunk = Buffer.alloc(Math.min(64 * 1024, left), i++ % 251)
      left -= chunk.length
      sent.update(chunk)
      this.push(chunk)
    }
  })
  const up = await new Promise<{ status: number, json: any }>((resolve, reject) => {
    const req = https.request({ ...opts('/anything/upload', 'POST'), headers: { host: 's.test', 'content-length': String(size) } }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => { text += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }) })
    })
    req.on('error', reject)
    body.pipe(req)
  })
  assert.is(up.status, 200)
  assert.is(up.json.body_bytes, size)
  assert.is(up.json.body_sha256, sent.digest('hex'))
  const upGrowth = ((await ask('peak')).rss - base) / MiB
  console.log(`  data plane RSS growth during the upload: ${upGrowth.toFixed(1)} MiB`)
  assert.ok(upGrowth < 64, `data plane RSS grew by ${upGrowth.toFixed(1)} MiB during the upload`)
  const base2 = (await ask('mark')).rss

  const down = await new Promise<{ status: number, bytes: number, sha: string, expected: string }>((resolve, reject) => {
    https.get(opts(`/bytes/${size}?seed=stream`), (res) => {
      const h = createHash('sha256')
      let bytes = 0
      res.on('data', (c: Buffer) => { h.update(c); bytes += c.length })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, bytes, sha: h.digest('hex'), expected: String(res.headers['x-content-sha256']) }) })
      res.on('error', reject)
    }).on('error', reject)
  })
  assert.is(down.status, 200)
  assert.is(down.bytes, size)
  assert.is(down.sha, down.expected)

  const growth = ((await ask('peak')).rss - base2) / MiB
  console.log(`  data plane RSS growth during the download: ${growth.toFixed(1)} MiB`)
  assert.ok(growth < 64, `data plane RSS grew by ${growth.toFixed(1)} MiB during the download`)
})

test('a client that stops reading makes the upstream wait (backpressure)', async () => {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 's.test', ca: pki.caPem })
  await new Promise<void>((resolve) => { socket.once('secureConnect', resolve) })
  socket.write('GET /firehose HTTP/1.1\r\nhost: s.test\r\n\r\n')
  await new Promise<void>((resolve) => { socket.once('data', () => { resolve() }) })
  socket.pause()
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const written = firehoseWritten
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.ok(firehoseBlocked, 'the upstream is waiting for drain')
  assert.is(firehoseWritten, written, 'and stays blocked while the client does not read')
  console.log(`  upstream wrote ${(written / MiB).toFixed(1)} MiB before blocking`)
  assert.ok(written < 64 * MiB, `upstream wrote ${(written / MiB).toFixed(1)} MiB of 512 MiB to a stalled client`)
  socket.destroy()
})

test('an upstream that stops reading an upload makes the client wait (no buffering in the gateway)', async () => {
  const req = https.request({ ...opts('/sink/up', 'POST'), headers: { host: 's.test', 'content-length': String(512 * MiB) } })
  req.on('error', () => {})
  const chunk = Buffer.alloc(64 * 1024, 3)
  let offered = 0
  let stop = false
  const pump = (): void => {
    while (!stop && offered < 512 * MiB) {
      offered += chunk.length
      if (!req.write(chunk)) { req.once('drain', pump); return }
    }
  }
  pump()
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const sent = req.socket?.bytesWritten ?? 0
  await new Promise((resolve) => setTimeout(resolve, 500))
  const later = req.socket?.bytesWritten ?? 0
  stop = true
  req.destroy()
  console.log(`  client got ${(sent / MiB).toFixed(1)} MiB onto the wire while the upstream read ${(sinkRead / 1024).toFixed(0)} KiB`)
  assert.ok(sinkRead < 1024 * 1024, 'the upstream stopped reading')
  assert.ok(sent < 64 * MiB, `the gateway accepted ${(sent / MiB).toFixed(1)} MiB of 512 MiB from the client`)
  assert.ok(later - sent < 4 * MiB, 'and the client stays blocked')
})

test.run()
