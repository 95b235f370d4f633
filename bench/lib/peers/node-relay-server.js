// The least a Node TLS proxy can cost on this machine: node:tls on a
// node:cluster of N workers, each connection piped byte for byte to its own
// TCP connection to the upstream — TLS terminated, nothing parsed, routed or
// rewritten, no pool (TCP mode, as HAProxy's `mode tcp` or stunnel). Every
// HTTP proxy built on Node pays at least this per request and per streamed
// MiB: a TLS read per record into a new Buffer, a write to the upstream, a
// read back, an encrypted write. Where even this relay misses a bar that the
// Node floor (no upstream at all) meets, the bar's cost is in relaying through
// Node's streams, not in HTTP. Measured in keepalive, latency and stream.
// Config: JSON in BENCH_NODE_RELAY = { host, port, workers, upstreamPort, ec: {cert,key} }.
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import { clusterPrimary } from './https-cluster.js'

const cfg = JSON.parse(process.env.BENCH_NODE_RELAY ?? '{}')

if (cluster.isPrimary) {
  clusterPrimary(cfg.workers, 'node-relay')
} else {
  const server = tls.createServer({ cert: readFileSync(cfg.ec.cert), key: readFileSync(cfg.ec.key) }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: cfg.upstreamPort, noDelay: true })
    client.pipe(upstream)
    upstream.pipe(client)
    // Either side closing or failing ends both, as a TCP-mode proxy does.
    const both = () => { client.destroy(); upstream.destroy() }
    client.on('error', both)
    upstream.on('error', both)
    client.on('close', both)
    upstream.on('close', both)
  })
  server.listen(cfg.port, cfg.host)
  process.on('SIGTERM', () => process.exit(0))
}
