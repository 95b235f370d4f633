// Candidate B for the upstream client: node:https server + undici 7 Pool
// (pool.stream writes the response straight into the ServerResponse), with the
// data plane's own header rewriting.
// usage: node proxy-undici.mjs PORT UPSTREAM_PORT CERT KEY
import https from 'node:https'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { upstreamRequestHeaders, readFraming, connectionTokens, isHopByHop } from '../../packages/gateway/dist/headers.js'

const require = createRequire(new URL('../../packages/gateway/package.json', import.meta.url))
const { Pool } = require('undici')
const [port, upPort, certFile, keyFile] = process.argv.slice(2)
const pool = new Pool(`http://127.0.0.1:${upPort}`, { connections: 256, pipelining: 1, keepAliveTimeout: 4000 })
const framing = { contentLength: null, chunked: false, error: false }

function factory ({ statusCode, headers, opaque }) {
  const res = opaque
  const listed = connectionTokens(headers.connection)
  const out = []
  for (const name of Object.keys(headers)) {
    if (isHopByHop(name) || (listed !== null && listed.has(name))) continue
    out.push(name, headers[name])
  }
  out.push('x-request-id', 'bench')
  res.writeHead(statusCode, out)
  return res
}

const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  readFraming(req.rawHeaders, framing)
  const headers = upstreamRequestHeaders(req.rawHeaders, req.headers.connection, {
    host: `127.0.0.1:${upPort}`, clientIp: req.socket.remoteAddress ?? '', proto: 'https', forwardedHost: req.headers.host ?? '', requestId: 'bench', framing, upgrade: null
  })
  pool.stream({ path: req.url, method: req.method, headers, opaque: res }, factory, (err) => { if (err) res.destroy() })
})
server.keepAliveTimeout = 5000
server.listen(Number(port), '127.0.0.1', () => { process.send?.('ready') })
