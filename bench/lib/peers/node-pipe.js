// Starts the naive node:https → node:http pipe (node-pipe-server.js), the
// Node floor Gatehouse is compared with, pinned to the proxy core.
import { freePort } from '../spawn.js'
import { startNodeScript } from './node-script.js'

export async function startNodePipe ({ material, upstreamPort, workers, cpu }) {
  const cfg = { host: '127.0.0.1', port: await freePort(), workers, upstreamPort, ec: material.ec, rsa: material.rsa }
  return startNodeScript({ file: 'node-pipe-server.js', envVar: 'BENCH_NODE_PIPE', name: 'node-pipe', cfg, cpu, version: `node:https + node:http Agent, ${process.version}` })
}
