// Stage 3 of loading (STYLE #3), structural half: walk the defaulted tree key
// for key against DESIGN.md's schema and build the typed Config, collecting
// every problem (unknown keys with a did-you-mean, wrong types, enums, ranges,
// durations, sizes, URLs, CIDRs, listen paths, duplicate names and routes).
// Checks that need files (certificates, keys, CA bundles) are in semantic.ts.

import type { ApiConfig, AuthConfig, CertificateConfig, Config, ListenConfig } from './config.js'
import type { Checker } from './checker.js'
import type { SNode } from './source.js'
import { isHeaderName, isRedisUrl, normaliseCidr, normaliseDomain, normaliseListenPath, normaliseTarget } from './syntax.js'

const ROOT_KEYS = ['version', 'workers', 'scheduling', 'reload', 'shutdown_timeout', 'listen', 'admin', 'access_log', 'timeouts', 'tls', 'redis', 'apis'] as const
const API_KEYS = ['name', 'domain', 'listen_path', 'strip_listen_path', 'upstream', 'auth', 'rate_limit', 'cache', 'cors', 'ip_allow', 'ip_deny', 'headers', 'size_limit'] as const
const UPSTREAM_KEYS = ['targets', 'balance', 'preserve_host_header', 'timeout', 'tls', 'health_check'] as const
const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const
export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const
const AUTH_TYPES = ['keyless', 'api_key', 'basic', 'jwt', 'mtls'] as const

