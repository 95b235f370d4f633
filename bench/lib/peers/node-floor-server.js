// The least a Node TLS HTTP server can cost on this machine: node:https on a
// node:cluster of N workers (like Gatehouse and the naive pipe), answering
// the bench's requests itself — no upstream, no routing, no proxying. It
// serves what the upstream serves the proxies: the small body on `/` (and any
// other path), 10 MiB on `/10m`, and `/upload`, read whole and discarded,
// answered "ok". Every proxy built on Node pays at least this per request,
// per handshake, per streamed MiB, in memory and in latency (OpenSSL through
// libuv streams, llhttp, the http module's JS); what nginx does for less is
// out of reach for any Node server by the difference. Measured in keepalive,
// handshake, stream and latency, and profiled.
// Config: JSON in BENCH_NODE_FLOOR = { host, port, workers, body, bigBytes, ec: {cert,key}, rsa: {cert,key} }.
import { serveHttpsCluster } from './https-cluster.js'

const cfg = JSON.parse(process.env.BENCH_NODE_FLOOR ?? '{}')

// A proxy relays a download in the chunks it reads from the upstream socket (libuv
// reads up to 64 KiB), each written as the client's socket drains; the floor writes
// the same, so it pays the per-chunk work any streaming server pays and holds what a
// proxy holds in flight. One res.end() of 10 MiB would instead encrypt the whole body
// into TLS's output buffer at once: megabytes per connection no proxy needs.
const CHUNK = 64 * 1024

serveHttpsCluster(cfg, 'node-floor', () => {
  const small = Buffer.from(cfg.body)
  const smallHeaders = { 'content-type': 'text/plain', 'content-length': String(small.length) }
  // Allocated once, zero-filled: its pages stay the kernel's shared zero page (reading
  // them maps no memory), so the body costs the floor no RSS — a proxy holds no body
  // either, and the memory figure is the server's own.
  const big = Buffer.alloc(cfg.bigBytes)
  const bigHeaders = { 'content-type': 'application/octet-stream', 'content-length': String(big.length) }
  const ok = Buffer.from('ok\n')
  const okHeaders = { 'content-type': 'text/plain', 'content-length': String(ok.length) }

  function sendBig (res) {
    let off = 0
    const more = () => {
      while (off < big.length) {
        const end = Math.min(off + CHUNK, big.length)
        const flowing = res.write(big.subarray(off, end))
        off = end
        if (!flowing) { res.once('drain', more); return }
      }
      res.end()
    }
    res.writeHead(200, bigHeaders)
    more()
  }

  return (req, res) => {
    if (req.url === '/10m') {
      req.resume()
      sendBig(res)
      return
    }
    if (req.url === '/upload') {
      // Answered once the whole body is read, as the upstream's sink does.
      req.on('end', () => { res.writeHead(200, okHeaders); res.end(ok) })
      req.resume()
      return
    }
    // Drain the request (GETs here have none) so the connection is ready for the next one.
    req.resume()
    res.writeHead(200, smallHeaders)
    res.end(small)
  }
})
