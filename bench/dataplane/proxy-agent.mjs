// Candidate A for the upstream client: node:https server + node:http request
// over a keep-alive http.Agent, with the data plane's own header rewriting.
// usage: node proxy-agent.mjs PORT UPSTREAM_PORT CERT KEY
import http from 'node:http'
import https from 'node:https'
import { readFileSync } from 'node:fs'
import { upstreamRequestHeaders, clientResponseHeaders, readFraming } from '../../packages/gateway/dist/headers.js'

const [port, upPort, certFile, keyFile] = process.argv.slice(2)
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024, timeout: 4000, scheduling: 'lifo' })
const framing = { contentLength: null, chunked: false, error: false }
const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  readFraming(req.rawHeaders, framing)
  const headers = upstreamRequestHeaders(req.rawHeaders, req.headers.connection, {
    host: `127.0.0.1:${upPort}`, clientIp: req.socket.remoteAddress ?? '', proto: 'https', forwardedHost: req.headers.host ?? '', requestId: 'bench', framing, upgrade: null
  })
  const up = http.request({ agent, hostname: '127.0.0.1', port: Number(upPort), method: req.method, path: req.url, headers, setHost: false }, (upRes) => {
    res.writeHead(upRes.statusCode, clientResponseHeaders(upRes.rawHeaders, upRes.headers.connection, 'bench', false))
    upRes.pipe(res)
  })
  up.on('error', () => { res.destroy() })
  up.end()
})
server.keepAliveTimeout = 5000
process.on('SIGINT', () => { process.exit(0) })
server.listen(Number(port), '127.0.0.1', () => { process.send?.('ready') })
