// Starts the @fastify/http-proxy peer (fastify-proxy.js) pinned to the proxy core.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { pinned, shellLine } from '../sys.js'
import { freePort, waitForLine, stopChild, readyOrKill } from '../spawn.js'

const script = fileURLToPath(new URL('./fastify-proxy.js', import.meta.url))

function version (pkg) {
  try {
    return JSON.parse(readFileSync(fileURLToPath(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url)), 'utf8')).version
  } catch { return 'unknown' }
}

export async function startFastify ({ material, upstreamPort, workers, cpu }) {
  const port = await freePort()
  const cfg = { host: '127.0.0.1', port, workers, upstreamPort, ec: material.ec, rsa: material.rsa }
  const [cmd, args] = pinned(cpu, process.execPath, [script])
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_FASTIFY: JSON.stringify(cfg) } })
  await readyOrKill(child, waitForLine(child, 'fastify ready', 20000))
  child.stdout.resume()
  child.stderr.resume()
  return {
    port,
    pid: child.pid,
    version: `fastify ${version('fastify')}, @fastify/http-proxy ${version('@fastify/http-proxy')}`,
    command: `BENCH_FASTIFY='…' ${shellLine(cmd, args)}`,
    reload: null,
    stop: () => stopChild(child, 'SIGTERM')
  }
}
