// The least a Node TLS HTTP server can cost per request on this machine:
// node:https on a node:cluster of N workers (like Gatehouse and the naive
// pipe), answering the bench's small body itself — no upstream, no routing,
// no proxying. Every proxy built on Node pays at least this per request and
// per handshake (OpenSSL through libuv streams, llhttp, the http module's
// JS); what nginx does for less is out of reach for any Node server by the
// difference. Measured in keepalive and handshake, and profiled.
// Config: JSON in BENCH_NODE_FLOOR = { host, port, workers, body, ec: {cert,key}, rsa: {cert,key} }.
import { serveHttpsCluster } from './https-cluster.js'

const cfg = JSON.parse(process.env.BENCH_NODE_FLOOR ?? '{}')

serveHttpsCluster(cfg, 'node-floor', () => {
  const body = Buffer.from(cfg.body)
  const headers = { 'content-type': 'text/plain', 'content-length': String(body.length) }
  return (req, res) => {
    // Drain the request (GETs here have none) so the connection is ready for the next one.
    req.resume()
    res.writeHead(200, headers)
    res.end(body)
  }
})
