// Starts one of the bench's Node peer scripts (fastify-proxy.js, the naive
// pipe, the Node floor, the relay floor): the script pinned to the proxy core
// with its config as JSON in an environment variable, ready once it prints
// "<name> ready". `profileDir` adds --cpu-prof (the cluster workers inherit it).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pinned, shellLine } from '../sys.js'
import { waitForLine, stopChild, readyOrKill } from '../spawn.js'

/** Starts `file` (next to this module) with cfg in `envVar`; returns the peer instance the runner keeps. */
export async function startNodeScript ({ file, envVar, name, cfg, cpu, version, profileDir = null }) {
  const script = fileURLToPath(new URL(`./${file}`, import.meta.url))
  const prof = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
  const [cmd, args] = pinned(cpu, process.execPath, [...prof, script])
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [envVar]: JSON.stringify(cfg) } })
  await readyOrKill(child, waitForLine(child, `${name} ready`, 20000))
  child.stdout.resume()
  child.stderr.resume()
  return {
    port: cfg.port,
    pid: child.pid,
    version,
    command: `${envVar}='…' ${shellLine(cmd, args.map((a) => (profileDir ? a.replace(profileDir, '$PROFILE_DIR') : a)))}`,
    reload: null,
    stop: () => stopChild(child, 'SIGTERM')
  }
}
