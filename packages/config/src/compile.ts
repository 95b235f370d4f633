// Stage 5 (STYLE #3, caddy's `routes.go` Compile): a validated, frozen Config
// plus the bytes load() read become the RoutingTable every worker serves
// from. Everything a request needs is precomputed here (STYLE #4): host and
// wildcard maps keyed by normalised listen path, per-API policies with every
// field present (null when off), certificate PEMs with their SNI maps, the
// safe cipher default. The version is a sha256 over the config text and every
// referenced file, so an unchanged estate compiles to the same version.

import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import type { ApiConfig, Config } from './config.js'
import type { Sources } from './pem.js'
import { isEncryptedKey, passphraseOf, readLeaf, readPrivateKey, summarise } from './pem.js'
import type { AuthPolicy, CompiledApi, CompiledCertificate, HeaderRewrite, PathMap, RoutingTable } from './table.js'

/** Mozilla "intermediate" TLS 1.2 suites: ECDHE key exchange with AEAD ciphers only. */
export const DEFAULT_CIPHERS = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305'

/** sha256 hex over the config text and each referenced file (sorted by path). */
export function versionOf (sources: Sources): string {
  const h = createHash('sha256')
  h.update(sources.text)
  for (const path of Object.keys(sources.files).sort()) {
    h.update('\0' + path + '\0')
    h.update(sources.files[path] as string)
  }
  return h.digest('hex')
}

function fileText (sources: Sources, path: string): string {
  const text = sources.files[path]
  if (text === undefined) throw new Error(`compile: '${path}' was not read by load(); pass the sources load() returned`)
  return text
}

function compileCertificate (config: Config, sources: Sources, i: number): CompiledCertificate {
  const c = config.tls.certificates[i] as Config['tls']['certificates'][number]
  const leaf = sources.leaves[c.cert_file] ?? summarise(readLeaf(fileText(sources, c.cert_file)))
  const keyText = fileText(sources, c.key_file)
  let keyPem = keyText
  if (c.key_passphrase_file !== null || isEncryptedKey(keyText)) {
    const passphrase = c.key_passphrase_file === null ? null : passphraseOf(fileText(sources, c.key_passphrase_file))
    keyPem = readPrivateKey(keyText, passphrase).export({ type: 'pkcs8', format: 'pem' }) as string
  }
  return {
    certFile: c.cert_file,
    certPem: leaf.chainPem,
    keyPem,
    domains: [...(c.domains ?? leaf.dnsNames)],
    sans: [...leaf.dnsNames],
    notAfter: leaf.notAfter,
    serial: leaf.serial,
    fingerprint256: leaf.fingerprint256
  }
}

function rewrite (side: { set: Record<string, string>, remove: string[] }): HeaderRewrite | null {
  const set = Object.entries(side.set).map(([k, v]): [string, string] => [k.toLowerCase(), v])
  if (set.length === 0 && side.remove.length === 0) return null
  return { set, remove: [...side.remove] }
}

function authPolicy (a: ApiConfig['auth'], sources: Sources): AuthPolicy {
  switch (a.type) {
    case 'keyless': return { type: 'keyless' }
    case 'mtls': return { type: 'mtls' }
    case 'api_key': return { type: 'api_key', header: a.header, query: a.query, keys: [...a.keys] }
    case 'basic': return { type: 'basic', realm: a.realm, users: { ...a.users } }
    case 'jwt': return {
      type: 'jwt',
      algorithms: [...a.algorithms],
      secret: a.secret,
      publicKeyPem: a.public_key_file !== null ? fileText(sources, a.public_key_file) : a.public_key,
      issuer: a.issuer,
      audience: a.audience
    }
  }
}

