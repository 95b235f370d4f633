// The least a Node TLS HTTP server can cost per request on this machine:
// node:https on a node:cluster of N workers (like Gatehouse and the naive
// pipe), answering the bench's small body itself — no upstream, no routing,
// no proxying. Every proxy built on Node pays at least this per request and
// per handshake (OpenSSL through libuv streams, llhttp, the http module's
// JS); what nginx does for less is out of reach for any Node server by the
// difference. Measured in keepalive and handshake, and profiled.
// Config: JSON in BENCH_NODE_FLOOR = { host, port, workers, body, ec: {cert,key}, rsa: {cert,key} }.
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import https from 'node:https'
import tls from 'node:tls'

const cfg = JSON.parse(process.env.BENCH_NODE_FLOOR ?? '{}')

if (cluster.isPrimary) {
  let listening = 0
  for (let i = 0; i < cfg.workers; i++) cluster.fork()
  cluster.on('listening', () => { if (++listening === cfg.workers) process.stdout.write('node-floor ready\n') })
  process.on('SIGTERM', () => {
    // Wait for the workers: under --cpu-prof each writes its profile on the way out.
    let left = Object.keys(cluster.workers ?? {}).length
    if (left === 0) process.exit(0)
    cluster.on('exit', () => { if (--left === 0) process.exit(0) })
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM')
    setTimeout(() => process.exit(0), 5000).unref()
  })
} else {
  const body = Buffer.from(cfg.body)
  const headers = { 'content-type': 'text/plain', 'content-length': String(body.length) }
  const rsa = tls.createSecureContext({ cert: readFileSync(cfg.rsa.cert), key: readFileSync(cfg.rsa.key) })
  const server = https.createServer({
    cert: readFileSync(cfg.ec.cert),
    key: readFileSync(cfg.ec.key),
    keepAliveTimeout: 120_000,
    SNICallback (name, cb) { cb(null, name === 'rsa.bench.localhost' ? rsa : undefined) }
  }, (req, res) => {
    // Drain the request (GETs here have none) so the connection is ready for the next one.
    req.resume()
    res.writeHead(200, headers)
    res.end(body)
  })
  server.listen(cfg.port, cfg.host)
  process.on('SIGTERM', () => process.exit(0))
}
