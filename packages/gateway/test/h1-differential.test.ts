// The head parsers read the usual shapes where they lie in the buffer
// (scanRequest, scanResponse) and leave the rest to the text parsers
// (parseRequestText, parseResponseText). Whenever the byte path answers, it
// must answer exactly what the text parser would: checked here over generated
// heads (every name the parsers act on, in random case, with good and bad
// values, bad line ends, folded lines) and over byte-flipped usual heads.
// White-box on purpose: no black-box request can tell which parser answered,
// so this imports the parsers from the build (they are not in the package's
// exports).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { scanRequest, parseRequestText, scanResponse, parseResponseText } from '../dist/h1.js'

const test = suite('h1-differential')

// A fixed LCG: the same heads on every run.
function rng (seed: number): (n: number) => number {
  let s = seed
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    return s % n
  }
}

function pickFrom<T> (rnd: (n: number) => number, a: readonly T[]): T {
  return a[rnd(a.length)] as T
}

function randomCase (rnd: (n: number) => number, s: string): string {
  let out = ''
  for (const c of s) out += rnd(2) === 0 ? c.toUpperCase() : c.toLowerCase()
  return out
}

const ROUNDS = 20000
const FLIPS = 20000
const ODD_SEPARATORS = ['\n', '\r', '\r\n ', '\r\n\t']
const ODD_LINES = [' folded', 'nocolon', ':empty']

test('request heads: the byte path agrees with the text parser', () => {
  const rnd = rng(777)
  const lines = ['GET / HTTP/1.1', 'GET /a/b?c=d HTTP/1.1', 'POST /up HTTP/1.1', 'HEAD /x HTTP/1.1', 'OPTIONS * HTTP/1.1', 'DELETE /d HTTP/1.1', 'PATCH /p HTTP/1.1', 'PUT /p HTTP/1.1', 'get / HTTP/1.1', 'GET / HTTP/1.0', 'GET  / HTTP/1.1', 'GET /a\tb HTTP/1.1', 'GET /caf\xe9 HTTP/1.1', 'GET http://x/ HTTP/1.1', 'GET / HTTP/1.1 ', 'BREW / HTTP/1.1', 'GET /\x01 HTTP/1.1']
  const names = ['Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Expect', 'Upgrade', 'HTTP2-Settings', 'Proxy-Connection', 'X-Request-Id', 'X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Host', 'Keep-Alive', 'TE', 'Trailer', 'Trailers', 'Proxy-Authorization', 'Proxy-', 'Date', 'User-Agent', 'Accept', 'X Bad', '', 'Cookie']
  const bad = ['h.test', ' h.test ', '', '5', '5\t', '  12 ', '-1', 'chunked', 'close', 'Keep-Alive', 'keep-alive, close', 'close\t', 'upgrade', 'id-1', 'caf\xe9', 'a\x01b']
  let scanned = 0
  for (let n = 0; n < ROUNDS; n++) {
    let head = pickFrom(rnd, lines)
    for (let i = 0, k = rnd(6); i < k; i++) {
      const name = rnd(3) === 0 ? 'Host' : pickFrom(rnd, names)
      const lower = name.toLowerCase()
      const value = rnd(5) === 0
        ? pickFrom(rnd, bad)
        : lower === 'host' ? pickFrom(rnd, ['h.test', 'h.test:8443', ' H.Test '])
          : lower === 'content-length' ? pickFrom(rnd, ['0', '5', ' 10 '])
            : lower === 'connection' ? pickFrom(rnd, ['close', 'keep-alive', 'Close '])
              : pickFrom(rnd, ['x', 'id-7', '198.51.100.1', '*/*', ''])
      head += (rnd(40) === 0 ? pickFrom(rnd, ODD_SEPARATORS) : '\r\n') +
        (rnd(30) === 0 ? pickFrom(rnd, ODD_LINES) : `${randomCase(rnd, name)}:${pickFrom(rnd, ['', ' ', '\t'])}${value}`)
    }
    const buf = Buffer.from(`${head}\r\n\r\nrest`, 'latin1')
    const end = buf.length - 8
    const text = buf.toString('latin1', 0, end)
    const scan = scanRequest(buf, end, text)
    if (scan === null) continue
    scanned++
    assert.equal(scan, parseRequestText(text), JSON.stringify(head))
  }
  assert.ok(scanned > ROUNDS / 40, `the byte path answered ${scanned} times`)
})

// Flips one or two bytes of `base` FLIPS times; `check` compares both parsers
// on the result and says whether the byte path answered.
function flipped (seed: number, base: Buffer, check: (b: Buffer, text: string) => boolean): number {
  const rnd = rng(seed)
  let scanned = 0
  for (let n = 0; n < FLIPS; n++) {
    const b = Buffer.from(base)
    for (let f = 0, m = 1 + rnd(2); f < m; f++) b[rnd(b.length)] = rnd(256)
    if (check(b, b.toString('latin1'))) scanned++
  }
  return scanned
}

test('byte-flipped request heads: the byte path agrees or steps aside', () => {
  const base = Buffer.from('GET /a?b=c HTTP/1.1\r\nHost: bench.localhost\r\nUser-Agent: gatehouse-bench\r\nX-Request-Id: abc\r\nConnection: keep-alive\r\nAccept: */*')
  const scanned = flipped(4242, base, (b, text) => {
    const scan = scanRequest(b, b.length, text)
    if (scan !== null) assert.equal(scan, parseRequestText(text), JSON.stringify(text))
    return scan !== null
  })
  assert.ok(scanned > FLIPS / 20, `the byte path answered ${scanned} times`)
})