/** Validate the defaulted tree; returns the Config when the structure is sound (check `c.errorCount`). */
export function validate (root: SNode, c: Checker): Config | null {
  c.root = root
  const f = c.map(root, '', ROOT_KEYS, 'version: 1 followed by the keys of DESIGN.md')
  if (f === null) return null
  const get = (k: string): SNode => f.get(k) as SNode // every root key has a default
  const version = get('version')
  if (!(version.kind === 'scalar' && version.value === 1)) c.error('GH_CONFIG_VERSION', version.pos, 'version', [String(version.kind === 'scalar' ? version.value : version.kind)])

  const workersNode = get('workers')
  let workers: number | 'auto' | null = 'auto'
  if (workersNode.kind === 'scalar' && typeof workersNode.value === 'number') workers = c.int(workersNode, 'workers', 1, 1024, 'workers: 4')
  else if (!(workersNode.kind === 'scalar' && workersNode.value === 'auto')) { c.typeError(workersNode, 'workers', 'auto or a whole number', 'write workers: auto or workers: 4'); workers = null }
  const scheduling = c.oneOf(get('scheduling'), 'scheduling', ['round_robin', 'os'] as const)
  const reloadF = c.map(get('reload'), 'reload', ['watch'], '{ watch: false }')
  const watch = reloadF === null ? null : c.bool(reloadF.get('watch') ?? get('reload'), 'reload.watch')
  const shutdownTimeout = c.duration(get('shutdown_timeout'), 'shutdown_timeout')

  const listenF = c.map(get('listen'), 'listen', ['https', 'http'], '{ https: { host: 0.0.0.0, port: 8443 } }')
  const https = listenF === null ? null : listenAddress(c, listenF.get('https') as SNode, 'listen.https', [])
  let http: Config['listen']['http'] | undefined = null
  const httpNode = listenF?.get('http')
  if (httpNode !== undefined && !c.isNull(httpNode)) {
    const hf = listenAddress(c, httpNode, 'listen.http', ['redirect_https'])
    const rd = httpNode.kind === 'map' ? httpNode.entries.find((e) => e.key === 'redirect_https')?.value : undefined
    const redirect = rd === undefined ? null : c.bool(rd, 'listen.http.redirect_https')
    http = hf === null || redirect === null ? undefined : { ...hf, redirect_https: redirect }
  }
  const admin = listenAddress(c, get('admin'), 'admin', [])
  if (admin !== null && admin.port !== 0) {
    for (const pub of [https, http]) {
      if (pub !== null && pub !== undefined && pub.port === admin.port) c.error('GH_CONFIG_PORT_CLASH', c.at('admin.port'), 'admin.port', [admin.port])
    }
  }

  const accessLogRaw = c.text(get('access_log'), 'access_log', 'access_log: stdout')
  const accessLog = accessLogRaw === null ? null : accessLogRaw === 'stdout' || accessLogRaw === 'off' ? accessLogRaw : c.filePath(get('access_log'), 'access_log', 'access_log: /var/log/gatehouse/access.log')

  const timeoutsF = c.map(get('timeouts'), 'timeouts', ['headers', 'keep_alive', 'request', 'send'], '{ headers: 10s, keep_alive: 5s, request: 5m, send: 60s }')
  const timeouts = timeoutsF === null
    ? null
    : { headers: c.duration(timeoutsF.get('headers') as SNode, 'timeouts.headers', 1), keep_alive: c.duration(timeoutsF.get('keep_alive') as SNode, 'timeouts.keep_alive'), request: c.duration(timeoutsF.get('request') as SNode, 'timeouts.request'), send: c.duration(timeoutsF.get('send') as SNode, 'timeouts.send') }

  const tls = validateTls(c, get('tls'))

  let redis: Config['redis'] | undefined = null
  const redisNode = get('redis')
  if (!c.isNull(redisNode)) {
    const rf = c.map(redisNode, 'redis', ['url'], '{ url: redis://127.0.0.1:6379 }')
    const urlNode = rf === null ? null : c.need(rf, 'url', redisNode, 'redis', 'redis://127.0.0.1:6379')
    const url = urlNode === null ? null : c.text(urlNode, 'redis.url', 'redis://127.0.0.1:6379')
    if (url !== null && urlNode !== null && !isRedisUrl(url)) c.error('GH_CONFIG_REDIS_URL', urlNode.pos, 'redis.url', [url])
    redis = url === null ? undefined : { url }
  }

  const apis = c.list(get('apis'), 'apis', '- name: httpbin (one entry per API)', (n, p) => validateApi(c, n, p, tls))
  checkDuplicates(c, get('apis'))

  if (c.errorCount > 0) return null
  return {
    version: 1,
    workers: workers as number | 'auto',
    scheduling: scheduling as Config['scheduling'],
    reload: { watch: watch as boolean },
    shutdown_timeout: shutdownTimeout as number,
    listen: { https: https as ListenConfig, http: http as Config['listen']['http'] },
    admin: admin as ListenConfig,
    access_log: accessLog as string,
    timeouts: timeouts as Config['timeouts'],
    tls: tls as Config['tls'],
    redis: redis as Config['redis'],
    apis: apis as ApiConfig[]
  }
}

function listenAddress (c: Checker, n: SNode, path: string, extra: readonly string[]): ListenConfig | null {
  const f = c.map(n, path, ['host', 'port', ...extra], '{ host: 0.0.0.0, port: 8443 }')
  if (f === null) return null
  const host = c.text(f.get('host') ?? n, `${path}.host`, '0.0.0.0')
  const portNode = c.need(f, 'port', n, path, '8443')
  const port = portNode === null ? null : c.int(portNode, `${path}.port`, 0, 65535, '8443 (0 = any free port)')
  return host === null || port === null ? null : { host, port }
}

