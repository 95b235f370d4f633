// Starts the Node relay floor (node-relay-server.js): node:tls piping each
// connection to the upstream, no HTTP, on N cluster workers, pinned to the
// proxy core like every proxy.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pinned, shellLine } from '../sys.js'
import { freePort, waitForLine, stopChild, readyOrKill } from '../spawn.js'

const script = fileURLToPath(new URL('./node-relay-server.js', import.meta.url))

export async function startNodeRelay ({ material, upstreamPort, workers, cpu }) {
  const port = await freePort()
  const cfg = { host: '127.0.0.1', port, workers, upstreamPort, ec: material.ec }
  const [cmd, args] = pinned(cpu, process.execPath, [script])
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_NODE_RELAY: JSON.stringify(cfg) } })
  await readyOrKill(child, waitForLine(child, 'node-relay ready', 20000))
  child.stdout.resume()
  child.stderr.resume()
  return {
    port,
    pid: child.pid,
    version: `node:tls piped to net, ${process.version}`,
    command: `BENCH_NODE_RELAY='…' ${shellLine(cmd, args)}`,
    reload: null,
    stop: () => stopChild(child, 'SIGTERM')
  }
}
