// Stage 2 of loading (STYLE #3): every default of the config file in one
// object, written in the file's own notation (durations and sizes as strings)
// so defaults pass through exactly the same validation as user values. The
// sections below `root` are applied to an object only when the user writes
// that object (an API, a certificate, `rate_limit: {...}`), so `null` keeps a
// feature off. `applyDefaults` fills missing keys with synthetic nodes that
// carry the position of the mapping they were added to.

import type { Pos, SEntry, SNode } from './source.js'

export const DEFAULTS = {
  root: {
    version: 1, //                        schema version; the only one is 1
    workers: 'auto', //                   worker processes; auto = os.availableParallelism()
    scheduling: 'os', //                  cluster scheduling: os | round_robin (env GATEHOUSE_SCHEDULING wins)
    reload: { watch: false }, //          watch config + certificate files and reload on change
    shutdown_timeout: '30s', //           drain deadline on SIGTERM (duration)
    listen: {
      https: { host: '0.0.0.0', port: 8443 }, // public HTTPS listener (port 0 = any free port)
      http: null //                       optional plain-HTTP listener; off
    },
    admin: { host: '127.0.0.1', port: 9090 }, // /metrics /healthz /readyz /config
    access_log: 'stdout', //              stdout | off | file path
    timeouts: {
      headers: '10s', //                  the whole request head (duration)
      keep_alive: '5s', //                idle time between requests on one connection (duration)
      request: '5m', //                   the whole request incl. body (duration; 0 = no limit)
      send: '60s' //                      a client that takes none of the response for this long is closed (duration; 0 = no limit)
    },
    tls: {
      min_version: 'TLSv1.2', //          lowest protocol version accepted
      ciphers: null, //                   null = ECDHE + AEAD only (Mozilla intermediate)
      certificates: [], //                required: at least one
      default_certificate: null, //       null = the first certificate
      client_ca_file: null, //            null = never ask for a client certificate
      session_tickets: true //            stateless resumption with primary-owned keys
    },
    redis: null, //                       shared state across instances; off
    apis: [] //                           no APIs: every request gets 404
  },
  http_listener: { host: '0.0.0.0', port: 8080, redirect_https: true }, // listen.http when given
  certificate: { key_passphrase_file: null, domains: null }, //             domains null = the leaf's SANs
  api: {
    domain: null, //                      null = any host
    listen_path: '/', //                  path prefix, matched on segment boundaries
    strip_listen_path: true, //           remove listen_path before proxying
    auth: 'keyless', //                   no authentication
    rate_limit: null, //                  off
    cache: null, //                       off
    cors: null, //                        off
    ip_allow: [], //                      empty = every client address
    ip_deny: [], //                       nothing denied
    headers: { request: { set: {}, remove: [] }, response: { set: {}, remove: [] } }, // no rewriting
    size_limit: null //                   no request body limit (size)
  },
  upstream: {
    balance: 'round_robin', //            round_robin | least_conn across targets
    preserve_host_header: false, //       send the target's host, not the client's
    timeout: '30s', //                    time to the upstream's response head (duration)
    tls: { ca_file: null, insecure_skip_verify: false, cert_file: null, key_file: null, min_version: 'TLSv1.2' }, // towards https targets
    health_check: null //                 off
  },
  health_check: { path: '/health', interval: '5s' }, //   GET path per target, every interval (duration)
  rate_limit: { per: '1s' }, //                          rate requests per window (duration); rate is required
  cache: { ttl: '60s', status_codes: [200], by_headers: [] }, // ttl (duration), cacheable statuses, key headers
  cors: {
    allowed_origins: ['*'], //            any origin
    allowed_methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], // preflight answer
    allowed_headers: [], //               empty = echo Access-Control-Request-Headers
    exposed_headers: [], //               none exposed
    allow_credentials: false, //          no Access-Control-Allow-Credentials
    max_age: '10m' //                     preflight cache lifetime (duration, sent in seconds)
  },
  auth_api_key: { header: 'X-Api-Key', query: null, keys: [] }, // where the key is read; query null = header only
  auth_basic: { realm: 'gatehouse', users: {} }, //                WWW-Authenticate realm; user -> password
  auth_jwt: { algorithms: null, secret: null, public_key: null, public_key_file: null, issuer: null, audience: null } // algorithms null = from the key kind
} as const

type Plain = string | number | boolean | null | readonly Plain[] | { readonly [k: string]: Plain }

/** A synthetic node for a default value, placed at `pos`. */
function toNode (value: Plain, pos: Pos): SNode {
  if (Array.isArray(value)) return { kind: 'seq', pos, items: value.map((v: Plain) => toNode(v, pos)), synthetic: true }
  if (value !== null && typeof value === 'object') {
    const entries: SEntry[] = Object.entries(value as Record<string, Plain>).map(([key, v]) => ({ key, keyPos: pos, value: toNode(v, pos) }))
    return { kind: 'map', pos, entries, synthetic: true }
  }
  return { kind: 'scalar', pos, value: value as string | number | boolean | null, synthetic: true }
}

/** Add the keys of `defaults` that `node` lacks; recurse where both hold a mapping. */
function fill (node: SNode | undefined, defaults: { readonly [k: string]: Plain }): void {
  if (node === undefined || node.kind !== 'map') return
  for (const key in defaults) {
    const dv = defaults[key] as Plain
    let have: SEntry | undefined
    for (const e of node.entries) if (e.key === key) { have = e; break }
    if (have === undefined) {
      node.entries.push({ key, keyPos: node.pos, value: toNode(dv, node.pos) })
    } else if (dv !== null && typeof dv === 'object' && !Array.isArray(dv) && have.value.kind === 'map' && Object.keys(dv).length > 0) {
      fill(have.value, dv as { readonly [k: string]: Plain })
    }
  }
}

function get (node: SNode | undefined, key: string): SNode | undefined {
  return node?.kind === 'map' ? node.entries.find((e) => e.key === key)?.value : undefined
}

function each (node: SNode | undefined, fn: (item: SNode) => void): void {
  if (node?.kind === 'seq') for (const item of node.items) fn(item)
}

/** Stage 2: fill defaults into the parsed tree in place (root, then each object the user wrote). */
export function applyDefaults (root: SNode): SNode {
  fill(root, DEFAULTS.root)
  fill(get(get(root, 'listen'), 'http'), DEFAULTS.http_listener)
  each(get(get(root, 'tls'), 'certificates'), (c) => fill(c, DEFAULTS.certificate))
  each(get(root, 'apis'), (api) => {
    fill(api, DEFAULTS.api)
    const upstream = get(api, 'upstream')
    fill(upstream, DEFAULTS.upstream)
    fill(get(upstream, 'health_check'), DEFAULTS.health_check)
    fill(get(api, 'rate_limit'), DEFAULTS.rate_limit)
    fill(get(api, 'cache'), DEFAULTS.cache)
    fill(get(api, 'cors'), DEFAULTS.cors)
    const auth = get(api, 'auth')
    const type = get(auth, 'type')
    if (type?.kind === 'scalar') {
      if (type.value === 'api_key') fill(auth, DEFAULTS.auth_api_key)
      else if (type.value === 'basic') fill(auth, DEFAULTS.auth_basic)
      else if (type.value === 'jwt') fill(auth, DEFAULTS.auth_jwt)
    }
  })
  return root
}
