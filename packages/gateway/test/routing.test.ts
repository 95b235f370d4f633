// Host and path routing through the real data plane: DESIGN.md precedence
// (exact host > one-label wildcard > any host), longest listen_path on a
// segment boundary, strip_listen_path with the query kept exactly, 404 JSON.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createDataPlane, type DataPlane } from '@gatehouse/gateway'
import { makePki, makeTable, request, startEcho, type Echo, type Pki } from './helpers.js'

const test = suite('routing')
let pki: Pki
let echo: Echo
let plane: DataPlane
let port = 0

const NAMES = ['api.test', 'other.test', '*.wild.test', 'b.a.wild.test', 'any.test', 'new.test']

test.before(async () => {
  pki = makePki()
  echo = await startEcho()
  const leaf = pki.leaf('test', NAMES)
  // Each API's target carries its name as a base path, so the upstream sees which API served.
  const t = (name: string): string[] => [`${echo.url}/${name}`]
  plane = createDataPlane(makeTable({
    certs: [{ ...leaf, domains: NAMES }],
    apis: [
      { name: 'exact-root', domain: 'api.test', listenPath: '/', targets: t('exact-root') },
      { name: 'exact-api', domain: 'api.test', listenPath: '/api', targets: t('exact-api') },
      { name: 'exact-api-v1', domain: 'api.test', listenPath: '/api/v1', targets: t('exact-api-v1') },
      { name: 'strip', domain: 'api.test', listenPath: '/strip', strip: true, targets: t('strip') },
      { name: 'wild', domain: '*.wild.test', listenPath: '/', targets: t('wild') },
      { name: 'wild-deep', domain: '*.wild.test', listenPath: '/deep', targets: t('wild-deep') },
      { name: 'any-root', listenPath: '/shared', targets: t('any-shared') },
      { name: 'other', domain: 'other.test', listenPath: '/b', strip: true, targets: t('other') }
    ]
  }))
  port = (await plane.listen()).https.port
})

test.after(async () => {
  await plane.drain(1000)
  await echo.close()
  pki.cleanup()
})

async function seen (host: string, path: string, hostHeader?: string): Promise<string> {
  const r = await request({ port, host, path, ca: pki.caPem, ...(hostHeader !== undefined ? { headers: { host: hostHeader } } : {}) })
  assert.is(r.status, 200, `${host}${path} -> ${r.status} ${r.body.toString()}`)
  return r.json().url
}

test('longest listen_path on a segment boundary wins', async () => {
  assert.is(await seen('api.test', '/api/v1/x'), '/exact-api-v1/api/v1/x')
  assert.is(await seen('api.test', '/api/v1'), '/exact-api-v1/api/v1')
  assert.is(await seen('api.test', '/api/v1/'), '/exact-api-v1/api/v1/')
  assert.is(await seen('api.test', '/api/v10'), '/exact-api/api/v10')
  assert.is(await seen('api.test', '/api'), '/exact-api/api')
  assert.is(await seen('api.test', '/api?x=1'), '/exact-api/api?x=1')
  assert.is(await seen('api.test', '/apiary'), '/exact-root/apiary', '/api never matches /apiary')
  assert.is(await seen('api.test', '/'), '/exact-root/')
})

test('strip_listen_path on: prefix removed, query kept exactly; off: path kept', async () => {
  assert.is(await seen('api.test', '/strip/a/b?a=1&b=%20x&&c=%2F'), '/strip/a/b?a=1&b=%20x&&c=%2F')
  assert.is(await seen('api.test', '/strip?x=1'), '/strip/?x=1')
  assert.is(await seen('api.test', '/strip'), '/strip/')
  assert.is(await seen('other.test', '/b/sub?k=v'), '/other/sub?k=v')
  assert.is(await seen('api.test', '/api/keep?q=%41'), '/exact-api/api/keep?q=%41')
})

test('precedence: exact host, then one-label wildcard, then any host; else 404 JSON', async () => {
  assert.is(await seen('a.wild.test', '/deep/x'), '/wild-deep/deep/x')
  assert.is(await seen('a.wild.test', '/other'), '/wild/other')
  // the host's own APIs have no /shared match on *.wild.test? they do: `/` -> wild.
  assert.is(await seen('a.wild.test', '/shared/x'), '/wild/shared/x')
  // exact host without a match falls through to the any-host APIs
  assert.is(await seen('other.test', '/shared/x'), '/any-shared/shared/x')
  assert.is(await seen('any.test', '/shared/x'), '/any-shared/shared/x')
  // two labels below the wildcard parent do not match `*.wild.test`
  const twoLabels = await request({ port, host: 'b.a.wild.test', path: '/x', ca: pki.caPem })
  assert.is(twoLabels.status, 404)
  const body = twoLabels.json()
  assert.is(body.error, 'no API matches this host and path')
  assert.ok(typeof body.request_id === 'string' && body.request_id.length > 0)
  assert.is(twoLabels.headers['x-request-id'], body.request_id)
  assert.is(twoLabels.headers['content-type'], 'application/json')
  const none = await request({ port, host: 'any.test', path: '/sharedx', ca: pki.caPem })
  assert.is(none.status, 404, '/shared never matches /sharedx')
})

test('host is case-insensitive and the port is ignored', async () => {
  assert.is(await seen('api.test', '/api/v1/x', `API.Test:${port}`), '/exact-api-v1/api/v1/x')
  assert.is(await seen('api.test', '/api/v1/x', 'api.test.'), '/exact-api-v1/api/v1/x')
})

test('swap: new requests use the new table, the old one is gone', async () => {
  const old = plane.table
  plane.swap({ ...old, hosts: { ...old.hosts, 'new.test': { '/': 0 } } })
  assert.is(await seen('new.test', '/n'), '/exact-root/n')
  plane.swap(old)
  const after = await request({ port, host: 'new.test', path: '/n', ca: pki.caPem })
  assert.is(after.status, 404)
})

test.run()
