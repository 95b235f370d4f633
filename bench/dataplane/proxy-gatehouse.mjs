// The real data plane (packages/gateway dist) with one API in front of the bench upstream.
// usage: node proxy-gatehouse.mjs PORT UPSTREAM_PORT CERT KEY
import { readFileSync } from 'node:fs'
import { createDataPlane } from '../../packages/gateway/dist/index.js'

const [port, upPort, certFile, keyFile] = process.argv.slice(2)
// wrk sends the URL host as SNI; BENCH_SNI_DOMAIN=127.0.0.1 makes that an SNI context switch.
const DOMAIN = process.env.BENCH_SNI_DOMAIN ?? 'sni.bench.test'
const table = {
  version: 'bench', compiledAt: Date.now(), source: '<bench>', workers: 1, scheduling: 'round_robin', reloadWatch: false,
  shutdownTimeoutMs: 1000,
  listen: { https: { host: '127.0.0.1', port: Number(port) }, http: null },
  admin: { host: '127.0.0.1', port: 0 },
  accessLog: process.env.BENCH_ACCESS_LOG ?? 'off',
  timeouts: { headersMs: 10_000, keepAliveMs: 5000, requestMs: 300_000, sendMs: 60_000 },
  tls: {
    minVersion: 'TLSv1.2',
    ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
    // Certificate 0 is the default; certificate 1 (same key pair) answers SNI = DOMAIN through an SNI context switch.
    certificates: [0, 1].map((i) => ({ certFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8'), domains: i === 0 ? ['bench.test'] : [DOMAIN], sans: [], notAfter: 0, serial: String(i), fingerprint256: '' })),
    exactCerts: { 'bench.test': 0, [DOMAIN]: 1 }, wildcardCerts: {}, defaultCertificate: 0, clientCaPem: null, sessionTickets: true
  },
  redis: null,
  apis: [{
    id: 0, name: 'bench', domain: null, listenPath: '/', stripListenPath: false,
    upstream: { targets: [`http://127.0.0.1:${upPort}`], balance: 'round_robin', preserveHostHeader: false, timeoutMs: 30_000, tls: { caPem: null, insecureSkipVerify: false, certPem: null, keyPem: null, minVersion: 'TLSv1.2' }, healthCheck: null },
    auth: { type: 'keyless' }, rateLimit: null, cache: null, cors: null, ipAllow: [], ipDeny: [], requestHeaders: null, responseHeaders: null, sizeLimit: null
  }],
  hosts: {}, wildcards: {}, anyHost: { '/': 0 }
}
const plane = createDataPlane(table)
await plane.listen()
process.on('SIGINT', () => { process.exit(0) }) // lets --cpu-prof write its profile
process.send?.('ready')
