// What the tests that run the real gateway need: the built CLI, a self-signed certificate
// made with the openssl binary, free ports on 127.0.0.1, a tiny upstream, and bounded
// HTTP(S) requests and polls. Everything stays in a temp dir and on 127.0.0.1.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, get as httpGet, type Server } from 'node:http'
import { get as httpsGet } from 'node:https'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { repoPath, requireTool } from './tools.js'

/** The gateway's CLI as built by `pnpm build`. */
export const CLI = repoPath('packages/gateway/dist/cli.js')

/** Throws with the command to run when the gateway has not been built. */
export function requireBuiltGateway (): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`pnpm build\` first (this test runs the real gateway)`)
}

/** A self-signed P-256 certificate (by default for localhost and 127.0.0.1), written into `dir`. */
export function selfSignedCert (dir: string, sans = 'DNS:localhost,IP:127.0.0.1'): { cert: string, key: string } {
  requireTool('openssl')
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=localhost',
    '-addext', `subjectAltName=${sans}`], { stdio: ['ignore', 'ignore', 'pipe'] })
  return { cert, key }
}

/** A TCP port that was free on 127.0.0.1 a moment ago (bound to port 0, then released). */
export async function freePort (): Promise<number> {
  const s = createNetServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/** A plain HTTP upstream on 127.0.0.1 that answers `upstream <path>`. */
export async function startUpstream (): Promise<{ url: string, close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume()
    res.end(`upstream ${req.url ?? ''}`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export interface Answer { status: number, body: string }

/** GET over http, or https trusting `ca` (SNI and Host = `host`, default localhost); rejects after `timeoutMs`. */
export function get (url: string, options: { ca?: string, host?: string, timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    }
    const req = url.startsWith('https:')
      ? httpsGet(url, {
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.host === undefined ? {} : { headers: { host: options.host } }),
        servername: options.host ?? 'localhost',
        agent: false
      }, onResponse)
      : httpGet(url, { agent: false }, onResponse)
    req.setTimeout(options.timeoutMs ?? 5_000, () => req.destroy(new Error(`GET ${url} timed out`)))
    req.on('error', reject)
  })
}

/** The serial number (upper-case hex) of the certificate the server at 127.0.0.1:`port` presents for `servername`. */
export function peerSerial (port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const serial = socket.getPeerCertificate().serialNumber.toUpperCase()
      socket.end()
      resolve(serial)
    })
    socket.setTimeout(5_000, () => socket.destroy(new Error('TLS handshake timed out')))
    socket.on('error', reject)
  })
}

/** Retries `probe` every 100 ms until it returns a value, for at most `timeoutMs`; then throws, naming `what`. */
export async function waitFor<T> (what: string | (() => string), timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const described = typeof what === 'string' ? what : what()
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${described}${last ? ` (last error: ${String(last)})` : ''}`)
}

/** The value of one sample in Prometheus text, e.g. `metric(text, 'x_total{result="success"}')`. */
export function metric (text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1))
  }
  return undefined
}
