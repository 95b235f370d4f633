// Routing-table property test: for random estates of domains (exact, one-
// label wildcards, none) and listen paths, the walk over the compiled table
// that README.md specifies picks the same API as a slow reference matcher
// that scans every API, for random hosts and paths. Seeded PRNG, bounded.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { loadAndCompile } from '@gatehouse/config'
import type { RoutingTable, PathMap } from '@gatehouse/config'
import { makeCert, mustLoad, tempDir, write } from './helpers.js'
import { LABELS, PARENTS, ROUTING_ESTATES as ESTATES, ROUTING_SEED, pick, prng, randomEstate, randomPath } from './configs.js'
import type { Api } from './configs.js'

const test = suite('routing')
let dir = ''
let cleanup = (): void => {}
test.before(() => {
  ({ dir, cleanup } = tempDir())
  makeCert(dir, 'site', ['*.example.com'])
})
test.after(() => cleanup())

/** The fast path: host -> hosts / wildcards[parent] / anyHost, each walked longest prefix first. */
function route (t: RoutingTable, hostHeader: string, rawPath: string): number | null {
  const host = hostHeader.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '')
  const path = rawPath.split('?')[0] as string
  const walk = (map: PathMap | undefined): number | null => {
    if (map === undefined) return null
    let p = path
    for (;;) {
      if (Object.hasOwn(map, p)) return map[p] as number
      if (p === '/') return null
      const i = p.lastIndexOf('/')
      p = i <= 0 ? '/' : p.slice(0, i)
    }
  }
  const dot = host.indexOf('.')
  const parent = dot === -1 ? '' : host.slice(dot + 1)
  return walk(Object.hasOwn(t.hosts, host) ? t.hosts[host] : undefined) ??
    walk(parent !== '' && Object.hasOwn(t.wildcards, parent) ? t.wildcards[parent] : undefined) ??
    walk(t.anyHost)
}

/** The slow reference: scan every API; best tier (exact < wildcard < any), then longest listen path. */
function reference (apis: Api[], hostHeader: string, rawPath: string): number | null {
  const host = hostHeader.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '')
  const path = rawPath.split('?')[0] as string
  let best: number | null = null
  let bestTier = 9
  let bestLen = -1
  apis.forEach((a, id) => {
    let tier: number
    if (a.domain === null) tier = 2
    else if (a.domain === host) tier = 0
    else if (a.domain.startsWith('*.')) {
      const p = a.domain.slice(1) // ".parent"
      const label = host.endsWith(p) ? host.slice(0, host.length - p.length) : ''
      if (label === '' || label.includes('.')) return
      tier = 1
    } else return
    const lp = a.listenPath
    const matches = lp === '/' || path === lp || path.startsWith(lp + '/')
    if (!matches) return
    if (tier < bestTier || (tier === bestTier && lp.length > bestLen)) { best = id; bestTier = tier; bestLen = lp.length }
  })
  return best
}

function randomHost (r: () => number, apis: Api[]): string {
  const k = r()
  let host: string
  if (k < 0.5 && apis.length > 0) {
    const d = pick(r, apis).domain ?? pick(r, PARENTS)
    host = d.startsWith('*.') ? `${pick(r, [...LABELS, 'zz', 'a.b'])}.${d.slice(2)}` : d
  } else if (k < 0.8) host = `${pick(r, LABELS)}.${pick(r, PARENTS)}`
  else host = pick(r, ['localhost', 'unknown.test', 'a.b.example.com', 'example.com', 'constructor', '__proto__'])
  if (r() < 0.3) host = host.toUpperCase()
  if (r() < 0.3) host += ':8443'
  return host
}

const REQUESTS = 250

test(`compiled table == reference matcher on ${ESTATES} random estates x ${REQUESTS} requests`, () => {
  let compared = 0
  let routed = 0
  for (let e = 0; e < ESTATES; e++) {
    const r = prng(ROUTING_SEED + e)
    const { apis, yaml } = randomEstate(r)
    const file = write(dir, `estate-${e}.yaml`, yaml)
    const t = mustLoad(loadAndCompile(file, {})).table
    assert.is(t.apis.length, apis.length)
    for (let q = 0; q < REQUESTS; q++) {
      const host = randomHost(r, apis)
      let path = randomPath(r, 4)
      if (r() < 0.2) path += '/'
      if (r() < 0.1) path += '?q=1'
      const got = route(t, host, path)
      const want = reference(apis, host, path)
      if (got !== want) assert.unreachable(`estate ${e}: ${host}${path} -> table ${String(got)}, reference ${String(want)}\n${yaml}`)
      compared++
      if (got !== null) routed++
    }
  }
  assert.is(compared, ESTATES * REQUESTS)
  // Guard against a vacuous test: a good share of requests must hit an API, and some must 404.
  assert.ok(routed > compared * 0.3 && routed < compared, `routed ${routed} of ${compared}`)
})

test('segment boundaries: /api matches /api, /api/, /api/x, never /apiary', () => {
  const file = write(dir, 'bound.yaml', 'version: 1\ntls:\n  certificates:\n    - { cert_file: site.pem, key_file: site-key.pem }\napis:\n' +
    '  - { name: api, listen_path: /api/, upstream: { targets: [http://127.0.0.1:9000] } }\n' +
    '  - { name: exact, domain: a.example.com, listen_path: /api/v1, upstream: { targets: [http://127.0.0.1:9000] } }\n' +
    '  - { name: wild, domain: "*.example.com", listen_path: /, upstream: { targets: [http://127.0.0.1:9000] } }\n')
  const t = mustLoad(loadAndCompile(file, {})).table
  assert.is(route(t, 'other.test', '/api'), 0)
  assert.is(route(t, 'other.test', '/api/'), 0)
  assert.is(route(t, 'other.test', '/api/x'), 0)
  assert.is(route(t, 'other.test', '/apiary'), null)
  assert.is(route(t, 'A.Example.com:8443', '/api/v1/users'), 1, 'exact host, longest prefix')
  assert.is(route(t, 'a.example.com', '/api/v2'), 2, 'exact host has no match: the wildcard answers before anyHost')
  assert.is(route(t, 'b.a.example.com', '/api/v2'), 0, 'a wildcard covers one label only')
  assert.is(route(t, 'example.com', '/x'), null)
})

test.run()