test('response heads: the byte path agrees with the text parser, also inside a larger buffer', () => {
  const rnd = rng(12345)
  const statuses = ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 404 Not Found', 'HTTP/1.1 204 No Content', 'HTTP/1.1 201 Made It\xe9', 'HTTP/1.0 200 OK', 'HTTP/1.1 200', 'HTTP/1.1 200 ', 'HTTP/1.1 099 x', 'http/1.1 200 OK', 'HTTP/1.1 2x0 OK', 'HTTP/1.1 100 Continue', 'HTTP/1.1 101 Switching', 'HTTP/1.1 200 O\x01K', 'HTTP/1.1 200 O\x7fK', 'HTTP/1.2 200 OK', 'HTTP/1.1  200 OK', 'HTTP/1.1 500 Internal\tError']
  const names = ['Content-Length', 'Transfer-Encoding', 'Connection', 'Date', 'X-Request-Id', 'Keep-Alive', 'Proxy-Foo', 'Proxy-', 'Proxy-Connection', 'TE', 'Trailer', 'Trailers', 'Upgrade', 'Host', 'Expect', 'X-Foo', 'Server', 'Content-Type', 'X Bad', 'X@Bad', '', 'X-Forwarded-For', 'HTTP2-Settings', 'Set-Cookie', 'x-resp-listed']
  const bad = ['2', '  5  ', '5\t', '\t5', '05', '5 5', '-1', '1234567890123456', 'chunked', 'Chunked ', 'gzip, chunked', 'chunked, gzip', 'chunked\xa0', 'close', 'keep-alive, close', 'close, x-resp-listed', '', ' ', 'a\x01b', 'caf\xe9', 'v\x7fx']
  let scanned = 0
  for (let n = 0; n < ROUNDS; n++) {
    let head = pickFrom(rnd, statuses)
    for (let i = 0, k = rnd(6); i < k; i++) {
      const name = pickFrom(rnd, names)
      const lower = name.toLowerCase()
      const value = rnd(5) === 0
        ? pickFrom(rnd, bad)
        : lower === 'content-length' ? pickFrom(rnd, ['2', ' 100 ', '0', '5\t'])
          : lower === 'transfer-encoding' ? pickFrom(rnd, ['chunked', 'Chunked', ' chunked '])
            : lower === 'connection' ? pickFrom(rnd, ['close', 'keep-alive', 'Keep-Alive ', 'CLOSE'])
              : pickFrom(rnd, ['text/plain', 'x', 'caf\xe9', 'Sun, 06 Nov 1994 08:49:37 GMT', 'timeout=5', ''])
      head += (rnd(40) === 0 ? pickFrom(rnd, ODD_SEPARATORS) : '\r\n') +
        (rnd(30) === 0 ? pickFrom(rnd, ODD_LINES) : `${randomCase(rnd, name)}:${pickFrom(rnd, ['', ' ', '  ', '\t'])}${value}`)
    }
    const pad = rnd(3)
    const buf = Buffer.concat([Buffer.alloc(pad, 0x41), Buffer.from(head, 'latin1'), Buffer.from('\r\n\r\nbody')])
    const scan = scanResponse(buf, pad, buf.length - 8, head)
    if (scan === null) continue
    scanned++
    assert.equal(scan, parseResponseText(head), JSON.stringify(head))
  }
  assert.ok(scanned > ROUNDS / 20, `the byte path answered ${scanned} times`)
})

test('byte-flipped response heads: the byte path agrees or steps aside', () => {
  const base = Buffer.from('HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 29 Nov 2026 12:00:23 GMT\r\nContent-Type: text/plain\r\nContent-Length: 100\r\nConnection: keep-alive\r\nX-Thing: a')
  const scanned = flipped(99, base, (b, text) => {
    const scan = scanResponse(b, 0, b.length, text)
    if (scan !== null) assert.equal(scan, parseResponseText(text), JSON.stringify(text))
    return scan !== null
  })
  assert.ok(scanned > FLIPS / 20, `the byte path answered ${scanned} times`)
})

test('heads that end in CRLF or right after the status line are left to the text parser', () => {
  for (const head of ['HTTP/1.1 200 OK\r\n', 'HTTP/1.1 200 \r\n', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n', 'HTTP/1.1 200 OK']) {
    const b = Buffer.from(head, 'latin1')
    const scan = scanResponse(b, 0, b.length, head)
    assert.ok(scan === null || parseResponseText(head) !== null, JSON.stringify(head))
    if (scan !== null) assert.equal(scan, parseResponseText(head), JSON.stringify(head))
  }
  for (const head of ['GET / HTTP/1.1\r\nHost: h.test\r\n', 'GET / HTTP/1.1\r\n']) {
    const b = Buffer.from(head, 'latin1')
    const scan = scanRequest(b, b.length, head)
    if (scan !== null) assert.equal(scan, parseRequestText(head), JSON.stringify(head))
  }
})

test('the usual heads take the byte path', () => {
  const req = Buffer.from('GET /x HTTP/1.1\r\nHost: bench.localhost\r\nUser-Agent: gatehouse-bench')
  assert.ok(scanRequest(req, req.length, req.toString('latin1')) !== null)
  const res = Buffer.from('HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 29 Nov 2026 12:00:23 GMT\r\nContent-Type: text/plain\r\nContent-Length: 100\r\nConnection: keep-alive')
  assert.equal(scanResponse(res, 0, res.length, res.toString('latin1')), {
    status: 200, close: false, contentLength: 100, chunked: false, hasDate: true,
    head: 'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 29 Nov 2026 12:00:23 GMT\r\nContent-Type: text/plain\r\n'
  })
})

test.run()
