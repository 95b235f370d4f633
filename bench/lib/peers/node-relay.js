// Starts the Node relay floor (node-relay-server.js): node:tls piping each
// connection to the upstream, no HTTP, on N cluster workers, pinned to the
// proxy core like every proxy.
import { freePort } from '../spawn.js'
import { startNodeScript } from './node-script.js'

export async function startNodeRelay ({ material, upstreamPort, workers, cpu }) {
  const cfg = { host: '127.0.0.1', port: await freePort(), workers, upstreamPort, ec: material.ec }
  return startNodeScript({ file: 'node-relay-server.js', envVar: 'BENCH_NODE_RELAY', name: 'node-relay', cfg, cpu, version: `node:tls piped to net, ${process.version}` })
}