function validateTls (c: Checker, n: SNode): Config['tls'] | null {
  const f = c.map(n, 'tls', ['min_version', 'ciphers', 'certificates', 'default_certificate', 'client_ca_file', 'session_tickets'], '{ certificates: [...] }')
  if (f === null) return null
  const get = (k: string): SNode => f.get(k) ?? n
  const minVersion = c.oneOf(get('min_version'), 'tls.min_version', TLS_VERSIONS)
  const ciphersNode = get('ciphers')
  const ciphers = c.isNull(ciphersNode) ? null : c.text(ciphersNode, 'tls.ciphers', 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256')
  const certsNode = get('certificates')
  const certificates = c.list(certsNode, 'tls.certificates', '- { cert_file: certs/site.pem, key_file: certs/site-key.pem }', (item, p) => validateCertificate(c, item, p))
  if (certificates !== null && certificates.length === 0) c.error('GH_CONFIG_NO_CERTIFICATES', certsNode.pos, 'tls.certificates')
  const dcNode = get('default_certificate')
  let defaultCertificate: string | null = null
  if (!c.isNull(dcNode)) {
    const raw = c.text(dcNode, 'tls.default_certificate', 'tyk.localhost')
    defaultCertificate = raw === null ? null : normaliseDomain(raw)
    if (raw !== null && defaultCertificate === null) c.error('GH_CONFIG_DOMAIN_INVALID', dcNode.pos, 'tls.default_certificate', [raw])
  }
  const caNode = get('client_ca_file')
  const clientCa = c.isNull(caNode) ? null : c.filePath(caNode, 'tls.client_ca_file', 'certs/clients-ca.pem')
  const tickets = c.bool(get('session_tickets'), 'tls.session_tickets')
  if (minVersion === null || tickets === null || certificates === null) return null
  return { min_version: minVersion, ciphers, certificates, default_certificate: defaultCertificate, client_ca_file: clientCa, session_tickets: tickets }
}

function validateCertificate (c: Checker, n: SNode, path: string): CertificateConfig | null {
  const f = c.map(n, path, ['cert_file', 'key_file', 'key_passphrase_file', 'domains'], '{ cert_file: certs/site.pem, key_file: certs/site-key.pem }')
  if (f === null) return null
  const certNode = c.need(f, 'cert_file', n, path, 'certs/site-fullchain.pem')
  const keyNode = c.need(f, 'key_file', n, path, 'certs/site-key.pem')
  const cert = certNode === null ? null : c.filePath(certNode, `${path}.cert_file`, 'certs/site-fullchain.pem')
  const key = keyNode === null ? null : c.filePath(keyNode, `${path}.key_file`, 'certs/site-key.pem')
  const ppNode = f.get('key_passphrase_file') ?? n
  const passphrase = c.isNull(ppNode) ? null : c.filePath(ppNode, `${path}.key_passphrase_file`, 'secrets/key-passphrase')
  const domNode = f.get('domains') ?? n
  const domains = c.isNull(domNode)
    ? null
    : c.list(domNode, `${path}.domains`, '["*.tyk.localhost"]', (d, p) => domain(c, d, p))
  if (cert === null || key === null || (domains === null && !c.isNull(domNode))) return null
  return { cert_file: cert, key_file: key, key_passphrase_file: passphrase, domains }
}

function domain (c: Checker, n: SNode, path: string): string | null {
  const raw = c.text(n, path, 'api.example.com')
  if (raw === null) return null
  const d = normaliseDomain(raw)
  if (d === null) c.error('GH_CONFIG_DOMAIN_INVALID', n.pos, path, [raw])
  return d
}

function headerNames (c: Checker, n: SNode, path: string): string[] | null {
  return c.list(n, path, '[x-internal-token]', (item, p) => {
    const s = c.text(item, p, 'x-internal-token')
    if (s === null) return null
    if (!isHeaderName(s)) { c.error('GH_CONFIG_HEADER_NAME', item.pos, p, [s]); return null }
    return s.toLowerCase()
  })
}

function cidrs (c: Checker, n: SNode, path: string): string[] | null {
  return c.list(n, path, '[10.0.0.0/8, 2001:db8::/32]', (item, p) => {
    const s = c.text(item, p, '10.0.0.0/8')
    if (s === null) return null
    const cidr = normaliseCidr(s)
    if (cidr === null) c.error('GH_CONFIG_CIDR', item.pos, p, [s])
    return cidr
  })
}

function validateApi (c: Checker, n: SNode, path: string, tls: Config['tls'] | null): ApiConfig | null {
  const f = c.map(n, path, API_KEYS, '{ name: httpbin, upstream: { targets: [http://127.0.0.1:9000] } }')
  if (f === null) return null
  const get = (k: string): SNode => f.get(k) ?? n
  const nameNode = c.need(f, 'name', n, path, 'httpbin')
  const name = nameNode === null ? null : c.text(nameNode, `${path}.name`, 'httpbin')
  const domNode = get('domain')
  const dom = c.isNull(domNode) ? null : domain(c, domNode, `${path}.domain`)
  const lpNode = get('listen_path')
  const lpRaw = c.text(lpNode, `${path}.listen_path`, '/api')
  const listenPath = lpRaw === null ? null : normaliseListenPath(lpRaw)
  if (lpRaw !== null && listenPath === null) c.error('GH_CONFIG_LISTEN_PATH', lpNode.pos, `${path}.listen_path`, [lpRaw])
  const strip = c.bool(get('strip_listen_path'), `${path}.strip_listen_path`)

  const upNode = c.need(f, 'upstream', n, path, '{ targets: [http://127.0.0.1:9000] }')
  const upstream = upNode === null ? null : validateUpstream(c, upNode, `${path}.upstream`)
  const auth = validateAuth(c, get('auth'), `${path}.auth`, name ?? path, tls)

  const rlNode = get('rate_limit')
  let rateLimit: ApiConfig['rate_limit'] | undefined = null
  if (!c.isNull(rlNode)) {
    const rf = c.map(rlNode, `${path}.rate_limit`, ['rate', 'per'], '{ rate: 100, per: 1s }')
    const rateNode = rf === null ? null : c.need(rf, 'rate', rlNode, `${path}.rate_limit`, '100')
    const rate = rateNode === null ? null : c.int(rateNode, `${path}.rate_limit.rate`, 1, 1_000_000_000, 'rate: 100')
    const per = rf === null ? null : c.duration(rf.get('per') ?? rlNode, `${path}.rate_limit.per`, 1)
    rateLimit = rate === null || per === null ? undefined : { rate, per }
  }

  const cacheNode = get('cache')
  let cache: ApiConfig['cache'] | undefined = null
  if (!c.isNull(cacheNode)) {
    const cf = c.map(cacheNode, `${path}.cache`, ['ttl', 'status_codes', 'by_headers'], '{ ttl: 60s, status_codes: [200] }')
    if (cf !== null) {
      const p = `${path}.cache`
      const ttl = c.duration(cf.get('ttl') ?? cacheNode, `${p}.ttl`, 1)
      const codes = c.list(cf.get('status_codes') ?? cacheNode, `${p}.status_codes`, '[200, 301]', (s, sp) => c.int(s, sp, 100, 599, '200'))
      const by = headerNames(c, cf.get('by_headers') ?? cacheNode, `${p}.by_headers`)
      cache = ttl === null || codes === null || by === null ? undefined : { ttl, status_codes: codes, by_headers: by }
    } else cache = undefined
  }

  const corsNode = get('cors')
  let cors: ApiConfig['cors'] | undefined = null
  if (!c.isNull(corsNode)) cors = validateCors(c, corsNode, `${path}.cors`) ?? undefined

  const ipAllow = cidrs(c, get('ip_allow'), `${path}.ip_allow`)
  const ipDeny = cidrs(c, get('ip_deny'), `${path}.ip_deny`)
  const headers = validateHeaders(c, get('headers'), `${path}.headers`)
  const slNode = get('size_limit')
  const sizeLimit = c.isNull(slNode) ? null : c.size(slNode, `${path}.size_limit`)

  if (name === null || (dom === null && !c.isNull(domNode)) || listenPath === null || strip === null || upstream === null || auth === null ||
    rateLimit === undefined || cache === undefined || cors === undefined || ipAllow === null || ipDeny === null || headers === null ||
    (sizeLimit === null && !c.isNull(slNode))) return null
  return {
    name, domain: dom, listen_path: listenPath, strip_listen_path: strip, upstream, auth,
    rate_limit: rateLimit, cache, cors, ip_allow: ipAllow, ip_deny: ipDeny, headers, size_limit: sizeLimit
  }
}

function validateUpstream (c: Checker, n: SNode, path: string): ApiConfig['upstream'] | null {
  const f = c.map(n, path, UPSTREAM_KEYS, '{ targets: [http://127.0.0.1:9000] }')
  if (f === null) return null
  const get = (k: string): SNode => f.get(k) ?? n
  const tNode = c.need(f, 'targets', n, path, '[http://127.0.0.1:9000]')
  let targets: string[] | null = null
  if (tNode !== null) {
    targets = c.list(tNode, `${path}.targets`, '[http://127.0.0.1:9000]', (t, p) => {
      const s = c.text(t, p, 'http://127.0.0.1:9000')
      if (s === null) return null
      const r = normaliseTarget(s)
      if ('reason' in r) { c.error('GH_CONFIG_TARGET_URL', t.pos, p, [s, r.reason]); return null }
      return r.url
    })
    if (targets !== null && targets.length === 0) c.error('GH_CONFIG_EMPTY', tNode.pos, `${path}.targets`, [], ['list at least one target: targets: [http://127.0.0.1:9000]'])
  }
  const balance = c.oneOf(get('balance'), `${path}.balance`, ['round_robin', 'least_conn'] as const)
  const preserve = c.bool(get('preserve_host_header'), `${path}.preserve_host_header`)
  const timeout = c.duration(get('timeout'), `${path}.timeout`, 1)

  const tlsNode = get('tls')
  let tls: ApiConfig['upstream']['tls'] | null = { ca_file: null, insecure_skip_verify: false, cert_file: null, key_file: null, min_version: 'TLSv1.2' }
  if (!c.isNull(tlsNode)) {
    const p = `${path}.tls`
    const tf = c.map(tlsNode, p, ['ca_file', 'insecure_skip_verify', 'cert_file', 'key_file', 'min_version'], '{ ca_file: certs/upstream-ca.pem }')
    if (tf === null) tls = null
    else {
      const file = (k: string): string | null | undefined => {
        const node = tf.get(k) ?? tlsNode
        if (c.isNull(node)) return null
        return c.filePath(node, `${p}.${k}`, 'certs/upstream-ca.pem') ?? undefined
      }
      const ca = file('ca_file')
      const cert = file('cert_file')
      const key = file('key_file')
      const insecure = c.bool(tf.get('insecure_skip_verify') ?? tlsNode, `${p}.insecure_skip_verify`)
      const minVersion = c.oneOf(tf.get('min_version') ?? tlsNode, `${p}.min_version`, TLS_VERSIONS)
      if ((cert === null) !== (key === null) && cert !== undefined && key !== undefined) {
        const missing = cert === null ? 'cert_file' : 'key_file'
        c.error('GH_CONFIG_REQUIRED', c.at(p), `${p}.${missing}`, [missing], ['a client certificate needs both cert_file and key_file'])
      }
      tls = ca === undefined || cert === undefined || key === undefined || insecure === null || minVersion === null
        ? null
        : { ca_file: ca, insecure_skip_verify: insecure, cert_file: cert, key_file: key, min_version: minVersion }
    }
  }

  const hcNode = get('health_check')
  let healthCheck: ApiConfig['upstream']['health_check'] | undefined = null
  if (!c.isNull(hcNode)) {
    const p = `${path}.health_check`
    const hf = c.map(hcNode, p, ['path', 'interval'], '{ path: /health, interval: 5s }')
    const hp = hf === null ? null : c.text(hf.get('path') ?? hcNode, `${p}.path`, '/health')
    if (hp !== null && !hp.startsWith('/')) c.error('GH_CONFIG_LISTEN_PATH', c.at(`${p}.path`), `${p}.path`, [hp])
    const interval = hf === null ? null : c.duration(hf.get('interval') ?? hcNode, `${p}.interval`, 1)
    healthCheck = hp === null || interval === null || !hp.startsWith('/') ? undefined : { path: hp, interval }
  }
  if (targets === null || targets.length === 0 || balance === null || preserve === null || timeout === null || tls === null || healthCheck === undefined) return null
  return { targets, balance, preserve_host_header: preserve, timeout, tls, health_check: healthCheck }
}

function validateAuth (c: Checker, n: SNode, path: string, api: string, tls: Config['tls'] | null): AuthConfig | null {
  if (n.kind === 'scalar' && (n.value === 'keyless' || n.value === 'mtls')) {
    if (n.value === 'mtls') return mtls(c, n, path, tls)
    return { type: 'keyless' }
  }
  if (n.kind === 'scalar' && typeof n.value === 'string' && (AUTH_TYPES as readonly string[]).includes(n.value)) {
    c.typeError(n, path, 'a mapping', `${n.value} needs settings: write auth: { type: ${n.value}, ... }`)
    return null
  }
  if (n.kind === 'scalar') {
    c.typeError(n, path, 'keyless or a mapping with type: api_key | basic | jwt | mtls', 'write auth: keyless or auth: { type: api_key, keys: [...] }')
    return null
  }
  const typeNode = n.kind === 'map' ? n.entries.find((e) => e.key === 'type')?.value : undefined
  if (n.kind !== 'map' || typeNode === undefined) {
    if (n.kind === 'map') c.error('GH_CONFIG_REQUIRED', n.pos, `${path}.type`, ['type'], [`add type: ${AUTH_TYPES.join(' | ')}`])
    else c.typeError(n, path, 'keyless or a mapping', 'write auth: keyless or auth: { type: api_key, keys: [...] }')
    return null
  }
  const type = c.oneOf(typeNode, `${path}.type`, AUTH_TYPES)
  if (type === null) return null
  switch (type) {
    case 'keyless':
      return c.map(n, path, ['type'], '{ type: keyless }') === null ? null : { type: 'keyless' }
    case 'mtls':
      return c.map(n, path, ['type'], '{ type: mtls }') === null ? null : mtls(c, n, path, tls)
    case 'api_key': {
      const f = c.map(n, path, ['type', 'header', 'query', 'keys'], '{ type: api_key, keys: [...] }')
      if (f === null) return null
      const hNode = f.get('header') ?? n
      const header = c.text(hNode, `${path}.header`, 'X-Api-Key')
      if (header !== null && !isHeaderName(header)) c.error('GH_CONFIG_HEADER_NAME', hNode.pos, `${path}.header`, [header])
      const qNode = f.get('query') ?? n
      const query = c.isNull(qNode) ? null : c.text(qNode, `${path}.query`, 'api_key')
      const keysNode = f.get('keys') ?? n
      const keys = c.list(keysNode, `${path}.keys`, '["${API_KEY_1}"]', (k, p) => c.text(k, p, '${API_KEY_1}'))
      if (keys !== null && keys.length === 0) c.warn('GH_CONFIG_API_KEY_EMPTY', keysNode.pos, `${path}.keys`, [api])
      if (header === null || !isHeaderName(header) || (query === null && !c.isNull(qNode)) || keys === null) return null
      return { type: 'api_key', header: header.toLowerCase(), query, keys }
    }
    case 'basic': {
      const f = c.map(n, path, ['type', 'realm', 'users'], '{ type: basic, users: { alice: "${ALICE_PASSWORD}" } }')
      if (f === null) return null
      const realm = c.text(f.get('realm') ?? n, `${path}.realm`, 'gatehouse')
      const users = c.dict(f.get('users') ?? n, `${path}.users`, '{ alice: "${ALICE_PASSWORD}" }', (u, pos, p) => {
        if (u === '' || u.includes(':')) { c.error('GH_CONFIG_AUTH', pos, p, [`user name '${u}' is empty or contains ':'`], ['RFC 7617 user names cannot contain a colon']); return false }
        return true
      })
      if (users !== null && Object.keys(users).length === 0) c.warn('GH_CONFIG_API_KEY_EMPTY', c.at(`${path}.users`), `${path}.users`, [api])
      if (realm === null || users === null) return null
      return { type: 'basic', realm, users }
    }
    case 'jwt': {
      const f = c.map(n, path, ['type', 'algorithms', 'secret', 'public_key', 'public_key_file', 'issuer', 'audience'], '{ type: jwt, public_key_file: keys/jwt.pub }')
      if (f === null) return null
      const opt = (k: string): string | null | undefined => {
        const node = f.get(k) ?? n
        if (c.isNull(node)) return null
        return c.text(node, `${path}.${k}`, k === 'secret' ? '"${JWT_SECRET}"' : 'https://issuer.example.com') ?? undefined
      }
      const secret = opt('secret')
      const publicKey = opt('public_key')
      const issuer = opt('issuer')
      const audience = opt('audience')
      const pkfNode = f.get('public_key_file') ?? n
      const publicKeyFile = c.isNull(pkfNode) ? null : c.filePath(pkfNode, `${path}.public_key_file`, 'keys/jwt-public.pem') ?? undefined
      const algNode = f.get('algorithms') ?? n
      const algorithms = c.isNull(algNode) ? [] : c.list(algNode, `${path}.algorithms`, '[RS256]', (a, p) => c.oneOf(a, p, JWT_ALGORITHMS))
      if (secret === undefined || publicKey === undefined || issuer === undefined || audience === undefined || publicKeyFile === undefined || algorithms === null) return null
      const keyCount = [secret, publicKey, publicKeyFile].filter((v) => v !== null).length
      if (keyCount !== 1) {
        c.error('GH_CONFIG_AUTH', n.pos, path, [keyCount === 0 ? 'jwt auth needs a key to verify tokens' : 'jwt auth takes exactly one of secret, public_key, public_key_file'],
          ['set secret (HS*) or public_key / public_key_file (RS*, PS*, ES*, EdDSA)'])
        return null
      }
      const hmac = algorithms.filter((a) => a.startsWith('HS'))
      if (secret !== null && hmac.length !== algorithms.length) {
        c.error('GH_CONFIG_AUTH', c.at(`${path}.algorithms`), `${path}.algorithms`, ['a shared secret verifies only HS256, HS384 and HS512'], ['use a public key for the other algorithms'])
        return null
      }
      if (secret === null && hmac.length > 0) {
        c.error('GH_CONFIG_AUTH', c.at(`${path}.algorithms`), `${path}.algorithms`, [`${hmac.join(', ')} need a shared secret, not a public key`], ['set secret, or list asymmetric algorithms only'])
        return null
      }
      return { type: 'jwt', algorithms: secret !== null && algorithms.length === 0 ? ['HS256', 'HS384', 'HS512'] : algorithms, secret, public_key: publicKey, public_key_file: publicKeyFile, issuer, audience }
    }
  }
}

function mtls (c: Checker, n: SNode, path: string, tls: Config['tls'] | null): AuthConfig | null {
  if (tls !== null && tls.client_ca_file === null) {
    c.error('GH_CONFIG_AUTH', n.pos, path, ['mtls auth needs tls.client_ca_file'], ['set tls.client_ca_file to the CA bundle that issued the client certificates'])
    return null
  }
  return { type: 'mtls' }
}

function validateCors (c: Checker, n: SNode, path: string): ApiConfig['cors'] | null {
  const f = c.map(n, path, ['allowed_origins', 'allowed_methods', 'allowed_headers', 'exposed_headers', 'allow_credentials', 'max_age'], '{ allowed_origins: ["https://app.example.com"] }')
  if (f === null) return null
  const get = (k: string): SNode => f.get(k) ?? n
  const origins = c.list(get('allowed_origins'), `${path}.allowed_origins`, '["https://app.example.com"]', (o, p) => c.text(o, p, 'https://app.example.com'))
  const methods = c.list(get('allowed_methods'), `${path}.allowed_methods`, '[GET, POST]', (m, p) => {
    const s = c.text(m, p, 'GET')
    if (s !== null && !isHeaderName(s)) { c.error('GH_CONFIG_CORS', m.pos, p, [`'${s}' is not an HTTP method`], ['write method names like GET, POST']); return null }
    return s === null ? null : s.toUpperCase()
  })
  const allowed = headerNames(c, get('allowed_headers'), `${path}.allowed_headers`)
  const exposed = headerNames(c, get('exposed_headers'), `${path}.exposed_headers`)
  const credentials = c.bool(get('allow_credentials'), `${path}.allow_credentials`)
  const maxAge = c.duration(get('max_age'), `${path}.max_age`)
  if (origins === null || methods === null || allowed === null || exposed === null || credentials === null || maxAge === null) return null
  if (credentials && origins.includes('*')) {
    c.error('GH_CONFIG_CORS', c.at(`${path}.allow_credentials`), `${path}.allow_credentials`, ["allow_credentials cannot be used with allowed_origins: ['*']"], ['browsers reject that combination (Fetch standard); list the origins explicitly'])
    return null
  }
  return { allowed_origins: origins, allowed_methods: methods, allowed_headers: allowed, exposed_headers: exposed, allow_credentials: credentials, max_age: maxAge }
}

function validateHeaders (c: Checker, n: SNode, path: string): ApiConfig['headers'] | null {
  const f = c.map(n, path, ['request', 'response'], '{ request: { set: {}, remove: [] }, response: { set: {}, remove: [] } }')
  if (f === null) return null
  const side = (k: 'request' | 'response'): { set: Record<string, string>, remove: string[] } | null => {
    const sn = f.get(k) ?? n
    const p = `${path}.${k}`
    if (c.isNull(sn)) return { set: {}, remove: [] }
    const sf = c.map(sn, p, ['set', 'remove'], '{ set: { x-env: prod }, remove: [server] }')
    if (sf === null) return null
    const set = c.dict(sf.get('set') ?? sn, `${p}.set`, '{ x-env: prod }', (name, pos, hp) => {
      if (isHeaderName(name)) return true
      c.error('GH_CONFIG_HEADER_NAME', pos, hp, [name])
      return false
    })
    const remove = headerNames(c, sf.get('remove') ?? sn, `${p}.remove`)
    return set === null || remove === null ? null : { set, remove }
  }
  const request = side('request')
  const response = side('response')
  return request === null || response === null ? null : { request, response }
}

/** Scalar text of `key` in a mapping node, normalised by `norm`; null when absent or invalid. */
function raw (n: SNode, key: string, norm: (s: string) => string | null): string | null {
  if (n.kind !== 'map') return null
  const v = n.entries.find((e) => e.key === key)?.value
  if (v === undefined || v.kind !== 'scalar' || v.value === null || typeof v.value === 'boolean') return null
  return norm(String(v.value))
}

/**
 * Duplicate API names and duplicate (domain, listen_path) pairs, read from the tree so
 * they are reported even when the APIs involved have other errors too.
 */
function checkDuplicates (c: Checker, apisNode: SNode): void {
  if (apisNode.kind !== 'seq') return
  const names = new Map<string, number>()
  const routes = new Map<string, { i: number, name: string }>()
  apisNode.items.forEach((n, i) => {
    const name = raw(n, 'name', (s) => s)
    const listenPath = raw(n, 'listen_path', normaliseListenPath)
    if (name !== null) {
      const first = names.get(name)
      if (first !== undefined) c.error('GH_CONFIG_DUPLICATE_API', c.at(`apis[${i}].name`), `apis[${i}].name`, [name, c.at(`apis[${first}].name`).line])
      else names.set(name, i)
    }
    if (listenPath === null) return
    const hasDomain = n.kind === 'map' && n.entries.some((e) => e.key === 'domain' && !(e.value.kind === 'scalar' && e.value.value === null))
    const dom = raw(n, 'domain', normaliseDomain)
    if (hasDomain && dom === null) return
    const key = `${dom ?? ''} ${listenPath}`
    const other = routes.get(key)
    if (other !== undefined) {
      c.error('GH_CONFIG_DUPLICATE_ROUTE', c.at(`apis[${i}].listen_path`), `apis[${i}].listen_path`, [name ?? `#${i}`, other.name, c.at(`apis[${other.i}].listen_path`).line])
    } else routes.set(key, { i, name: name ?? `#${i}` })
  })
}
