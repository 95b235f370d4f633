// Starts the Node floor (node-floor-server.js): node:https answering the
// bench's requests itself (small body, 10 MiB, /upload) on N cluster workers,
// pinned to the proxy core like every proxy. `profileDir` adds --cpu-prof (the workers inherit it).
import { freePort } from '../spawn.js'
import { SMALL_BODY, BIG_BYTES } from '../upstream.js'
import { startNodeScript } from './node-script.js'

export async function startNodeFloor ({ material, workers, cpu, profileDir = null }) {
  const cfg = { host: '127.0.0.1', port: await freePort(), workers, body: SMALL_BODY, bigBytes: BIG_BYTES, ec: material.ec, rsa: material.rsa }
  return startNodeScript({ file: 'node-floor-server.js', envVar: 'BENCH_NODE_FLOOR', name: 'node-floor', cfg, cpu, profileDir, version: `node:https answering itself, ${process.version}` })
}
