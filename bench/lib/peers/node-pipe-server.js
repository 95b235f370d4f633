// The floor of a Node proxy: node:https in front, node:http with a keep-alive
// Agent behind, bodies piped, nothing else (no routing table, no metrics, no
// request ids). On a node:cluster of N workers like Gatehouse. What Gatehouse
// costs above this line is its own; what this costs above nginx is Node's
// (TLS through libuv streams, two HTTP parsers, the stream machinery).
// Hop-by-hop headers of the upstream's answer are dropped so Node's server
// decides keep-alive from the client's request.
// Config: JSON in BENCH_NODE_PIPE = { host, port, workers, upstreamPort, ec: {cert,key}, rsa: {cert,key} }.
import http from 'node:http'
import { serveHttpsCluster } from './https-cluster.js'

const cfg = JSON.parse(process.env.BENCH_NODE_PIPE ?? '{}')

serveHttpsCluster(cfg, 'node-pipe', () => {
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024 })
  const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection'])
  return (req, res) => {
    const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress }
    delete headers.connection
    const up = http.request({ host: '127.0.0.1', port: cfg.upstreamPort, method: req.method, path: req.url, headers, agent }, (ures) => {
      const out = {}
      for (const [k, v] of Object.entries(ures.headers)) if (!HOP.has(k)) out[k] = v
      res.writeHead(ures.statusCode ?? 502, out)
      ures.pipe(res)
    })
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end() })
    req.pipe(up)
  }
})
