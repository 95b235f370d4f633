// HAProxy as a TLS-terminating reverse proxy: master-worker mode, one worker
// process with as many threads as Gatehouse has workers (HAProxy's unit of
// parallelism), HTTP keep-alive on both sides with connection reuse to the
// upstream, certificates chosen by SNI from their SANs (ECDSA first = the
// default), X-Forwarded-For set.
import { spawn } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { firstLine, pinned, shellLine } from '../sys.js'
import { freePort, waitForPort, stopChild, readyOrKill } from '../spawn.js'

export async function startHaproxy ({ dir, material, upstreamPort, workers, cpu }) {
  const root = join(dir, 'haproxy')
  mkdirSync(root, { recursive: true })
  const port = await freePort()
  const conf = join(root, 'haproxy.cfg')
  writeFileSync(conf, `# bench: HAProxy TLS proxy (generated)
global
  nbthread ${workers}
  maxconn 10100
  ulimit-n 20000
  no strict-limits
  tune.ssl.default-dh-param 2048
  log stderr format raw local0 err

defaults
  mode http
  log global
  option http-keep-alive
  option forwardfor
  http-reuse always
  timeout connect 5s
  timeout client 120s
  timeout server 60s
  timeout http-keep-alive 120s
  timeout http-request 10s

frontend fe
  bind 127.0.0.1:${port} ssl crt ${material.ec.pem} crt ${material.rsa.pem}
  http-request set-header X-Forwarded-Proto https
  default_backend be

backend be
  server up 127.0.0.1:${upstreamPort}
`)
  const [cmd, args] = pinned(cpu, 'haproxy', ['-W', '-db', '-f', conf])
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  await readyOrKill(child, waitForPort(port, child, 10000))
  return {
    port,
    pid: child.pid,
    version: firstLine('haproxy', ['-v']),
    command: shellLine(cmd, args),
    // In master-worker mode SIGUSR2 to the master reloads: a new worker takes the sockets.
    reload: () => child.kill('SIGUSR2'),
    stop: () => stopChild(child, 'SIGTERM')
  }
}
