// Test helpers for the data-path tests: a throwaway PKI made with the openssl
// CLI in a temp dir, RoutingTable literals built the way the config compiler
// lays them out, and a small HTTPS client that verifies against the test CA.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import https from 'node:https'
import http from 'node:http'
import tls from 'node:tls'
import net from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'
import type { RoutingTable, CompiledApi, CompiledCertificate } from '@gatehouse/config'

export interface Pki {
  dir: string
  caPem: string
  /** Issues a leaf for the DNS/IP SANs; `client` makes a clientAuth certificate. */
  leaf(name: string, sans: string[], client?: boolean, ca?: 'main' | 'other'): { certPem: string, keyPem: string, certFile: string, keyFile: string }
  otherCaPem: string
  cleanup(): void
}

function openssl (args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

function makeCa (dir: string, name: string): void {
  openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}-key.pem`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=Gatehouse test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
}

/** Creates a CA (and a second, unrelated one) in a fresh temp dir. */
export function makePki (): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-dp-'))
  makeCa(dir, 'ca')
  makeCa(dir, 'other')
  let n = 0
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    otherCaPem: readFileSync(join(dir, 'other.pem'), 'utf8'),
    leaf (name, sans, client = false, ca = 'main') {
      const base = `${name.replace(/[^a-z0-9]/gi, '_')}-${n++}`
      const san = sans.map((s) => /^[\d.]+$/.test(s) || s.includes(':') ? `IP:${s}` : `DNS:${s}`).join(',')
      writeFileSync(join(dir, `${base}.ext`), [
        san !== '' ? `subjectAltName=${san}` : '',
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        `extendedKeyUsage=${client ? 'clientAuth' : 'serverAuth'}`
      ].filter(Boolean).join('\n') + '\n')
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', `${base}-key.pem`, '-out', `${base}.csr`, '-subj', `/CN=${name}`], dir)
      const caName = ca === 'main' ? 'ca' : 'other'
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}-key.pem`, '-CAcreateserial',
        '-out', `${base}.pem`, '-days', '2', '-extfile', `${base}.ext`], dir)
      return {
        certPem: readFileSync(join(dir, `${base}.pem`), 'utf8'),
        keyPem: readFileSync(join(dir, `${base}-key.pem`), 'utf8'),
        certFile: join(dir, `${base}.pem`),
        keyFile: join(dir, `${base}-key.pem`)
      }
    },
    cleanup () { rmSync(dir, { recursive: true, force: true }) }
  }
}

export interface ApiSpec {
  name: string
  domain?: string | null
  listenPath?: string
  strip?: boolean
  targets: string[]
  preserveHost?: boolean
  timeoutMs?: number
  mtls?: boolean
  upstreamCaPem?: string | null
  insecure?: boolean
  upstreamCertPem?: string | null
  upstreamKeyPem?: string | null
  balance?: 'round_robin' | 'least_conn'
}

export interface TableSpec {
  certs: Array<{ certPem: string, keyPem: string, domains: string[] }>
  apis: ApiSpec[]
  defaultCertificate?: number
  minVersion?: 'TLSv1.2' | 'TLSv1.3'
  clientCaPem?: string | null
  sessionTickets?: boolean
  http?: { redirectHttps: boolean } | null
  accessLog?: string
  timeouts?: { headersMs: number, keepAliveMs: number, requestMs: number, sendMs?: number }
}

// Mozilla "intermediate" TLS 1.2 suites: ECDHE + AEAD only.
const SAFE_CIPHERS = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305'

/** A RoutingTable literal laid out like the config compiler's output. */
export function makeTable (spec: TableSpec): RoutingTable {
  const certificates: CompiledCertificate[] = spec.certs.map((c, i) => ({
    certFile: `/test/cert-${i}.pem`,
    certPem: c.certPem,
    keyPem: c.keyPem,
    domains: c.domains,
    sans: c.domains,
    notAfter: Date.now() + 86_400_000,
    serial: String(i),
    fingerprint256: ''
  }))
  const exactCerts: Record<string, number> = {}
  const wildcardCerts: Record<string, number> = {}
  certificates.forEach((c, i) => {
    for (const d of c.domains) {
      if (d.startsWith('*.')) wildcardCerts[d.slice(2)] ??= i
      else exactCerts[d] ??= i
    }
  })
  const apis: CompiledApi[] = spec.apis.map((a, id) => ({
    id,
    name: a.name,
    domain: a.domain ?? null,
    listenPath: a.listenPath ?? '/',
    stripListenPath: a.strip ?? false,
    upstream: {
      targets: a.targets,
      balance: a.balance ?? 'round_robin',
      preserveHostHeader: a.preserveHost ?? false,
      timeoutMs: a.timeoutMs ?? 30_000,
      tls: { caPem: a.upstreamCaPem ?? null, insecureSkipVerify: a.insecure ?? false, certPem: a.upstreamCertPem ?? null, keyPem: a.upstreamKeyPem ?? null, minVersion: 'TLSv1.2' as const },
      healthCheck: null
    },
    auth: a.mtls === true ? { type: 'mtls' as const } : { type: 'keyless' as const },
    rateLimit: null,
    cache: null,
    cors: null,
    ipAllow: [],
    ipDeny: [],
    requestHeaders: null,
    responseHeaders: null,
    sizeLimit: null
  }))
  const hosts: Record<string, Record<string, number>> = {}
  const wildcards: Record<string, Record<string, number>> = {}
  const anyHost: Record<string, number> = {}
  for (const api of apis) {
    if (api.domain === null) anyHost[api.listenPath] = api.id
    else if (api.domain.startsWith('*.')) (wildcards[api.domain.slice(2)] ??= {})[api.listenPath] = api.id
    else (hosts[api.domain] ??= {})[api.listenPath] = api.id
  }
  return {
    version: 'test',
    compiledAt: Date.now(),
    source: '<test>',
    workers: 1,
    scheduling: 'round_robin',
    reloadWatch: false,
    shutdownTimeoutMs: 5000,
    listen: {
      https: { host: '127.0.0.1', port: 0 },
      http: spec.http == null ? null : { host: '127.0.0.1', port: 0, redirectHttps: spec.http.redirectHttps }
    },
    admin: { host: '127.0.0.1', port: 0 },
    accessLog: spec.accessLog ?? 'off',
    timeouts: { headersMs: 10_000, keepAliveMs: 5000, requestMs: 300_000, sendMs: 60_000, ...spec.timeouts },
    tls: {
      minVersion: spec.minVersion ?? 'TLSv1.2',
      ciphers: SAFE_CIPHERS,
      certificates,
      exactCerts,
      wildcardCerts,
      defaultCertificate: spec.defaultCertificate ?? 0,
      clientCaPem: spec.clientCaPem ?? null,
      sessionTickets: spec.sessionTickets ?? true
    },
    redis: null,
    apis,
    hosts,
    wildcards,
    anyHost
  }
}

