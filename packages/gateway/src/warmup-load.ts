// The load side of a worker's warm-up (warmup.ts), run in a worker thread so
// that none of its sockets shares type feedback with the code that serves:
// a plain-HTTP upstream on 127.0.0.1, and a TLS client that keeps
// CONNECTIONS keep-alive connections busy with requests, one after another
// on each, until it has sent what it was asked to or its time is up.
import { parentPort } from 'node:worker_threads'
import net from 'node:net'
import tls from 'node:tls'
import type { AddressInfo } from 'node:net'

/** Where one warm-up connection sends its requests. */
export interface Aim { host: string, servername: string | undefined, prefix: string }

/** What the serving thread asks: start the upstream (answer: its port), or drive a plane (answer: requests answered 200). */
export type LoadRequest =
  | { act: 'upstream' }
  | { act: 'drive', port: number, aims: Aim[], requests: number, forMs: number }

/** The answer to a LoadRequest. */
export interface LoadReply { value: number }

// Connections the warm-up client keeps busy at once.
const CONNECTIONS = 8
const RESPONSE_BODY = '{"ok":true,"from":"gatehouse warm-up upstream","padding":"' + 'x'.repeat(40) + '"}'

async function answer (req: LoadRequest): Promise<number> {
  if (req.act === 'upstream') return await startUpstream()
  const deadline = performance.now() + req.forMs
  let issued = 0
  const next = (): number => (issued < req.requests && performance.now() < deadline ? issued++ : -1)
  const sockets = new Set<tls.TLSSocket>()
  // An answer that never comes must not hold the worker back either.
  const stop = setTimeout(() => { for (const s of sockets) s.destroy() }, Math.max(0, req.forMs) + 500)
  const counts = await Promise.all(Array.from({ length: CONNECTIONS }, (_, k) => drive(req.port, req.aims[k % req.aims.length] as Aim, next, sockets)))
  clearTimeout(stop)
  return counts.reduce((a, b) => a + b, 0)
}

parentPort?.on('message', (req: LoadRequest) => {
  void answer(req).then((value) => { parentPort?.postMessage({ value } satisfies LoadReply) })
})

/** One keep-alive connection sending requests one after another; resolves with how many were answered 200. */
function drive (port: number, aim: Aim, next: () => number, sockets: Set<tls.TLSSocket>): Promise<number> {
  return new Promise((resolve) => {
    let answered = 0
    let got = ''
    const socket = tls.connect({ host: '127.0.0.1', port, servername: aim.servername, rejectUnauthorized: false })
    sockets.add(socket)
    // One kind of request and of answer, the commonest: a warm-up must not
    // teach the compiler more variety than the traffic will (POSTs, chunked
    // answers and other header sets in it cost 3-4% more instructions per
    // plain GET afterwards, bench/instructions.mjs); real traffic brings its
    // own variety either way.
    const request = `GET ${aim.prefix}warmup HTTP/1.1\r\nhost: ${aim.host}\r\nuser-agent: gatehouse-warmup\r\naccept: */*\r\n\r\n`
    const send = (): void => {
      if (next() === -1) {
        socket.end()
        return
      }
      socket.write(request)
    }
    socket.setEncoding('latin1')
    socket.on('secureConnect', send)
    socket.on('data', (chunk: string) => {
      got += chunk
      if (!responseComplete(got)) return
      // Only a 200 warmed the path a request takes through a working route (a 404 or 502 warms the error path).
      if (got.startsWith('HTTP/1.1 200 ')) answered++
      got = ''
      send()
    })
    socket.on('error', () => {})
    socket.on('close', () => { resolve(answered) })
  })
}

// The warm-up upstream's answers are small: a whole one ends with its body.
function responseComplete (text: string): boolean {
  const end = text.indexOf('\r\n\r\n')
  if (end === -1) return false
  const length = /content-length: *(\d+)/i.exec(text.slice(0, end))
  return length !== null && text.length >= end + 4 + Number(length[1])
}

/** Starts a plain-HTTP upstream on 127.0.0.1 answering each request head as nginx would; resolves with its port. */
async function startUpstream (): Promise<number> {
  const server = net.createServer((socket) => {
    socket.setEncoding('latin1')
    let got = ''
    socket.on('data', (chunk: string) => {
      got += chunk
      // Bodiless requests only: each head is answered.
      for (let end = got.indexOf('\r\n\r\n'); end !== -1; end = got.indexOf('\r\n\r\n')) {
        got = got.slice(end + 4)
        socket.write(`HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${RESPONSE_BODY.length}\r\nConnection: keep-alive\r\n\r\n${RESPONSE_BODY}`)
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    // exclusive: bound here, never through the cluster primary (a thread of a cluster worker inherits its environment).
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve)
  })
  // Closed with the thread (warmup.ts terminates it).
  return (server.address() as AddressInfo).port
}
