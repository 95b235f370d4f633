// `gatehouse demo`: the zero-config main job. It makes (once) a development CA
// and a leaf for localhost names in ./.gatehouse, starts the embedded
// httpbin-like upstream on a loopback port, writes an ordinary config file
// pointing at it, and runs the same primary `gatehouse start` runs — so what
// the demo shows is the real gateway, and the file it wrote is a starting
// point for the user's own.
import { mkdir, writeFile } from 'node:fs/promises'
import { resolve, relative, join } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureDevCertificates } from '@gatehouse/certs'
import { startHttpbin } from './httpbin.js'
import { runPrimary, type ReadyInfo } from './primary.js'
import { createLogger } from './log.js'

/** The names the demo certificate covers. */
export const DEMO_SANS = ['localhost', '*.gatehouse.localhost', '127.0.0.1', '::1']

function demoConfig (o: { port: number, adminPort: number, upstream: string, cert: string, key: string, workers: number }): string {
  return `# Written by \`gatehouse demo\` on every start; copy it to begin your own config.
# Reload after editing a copy with: kill -HUP <primary pid>
version: 1
workers: ${o.workers}
shutdown_timeout: 5s
listen:
  https: { host: 127.0.0.1, port: ${o.port} }
admin: { host: 127.0.0.1, port: ${o.adminPort} }
access_log: off
tls:
  certificates:
    - cert_file: ${JSON.stringify(o.cert)}
      key_file: ${JSON.stringify(o.key)}
apis:
  - name: httpbin
    domain: httpbin.gatehouse.localhost
    listen_path: /
    upstream:
      targets: [${o.upstream}]
  - name: localhost
    domain: localhost
    listen_path: /
    upstream:
      targets: [${o.upstream}]
`
}

/** Runs the demo until Ctrl-C; resolves with the exit code. */
export async function runDemo (argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '8443' },
      'admin-port': { type: 'string', default: '9090' },
      dir: { type: 'string', default: '.gatehouse' },
      workers: { type: 'string', default: '2' }
    },
    strict: true
  })
  const port = Number(values.port)
  const adminPort = Number(values['admin-port'])
  const workers = Number(values.workers)
  if (![port, adminPort].every((p) => Number.isInteger(p) && p >= 0 && p < 65536)) {
    process.stderr.write('gatehouse demo: --port and --admin-port take a port number (0-65535)\n')
    return 2
  }
  if (!Number.isInteger(workers) || workers < 1) {
    process.stderr.write('gatehouse demo: --workers takes a whole number >= 1\n')
    return 2
  }
  const dir = resolve(values.dir)
  const log = createLogger('demo')
  await mkdir(dir, { recursive: true })
  const certs = await ensureDevCertificates(dir, DEMO_SANS)
  const upstream = await startHttpbin({ host: '127.0.0.1', port: 0 })
  const configPath = join(dir, 'gatehouse.yaml')
  await writeFile(configPath, demoConfig({ port, adminPort, upstream: upstream.url, cert: certs.fullchainFile, key: certs.keyFile, workers }))
  log('info', 'demo upstream (embedded httpbin) listening', { url: upstream.url })

  const ca = relative(process.cwd(), certs.caCertFile) || certs.caCertFile
  const code = await runPrimary({
    configPath,
    onReady: (info: ReadyInfo) => {
      const p = info.httpsPort
      process.stdout.write(`
Gatehouse demo is up: ${info.workers} workers, HTTPS on port ${p}, embedded httpbin at ${upstream.url}.

  curl --cacert ${ca} https://httpbin.gatehouse.localhost:${p}/get
  curl --cacert ${ca} https://localhost:${p}/anything
  curl --cacert ${ca} https://127.0.0.1:${p}/headers

Metrics:  curl http://127.0.0.1:${info.adminPort}/metrics
Config:   ${relative(process.cwd(), configPath) || configPath}
Trust the demo CA (then browsers and curl work without --cacert):
  gatehouse certs trust ${ca}        (undo: gatehouse certs untrust ${ca})
Ctrl-C stops it.

`)
    }
  })
  await upstream.close()
  return code
}