function compileApi (api: ApiConfig, id: number, sources: Sources): CompiledApi {
  const u = api.upstream
  const file = (p: string | null): string | null => p === null ? null : fileText(sources, p)
  return {
    id,
    name: api.name,
    domain: api.domain,
    listenPath: api.listen_path,
    stripListenPath: api.strip_listen_path,
    upstream: {
      targets: [...u.targets],
      balance: u.balance,
      preserveHostHeader: u.preserve_host_header,
      timeoutMs: u.timeout,
      tls: { caPem: file(u.tls.ca_file), insecureSkipVerify: u.tls.insecure_skip_verify, certPem: file(u.tls.cert_file), keyPem: file(u.tls.key_file), minVersion: u.tls.min_version },
      healthCheck: u.health_check === null ? null : { path: u.health_check.path, intervalMs: u.health_check.interval }
    },
    auth: authPolicy(api.auth, sources),
    rateLimit: api.rate_limit === null ? null : { rate: api.rate_limit.rate, perMs: api.rate_limit.per },
    cache: api.cache === null ? null : { ttlMs: api.cache.ttl, statusCodes: [...api.cache.status_codes], byHeaders: [...api.cache.by_headers] },
    cors: api.cors === null
      ? null
      : {
          allowedOrigins: [...api.cors.allowed_origins],
          allowedMethods: [...api.cors.allowed_methods],
          allowedHeaders: [...api.cors.allowed_headers],
          exposedHeaders: [...api.cors.exposed_headers],
          allowCredentials: api.cors.allow_credentials,
          maxAgeS: Math.floor(api.cors.max_age / 1000)
        },
    ipAllow: [...api.ip_allow],
    ipDeny: [...api.ip_deny],
    requestHeaders: rewrite(api.headers.request),
    responseHeaders: rewrite(api.headers.response),
    sizeLimit: api.size_limit
  }
}

/** Compile a validated Config (and the Sources load() returned) into the RoutingTable. */
export function compile (config: Config, sources: Sources): RoutingTable {
  const certificates = config.tls.certificates.map((_, i) => compileCertificate(config, sources, i))
  const exactCerts: Record<string, number> = {}
  const wildcardCerts: Record<string, number> = {}
  certificates.forEach((cert, i) => {
    for (const d of cert.domains) {
      if (d.startsWith('*.')) wildcardCerts[d.slice(2)] ??= i
      else exactCerts[d] ??= i
    }
  })
  const dc = config.tls.default_certificate
  let defaultCertificate = 0
  if (dc !== null) {
    const found = certificates.findIndex((c) => c.domains.includes(dc))
    if (found !== -1) defaultCertificate = found
  }

  const apis = config.apis.map((api, id) => compileApi(api, id, sources))
  const hosts: Record<string, PathMap> = {}
  const wildcards: Record<string, PathMap> = {}
  const anyHost: PathMap = {}
  for (const api of apis) {
    let map: PathMap
    if (api.domain === null) map = anyHost
    else if (api.domain.startsWith('*.')) map = (wildcards[api.domain.slice(2)] ??= {})
    else map = (hosts[api.domain] ??= {})
    map[api.listenPath] ??= api.id
  }

  return {
    version: versionOf(sources),
    compiledAt: Date.now(),
    source: sources.file,
    workers: config.workers === 'auto' ? availableParallelism() : config.workers,
    scheduling: config.scheduling,
    reloadWatch: config.reload.watch,
    shutdownTimeoutMs: config.shutdown_timeout,
    listen: {
      https: { host: config.listen.https.host, port: config.listen.https.port },
      http: config.listen.http === null ? null : { host: config.listen.http.host, port: config.listen.http.port, redirectHttps: config.listen.http.redirect_https }
    },
    admin: { host: config.admin.host, port: config.admin.port },
    accessLog: config.access_log,
    timeouts: { headersMs: config.timeouts.headers, keepAliveMs: config.timeouts.keep_alive, requestMs: config.timeouts.request, sendMs: config.timeouts.send },
    tls: {
      minVersion: config.tls.min_version,
      ciphers: config.tls.ciphers ?? DEFAULT_CIPHERS,
      certificates,
      exactCerts,
      wildcardCerts,
      defaultCertificate,
      clientCaPem: config.tls.client_ca_file === null ? null : fileText(sources, config.tls.client_ca_file),
      sessionTickets: config.tls.session_tickets
    },
    redis: config.redis === null ? null : { url: config.redis.url },
    apis,
    hosts,
    wildcards,
    anyHost
  }
}
