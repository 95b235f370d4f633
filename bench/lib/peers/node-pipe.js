// Starts the naive node:https → node:http pipe (node-pipe-server.js), the
// Node floor Gatehouse is compared with, pinned to the proxy core.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pinned, shellLine } from '../sys.js'
import { freePort, waitForLine, stopChild, readyOrKill } from '../spawn.js'

const script = fileURLToPath(new URL('./node-pipe-server.js', import.meta.url))

export async function startNodePipe ({ material, upstreamPort, workers, cpu }) {
  const port = await freePort()
  const cfg = { host: '127.0.0.1', port, workers, upstreamPort, ec: material.ec, rsa: material.rsa }
  const [cmd, args] = pinned(cpu, process.execPath, [script])
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_NODE_PIPE: JSON.stringify(cfg) } })
  await readyOrKill(child, waitForLine(child, 'node-pipe ready', 20000))
  child.stdout.resume()
  child.stderr.resume()
  return {
    port,
    pid: child.pid,
    version: `node:https + node:http Agent, ${process.version}`,
    command: `BENCH_NODE_PIPE='…' ${shellLine(cmd, args)}`,
    reload: null,
    stop: () => stopChild(child, 'SIGTERM')
  }
}
