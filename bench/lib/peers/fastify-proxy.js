// @fastify/http-proxy on a node:cluster of N workers: the strongest Node peer
// a user would pick. Each worker serves HTTPS (ECDSA default, RSA by SNI) and
// proxies to the upstream through undici's keep-alive pool. Out of the box it
// echoes the upstream's `Connection: keep-alive` to a client that asked for
// `Connection: close` (and keeps the connection open); the rewriteHeaders
// hook below drops the upstream's hop-by-hop headers so Node's server decides
// keep-alive from the client's request, and its figures count.
// Config: JSON in BENCH_FASTIFY = { host, port, workers, upstreamPort, ec: {cert,key}, rsa: {cert,key} }.
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import Fastify from 'fastify'
import proxy from '@fastify/http-proxy'

const cfg = JSON.parse(process.env.BENCH_FASTIFY ?? '{}')

if (cluster.isPrimary) {
  let listening = 0
  for (let i = 0; i < cfg.workers; i++) cluster.fork()
  cluster.on('listening', () => { if (++listening === cfg.workers) process.stdout.write('fastify ready\n') })
  cluster.on('exit', (w, code) => { if (!stopping) process.stderr.write(`fastify worker ${w.process.pid} exited ${code}\n`) })
  let stopping = false
  process.on('SIGTERM', () => {
    stopping = true
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM')
    setTimeout(() => process.exit(0), 200).unref()
    cluster.on('exit', () => { if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0) })
  })
} else {
  const ec = { cert: readFileSync(cfg.ec.cert), key: readFileSync(cfg.ec.key) }
  const rsa = tls.createSecureContext({ cert: readFileSync(cfg.rsa.cert), key: readFileSync(cfg.rsa.key) })
  const app = Fastify({
    logger: false,
    keepAliveTimeout: 120_000,
    https: {
      ...ec,
      SNICallback (name, cb) { cb(null, name === 'rsa.bench.localhost' ? rsa : undefined) }
    }
  })
  const HOP = ['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']
  await app.register(proxy, {
    upstream: `http://127.0.0.1:${cfg.upstreamPort}`,
    replyOptions: {
      rewriteHeaders (headers) {
        for (const h of HOP) delete headers[h]
        return headers
      }
    }
  })
  await app.listen({ host: cfg.host, port: cfg.port })
  process.on('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(0)) })
}
