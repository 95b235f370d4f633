// The real data plane (packages/gateway dist) with one API in front of the bench upstream.
// usage: node proxy-gatehouse.mjs PORT UPSTREAM_PORT CERT KEY
import { readFileSync } from 'node:fs'
import { createDataPlane } from '../../packages/gateway/dist/index.js'

const [port, upPort, certFile, keyFile] = process.argv.slice(2)
const table = {
  version: 'bench', compiledAt: Date.now(), source: '<bench>', workers: 1, scheduling: 'round_robin', reloadWatch: false,
  shutdownTimeoutMs: 1000,
  listen: { https: { host: '127.0.0.1', port: Number(port) }, http: null },
  admin: { host: '127.0.0.1', port: 0 },
  accessLog: process.env.BENCH_ACCESS_LOG ?? 'off',
  timeouts: { headersMs: 10_000, keepAliveMs: 5000, requestMs: 300_000 },
  tls: {
    minVersion: 'TLSv1.2',
    ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
    certificates: [{ certFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8'), domains: ['bench.test'], sans: ['bench.test'], notAfter: 0, serial: '1', fingerprint256: '' }],
    exactCerts: { 'bench.test': 0 }, wildcardCerts: {}, defaultCertificate: 0, clientCaPem: null, sessionTickets: true
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
