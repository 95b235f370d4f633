// The upstream every proxy forwards to: small fixed body on `/`, 10 MiB on
// `/10m`, and `/upload`, which reads the whole body, discards it and answers
// "ok". It is nginx (plain HTTP, 2 workers, keep-alive) when nginx is
// installed, so the upstream is never the bottleneck; otherwise a Node
// server. Its processes are not pinned and its CPU is not counted for any
// proxy.
import { spawn } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { which, firstLine } from './sys.js'
import { waitForPort, freePort, stopChild, readyOrKill } from './spawn.js'
import { nginxConfHead } from './nginx-conf.js'

export const SMALL_BODY = 'Hello from the Gatehouse bench upstream: a small fixed body of ~100 bytes.\n'.padEnd(100, '.')
export const BIG_BYTES = 10 * 1024 * 1024

/** Starts the upstream; returns { port, kind, version, pid, stop() }. */
export async function startUpstream (dir, { preferNginx = true } = {}) {
  const port = await freePort()
  // BENCH_UPSTREAM=node forces the Node upstream (what a CI machine without nginx gets).
  if (preferNginx && process.env.BENCH_UPSTREAM !== 'node' && which('nginx') !== null) return await startNginxUpstream(dir, port)
  return await startNodeUpstream(port)
}

async function startNginxUpstream (dir, port) {
  // nginx answers `return 200` before reading a request body and discards it
  // afterwards, which is not an upload; /upload goes to a Node sink that reads
  // the whole body first.
  const sink = await startNodeUpstream(await freePort())
  const root = join(dir, 'upstream')
  mkdirSync(join(root, 'www'), { recursive: true })
  writeFileSync(join(root, 'www', '10m'), Buffer.alloc(BIG_BYTES, 120))
  const conf = join(root, 'nginx.conf')
  writeFileSync(conf, nginxConfHead({ label: 'bench upstream', root, workers: 2, keepaliveTimeout: '300s' }) + `  sendfile on;
  upstream sink { server 127.0.0.1:${sink.port}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    root ${root}/www;
    location = /10m { default_type application/octet-stream; }
    location = /upload {
      client_max_body_size 0;
      proxy_pass http://sink;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
    }
    location / { default_type text/plain; return 200 "${SMALL_BODY}"; }
  }
}
`)
  const child = spawn('nginx', ['-c', conf, '-p', root], { stdio: ['ignore', 'ignore', 'pipe'] })
  await readyOrKill(child, waitForPort(port, child, 10000))
  return {
    port,
    kind: 'nginx',
    version: `${firstLine('nginx', ['-v'])}; /upload read by node:http ${process.version}`,
    pid: child.pid,
    stop: async () => { await stopChild(child, 'SIGQUIT'); await sink.stop() }
  }
}

async function startNodeUpstream (port) {
  const big = Buffer.alloc(BIG_BYTES, 120)
  const server = http.createServer({ keepAliveTimeout: 300_000 }, (req, res) => {
    if (req.url === '/10m') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG_BYTES })
      res.end(big)
      return
    }
    req.resume()
    req.on('end', () => {
      const body = req.url === '/upload' ? 'ok\n' : SMALL_BODY
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  server.headersTimeout = 300_000
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    port,
    kind: 'node',
    version: `node:http ${process.version} (in the runner's process)`,
    pid: null,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}
