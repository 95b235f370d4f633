// Which resumption the listener offers follows tls.session_tickets. With
// tickets on (the default) a session resumes by ticket only: the per-worker
// session-id cache is not attached, because while it is Node stops every
// ClientHello for a JS callback and copies each new session into JS. With
// tickets off the id cache is the only resumption there is (TLS 1.2). A table
// swap that flips the setting attaches or drops the cache.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import tls from 'node:tls'
import { constants } from 'node:crypto'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, startEcho, type Echo, type Pki, type TableSpec } from './helpers.js'

const test = suite('tls-sessions')
let pki: Pki
let echo: Echo
let spec: TableSpec
let plane: DataPlane
let port = 0

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  const leaf = pki.leaf('sessions', ['sessions.test'])
  spec = { certs: [{ ...leaf, domains: ['sessions.test'] }], apis: [{ name: 'all', targets: [echo.url] }] }
  plane = createDataPlane(makeTable(spec))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await echo.close()
  pki.cleanup()
})

interface Outcome { reused: boolean, session: Buffer | null, status: string }

/**
 * One request on a new connection. `noTicket` makes the client refuse tickets,
 * so the only way its session can resume is the server's session-id cache.
 */
function connect (maxVersion: tls.SecureVersion, noTicket: boolean, session?: Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let ticket: Buffer | null = null
    let reused = false
    let head = ''
    let settled = false
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'sessions.test',
      ca: pki.caPem,
      maxVersion,
      ...(noTicket ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
      ...(session !== undefined ? { session } : {})
    }, () => {
      reused = socket.isSessionReused()
      socket.write('GET /x HTTP/1.1\r\nhost: sessions.test\r\nconnection: close\r\n\r\n')
    })
    socket.setEncoding('latin1')
    socket.on('session', (s: Buffer) => { ticket = s })
    socket.on('data', (d: string) => { head += d })
    socket.on('error', (err) => { if (!settled) { settled = true; reject(err) } })
    socket.on('close', () => { if (!settled) { settled = true; resolve({ reused, session: ticket, status: head.slice(0, 12) }) } })
  })
}

async function resumes (maxVersion: tls.SecureVersion, noTicket: boolean): Promise<boolean> {
  const first = await connect(maxVersion, noTicket)
  assert.is(first.status, 'HTTP/1.1 200', 'the first request is served')
  assert.is(first.reused, false, 'the first handshake is full')
  assert.ok(first.session !== null, 'the client got a session to offer')
  const again = await connect(maxVersion, noTicket, first.session as Buffer)
  assert.is(again.status, 'HTTP/1.1 200', 'the second request is served')
  return again.reused
}

test('tickets on (default): TLS 1.2 and 1.3 resume by ticket', async () => {
  assert.is(await resumes('TLSv1.2', false), true, 'TLS 1.2 ticket')
  assert.is(await resumes('TLSv1.3', false), true, 'TLS 1.3 ticket')
})

test('tickets on: a TLS 1.2 client without tickets gets a full handshake (no session-id cache)', async () => {
  assert.is(await resumes('TLSv1.2', true), false)
})

test('a swap to session_tickets: false attaches the session-id cache; TLS 1.2 resumes by id', async () => {
  plane.swap(makeTable({ ...spec, sessionTickets: false }))
  assert.is(await resumes('TLSv1.2', true), true, 'client without tickets')
  assert.is(await resumes('TLSv1.2', false), true, 'client offering tickets (the server issues none)')
})

test('a swap back to tickets drops the cache: ids no longer resume, tickets do', async () => {
  const first = await connect('TLSv1.2', true)
  plane.swap(makeTable(spec))
  const again = await connect('TLSv1.2', true, first.session as Buffer)
  assert.is(again.status, 'HTTP/1.1 200')
  assert.is(again.reused, false, 'the id cached before the swap does not resume')
  assert.is(await resumes('TLSv1.2', false), true, 'TLS 1.2 ticket')
  assert.is(await resumes('TLSv1.3', false), true, 'TLS 1.3 ticket')
})

test.run()
