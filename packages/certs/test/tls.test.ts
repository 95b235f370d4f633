// Real Node TLS servers and clients on 127.0.0.1 (port 0, closed in teardown):
// hostname verification of wildcard and IP SANs, the full chain through an
// intermediate, and client certificates (EKU clientAuth) for mTLS.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { get } from 'node:https'
import { connect, createServer, type Server, type TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { createIntermediate, createLeaf, createRootCa, type CaResult } from '@gatehouse/certs'

const test = suite('tls')
const servers: Server[] = []
let root: CaResult
test.before(async () => { root = await createRootCa({ cn: 'TLS Test Root' }) })
// A TLS server whose handshake failed on the client side may never report its
// connection gone, so `close` could wait forever: destroy what is open and give
// the close callback a bounded wait.
const sockets = new Set<import('node:net').Socket>()
function track (server: Server): Server {
  server.on('connection', (s: import('node:net').Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  servers.push(server)
  return server
}
test.after.each(async () => {
  for (const s of sockets) s.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 500)
    s.close(() => { clearTimeout(timer); resolve() })
  })))
})

async function serve (cert: string, key: string, extra: Record<string, unknown> = {}): Promise<number> {
  const server = createServer({ cert, key, ...extra }, (socket) => {
    socket.end(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok`)
  })
  track(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** Connects and reports the outcome: 'ok' or the error code. */
async function handshake (port: number, servername: string, opts: Record<string, unknown> = {}): Promise<string> {
  return await new Promise((resolve) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername, ca: root.certPem, ...opts }, () => {
      socket.end()
      resolve(socket.authorized ? 'ok' : String(socket.authorizationError))
    })
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    socket.setTimeout(10_000, () => { socket.destroy(); resolve('timeout') })
  })
}

test('wildcard SAN: api.tyk.localhost passes hostname verification, a.b.tyk.localhost fails', async () => {
  const leaf = await createLeaf(root, ['*.tyk.localhost'])
  const port = await serve(leaf.fullchainPem, leaf.keyPem)
  assert.is(await handshake(port, 'api.tyk.localhost'), 'ok')
  assert.is(await handshake(port, 'a.b.tyk.localhost'), 'ERR_TLS_CERT_ALTNAME_INVALID')
  assert.is(await handshake(port, 'tyk.localhost'), 'ERR_TLS_CERT_ALTNAME_INVALID')
})

test('IP SAN: https://127.0.0.1 works with the root as CA; an untrusted root fails', async () => {
  const leaf = await createLeaf(root, ['127.0.0.1'], { keyType: 'rsa2048' })
  const port = await serve(leaf.fullchainPem, leaf.keyPem)
  const fetch = (ca: string): Promise<string> => new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: '/', ca, agent: false }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString() })
      res.on('end', () => resolve(`${res.statusCode ?? 0} ${body}`))
    }).on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
  assert.is(await fetch(root.certPem), '200 ok')
  const other = await createRootCa()
  assert.is(await fetch(other.certPem), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')
})

test('intermediate: a server sending the fullchain verifies with only the root; the bare leaf does not', async () => {
  const inter = await createIntermediate(root, {})
  const leaf = await createLeaf(inter, ['chain.tyk.localhost'])
  const full = await serve(leaf.fullchainPem, leaf.keyPem)
  const bare = await serve(leaf.certPem, leaf.keyPem)
  assert.is(await handshake(full, 'chain.tyk.localhost'), 'ok')
  assert.is(await handshake(bare, 'chain.tyk.localhost'), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')
})

test('client certificates: --client leaves pass mTLS, server-only leaves are refused', async () => {
  const server = await createLeaf(root, ['mtls.tyk.localhost'])
  const client = await createLeaf(root, ['client.tyk.localhost'], { client: true })
  const serverOnly = await createLeaf(root, ['nope.tyk.localhost'])
  const peer = async (cert: string, key: string): Promise<string> => await new Promise((resolve) => {
    const s = createServer({ cert: server.fullchainPem, key: server.keyPem, requestCert: true, rejectUnauthorized: false, ca: root.certPem }, (socket) => {
      resolve(socket.authorized ? 'authorized' : String(socket.authorizationError))
      socket.end()
    })
    track(s)
    s.listen(0, '127.0.0.1', () => {
      const c = connect({ host: '127.0.0.1', port: (s.address() as AddressInfo).port, servername: 'mtls.tyk.localhost', ca: root.certPem, cert, key }, () => c.end())
      c.on('error', () => {})
    })
  })
  assert.is(await peer(client.certPem, client.keyPem), 'authorized')
  assert.is(await peer(serverOnly.certPem, serverOnly.keyPem), 'INVALID_PURPOSE')
})

test.run()
