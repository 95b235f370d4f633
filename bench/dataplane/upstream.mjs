// Bench upstream: plain-HTTP keep-alive server with a small fixed body on `/`
// and a prebuilt 10 MiB body on `/10m`; with --https it serves the same over
// TLS (the "direct" ceiling the proxies are compared to).
// usage: node upstream.mjs PORT [--https CERT KEY]
import http from 'node:http'
import https from 'node:https'
import { readFileSync } from 'node:fs'

const [port, flag, certFile, keyFile] = process.argv.slice(2)
const small = Buffer.from('{"ok":true,"service":"bench-upstream"}\n')
const big = Buffer.alloc(10 * 1024 * 1024, 120)
const handler = (req, res) => {
  req.resume()
  const body = req.url === '/10m' ? big : small
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
  res.end(body)
}
const server = flag === '--https'
  ? https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, handler)
  : http.createServer(handler)
server.keepAliveTimeout = 65_000
server.listen(Number(port), '127.0.0.1', () => { process.send?.('ready') })
