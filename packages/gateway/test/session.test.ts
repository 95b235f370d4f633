// Session resumption: tickets encrypted with keys supplied from outside (the
// primary shares them across workers). Same keys -> the session resumes, also
// after setTicketKeys() with the same bytes; new keys -> a full handshake.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import tls from 'node:tls'
import { randomBytes } from 'node:crypto'
import { createDataPlane, createWorkerMetrics, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('session')
let pki: Pki
let echo: Echo
let plane: DataPlane
let other: DataPlane
let port = 0
let otherPort = 0
const keys = randomBytes(48)
const metrics = createWorkerMetrics(null)

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  const def = pki.leaf('default', ['default.test'])
  const exact = pki.leaf('exact', ['exact.test'])
  const spec = {
    certs: [{ ...def, domains: ['default.test'] }, { ...exact, domains: ['exact.test'] }],
    apis: [{ name: 'all', targets: [echo.url] }]
  }
  plane = createDataPlane(makeTable(spec), { ticketKeys: keys, metrics })
  port = (await plane.listen()).https.port
  // A second data plane (another worker) holding the same keys.
  other = createDataPlane(makeTable(spec), { ticketKeys: Buffer.from(keys) })
  otherPort = (await other.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await other.drain(1000)
  await echo.close()
  pki.cleanup()
})

interface Outcome { reused: boolean, session: Buffer | null }

// Connects, waits for the session ticket, and reports whether the handshake resumed.
function connect (p: number, servername: string, maxVersion: tls.SecureVersion, session?: Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let ticket: Buffer | null = null
    let reused = false
    let settled = false
    const socket = tls.connect({ host: '127.0.0.1', port: p, servername, ca: pki.caPem, maxVersion, ...(session !== undefined ? { session } : {}) }, () => {
      reused = socket.isSessionReused()
      // The request makes the server flush its NewSessionTicket (TLS 1.3 sends it after the handshake).
      socket.write(`GET /x HTTP/1.1\r\nhost: ${servername}\r\nconnection: close\r\n\r\n`)
    })
    socket.on('session', (s: Buffer) => { ticket = s })
    socket.on('data', () => {})
    socket.on('error', (err) => { if (!settled) { settled = true; reject(err) } })
    socket.on('close', () => { if (!settled) { settled = true; resolve({ reused, session: ticket }) } })
  })
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`${version}: same keys resume (also on another worker), after setTicketKeys(same) too; new keys force a full handshake`, async () => {
    for (const name of ['exact.test', 'default.test']) {
      const first = await connect(port, name, version)
      assert.is(first.reused, false)
      assert.ok(first.session !== null, 'got a session')
      const again = await connect(port, name, version, first.session as Buffer)
      assert.is(again.reused, true, `${name}: resumed with the same keys`)
      const elsewhere = await connect(otherPort, name, version, first.session as Buffer)
      assert.is(elsewhere.reused, true, `${name}: resumed on another worker sharing the keys`)

      plane.setTicketKeys(Buffer.from(keys))
      const same = await connect(port, name, version, first.session as Buffer)
      assert.is(same.reused, true, `${name}: setTicketKeys with the same keys keeps sessions valid`)

      plane.setTicketKeys(randomBytes(48))
      const changed = await connect(port, name, version, first.session as Buffer)
      assert.is(changed.reused, false, `${name}: changed keys force a full handshake`)
      plane.setTicketKeys(keys)
    }
  })
}

test('a session survives a table swap that keeps the certificates', async () => {
  const first = await connect(port, 'exact.test', 'TLSv1.3')
  plane.swap(plane.table)
  const again = await connect(port, 'exact.test', 'TLSv1.3', first.session as Buffer)
  assert.is(again.reused, true)
})

test('resumed handshakes are counted as resumed="true" by version', async () => {
  const values = (await metrics.tlsHandshakes.get()).values
  const count = (version: string, resumed: string): number =>
    values.find((v) => v.labels.version === version && v.labels.resumed === resumed)?.value ?? 0
  // per version: 2 names x (same keys + setTicketKeys(same)) resumed here, the rest full
  // plus one full and one resumed TLS 1.3 handshake from the swap test
  assert.is(count('TLSv1.3', 'true'), 5)
  assert.is(count('TLSv1.2', 'true'), 4)
  assert.is(count('TLSv1.3', 'false'), 5)
  assert.is(count('TLSv1.2', 'false'), 4)
})

test('ticket keys must be 48 bytes', () => {
  try {
    plane.setTicketKeys(randomBytes(32))
    assert.unreachable('should throw')
  } catch (err) {
    assert.is((err as { code?: string }).code, 'GH_GATEWAY_TICKET_KEYS')
    assert.is((err as Error).message, 'session ticket keys must be 48 bytes, got 32')
  }
})

test.run()