export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  json<T = any>(): T
}

export interface RequestSpec {
  port: number
  host: string
  path?: string
  method?: string
  headers?: Record<string, string | string[]>
  body?: string | Buffer
  ca: string
  cert?: string
  key?: string
}

/** One HTTPS request on a fresh connection to 127.0.0.1, SNI and Host = `host`, verified against `ca`. */
export function request (spec: RequestSpec): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const opts: https.RequestOptions = {
      host: '127.0.0.1',
      port: spec.port,
      path: spec.path ?? '/',
      method: spec.method ?? 'GET',
      servername: spec.host,
      headers: { host: spec.host, ...spec.headers },
      ca: spec.ca,
      agent: false
    }
    if (spec.cert !== undefined) opts.cert = spec.cert
    if (spec.key !== undefined) opts.key = spec.key
    const req = https.request(opts, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(spec.body)
  })
}

/** Runs curl and returns stdout (throws on a non-zero exit). */
export function curl (args: string[]): string {
  return execFileSync('curl', ['-sS', '--max-time', '10', ...args], { encoding: 'utf8' })
}

export interface Echo {
  url: string
  port: number
  /** Requests seen, in order (method, url, raw headers). */
  seen: Array<{ method: string, url: string, rawHeaders: string[], remotePort: number }>
  close(): Promise<void>
}

/** A plain-HTTP upstream that answers every request with JSON {method, url, headers, rawHeaders, body_bytes}; `/slow` paths after 400 ms. */
export function startEcho (): Promise<Echo> {
  const seen: Echo['seen'] = []
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, remotePort: req.socket.remotePort ?? 0 })
    let bytes = 0
    req.on('data', (c: Buffer) => { bytes += c.length })
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders, body_bytes: bytes })
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        res.end(body)
      }
      // Paths containing /slow answer after 400 ms.
      if ((req.url ?? '').includes('/slow')) setTimeout(answer, 400)
      else answer()
    })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as import('node:net').AddressInfo).port
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        seen,
        close: () => new Promise<void>((done) => { server.close(() => { done() }); server.closeAllConnections() })
      })
    })
  })
}

/** Writes raw bytes over TLS and collects what comes back until the server closes (or `waitMs` passes). */
export function rawTls (port: number, servername: string, ca: string, data: string | Buffer, waitMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca }, () => { socket.write(data) })
    let out = ''
    const timer = setTimeout(() => { socket.destroy(); resolve(out) }, waitMs)
    socket.on('data', (b: Buffer) => { out += b.toString('latin1') })
    socket.on('close', () => { clearTimeout(timer); resolve(out) })
    socket.on('error', (err) => { clearTimeout(timer); if (out === '') reject(err); else resolve(out) })
  })
}

/** A scripted upstream: plain TCP, or TLS with `cert`, on 127.0.0.1; `close` destroys its sockets too. */
export interface RawServer { port: number, close(): void }

/** Starts a server whose every connection (the TLS one once secure) goes to `onSocket`. */
export async function startRaw (onSocket: (socket: net.Socket) => void, cert?: { certPem: string, keyPem: string }): Promise<RawServer> {
  const server = cert === undefined ? net.createServer(onSocket) : tls.createServer({ cert: cert.certPem, key: cert.keyPem }, onSocket)
  const sockets = new Set<net.Socket>()
  server.on(cert === undefined ? 'connection' : 'secureConnection', (s: net.Socket) => { sockets.add(s) })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => { for (const s of sockets) s.destroy(); server.close() }
  }
}

/** A port nothing listens on (bound, then released). */
export function deadPort (): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as import('node:net').AddressInfo).port
      s.close(() => { resolve(p) })
    })
  })
}
