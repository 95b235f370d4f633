// nginx as a TLS-terminating reverse proxy, configured the way a careful user
// would run it in front of the bench upstream: the same worker count as
// Gatehouse, upstream keep-alive (HTTP/1.1, Connection cleared), no access
// log, request and response bodies streamed (no disk buffering), the ECDSA
// certificate as the default server and the RSA one by SNI, X-Forwarded-*
// set like Gatehouse sets them. keepalive_requests is raised so nginx does
// not close benchmark connections every 1,000 requests (Node does not).
import { spawn } from 'node:child_process'
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { firstLine, pinned, shellLine } from '../sys.js'
import { freePort, waitForPort, stopChild, readyOrKill } from '../spawn.js'
import { nginxConfHead } from '../nginx-conf.js'

export async function startNginx ({ dir, material, upstreamPort, workers, cpu }) {
  const root = join(dir, 'nginx-proxy')
  mkdirSync(root, { recursive: true })
  const port = await freePort()
  const location = `
    location / {
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-Host $host;
      proxy_request_buffering off;
      proxy_max_temp_file_size 0;
      client_max_body_size 0;
    }`
  const conf = join(root, 'nginx.conf')
  writeFileSync(conf, nginxConfHead({ label: 'bench: nginx TLS proxy', root, workers, keepaliveTimeout: '120s' }) + `  ssl_protocols TLSv1.2 TLSv1.3;
  upstream up { server 127.0.0.1:${upstreamPort}; keepalive 128; keepalive_requests 10000000; }
  server {
    listen 127.0.0.1:${port} ssl default_server backlog=4096;
    server_name bench.localhost ec.bench.localhost;
    ssl_certificate ${material.ec.cert};
    ssl_certificate_key ${material.ec.key};${location}
  }
  server {
    listen 127.0.0.1:${port} ssl;
    server_name rsa.bench.localhost;
    ssl_certificate ${material.rsa.cert};
    ssl_certificate_key ${material.rsa.key};${location}
  }
}
`)
  const [cmd, args] = pinned(cpu, 'nginx', ['-c', conf, '-p', root])
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  await readyOrKill(child, waitForPort(port, child, 10000))
  return {
    port,
    pid: child.pid,
    version: firstLine('nginx', ['-v']),
    command: shellLine(cmd, args),
    // nginx -s reload is SIGHUP to the master: new workers, old ones finish their clients.
    reload: () => child.kill('SIGHUP'),
    stop: () => stopChild(child, 'SIGQUIT')
  }
}
