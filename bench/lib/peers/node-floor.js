// Starts the Node floor (node-floor-server.js): node:https answering the
// bench's requests itself (small body, 10 MiB, /upload) on N cluster workers,
// pinned to the proxy core like every proxy. `profileDir` adds --cpu-prof (the workers inherit it).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pinned, shellLine } from '../sys.js'
import { freePort, waitForLine, stopChild, readyOrKill } from '../spawn.js'
import { SMALL_BODY, BIG_BYTES } from '../upstream.js'

const script = fileURLToPath(new URL('./node-floor-server.js', import.meta.url))

export async function startNodeFloor ({ material, workers, cpu, profileDir = null }) {
  const port = await freePort()
  const cfg = { host: '127.0.0.1', port, workers, body: SMALL_BODY, bigBytes: BIG_BYTES, ec: material.ec, rsa: material.rsa }
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
  const [cmd, args] = pinned(cpu, process.execPath, [...prof, script])
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_NODE_FLOOR: JSON.stringify(cfg) } })
  await readyOrKill(child, waitForLine(child, 'node-floor ready', 20000))
  child.stdout.resume()
  child.stderr.resume()
  return {
    port,
    pid: child.pid,
    version: `node:https answering itself, ${process.version}`,
    command: `BENCH_NODE_FLOOR='…' ${shellLine(cmd, args.map((a) => (profileDir ? a.replace(profileDir, '$PROFILE_DIR') : a)))}`,
    reload: null,
    stop: () => stopChild(child, 'SIGTERM')
  }
}
