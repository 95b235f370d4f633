// The node:cluster + node:https scaffolding the Node peers share (the naive
// pipe and the Node floor; the relay floor uses its primary part): N
// workers, the bench's ECDSA certificate with the RSA one chosen by SNI, long
// keep-alive, "<name> ready" once every worker
// listens, and a SIGTERM that waits for the workers (under --cpu-prof each
// writes its profile on the way out).

import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import https from 'node:https'
import tls from 'node:tls'

/** The primary's part: forks N workers, prints "<name> ready" once all listen, and stops them on SIGTERM. */
export function clusterPrimary (workers, name) {
  let listening = 0
  for (let i = 0; i < workers; i++) cluster.fork()
  cluster.on('listening', () => { if (++listening === workers) process.stdout.write(`${name} ready\n`) })
  process.on('SIGTERM', () => {
    let left = Object.keys(cluster.workers ?? {}).length
    if (left === 0) process.exit(0)
    cluster.on('exit', () => { if (--left === 0) process.exit(0) })
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM')
    setTimeout(() => process.exit(0), 5000).unref()
  })
}

/** Runs `handler` as the request listener of an N-worker https cluster; cfg = { host, port, workers, ec, rsa }. */
export function serveHttpsCluster (cfg, name, handler) {
  if (cluster.isPrimary) {
    clusterPrimary(cfg.workers, name)
    return
  }
  const rsa = tls.createSecureContext({ cert: readFileSync(cfg.rsa.cert), key: readFileSync(cfg.rsa.key) })
  const server = https.createServer({
    cert: readFileSync(cfg.ec.cert),
    key: readFileSync(cfg.ec.key),
    keepAliveTimeout: 120_000,
    SNICallback (servername, cb) { cb(null, servername === 'rsa.bench.localhost' ? rsa : undefined) }
  }, handler())
  server.listen(cfg.port, cfg.host)
  process.on('SIGTERM', () => process.exit(0))
}
