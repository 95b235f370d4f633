// Tyk classic API definitions (and the certificate part of a tyk.conf) ->
// a Gatehouse config object. Every Tyk setting is either mapped, or - when
// it is enabled and Gatehouse has no equivalent - named in a warning, so
// nothing is dropped silently. Where a mapping cannot be exact it fails
// closed (an API whose only auth is unsupported gets api_key with no keys,
// never keyless). Pure functions over parsed JSON; tyk-cli.ts does the I/O.

import { isAbsolute, resolve } from 'node:path'
import { normaliseDomain, normaliseListenPath } from './syntax.js'
import { formatDuration } from './units.js'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
type Obj = { [k: string]: Json }

/** One warning about an input: which file, which API, which Tyk field, what happened. */
export interface TykWarning { file: string, api: string, field: string, message: string }

/** Result of the mapping: the Gatehouse document (plain data) plus warnings and notes. */
export interface TykImport {
  document: Record<string, unknown>
  /** Per API: its Tyk name and id, for a comment above it in the YAML. */
  origins: string[]
  warnings: TykWarning[]
  /** Informational lines (skipped inactive APIs). */
  notes: string[]
}

/** A parsed input file: an API definition, a list/export of them, or a tyk.conf. */
export interface TykInput { file: string, json: unknown }

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const obj = (v: Json | undefined): Obj => isObj(v) ? v : {}
const arr = (v: Json | undefined): Json[] => Array.isArray(v) ? v : []
const str = (v: Json | undefined): string => typeof v === 'string' ? v : ''
const num = (v: Json | undefined): number => typeof v === 'number' && Number.isFinite(v) ? v : 0
const truthy = (v: Json | undefined): boolean => v === true || (typeof v === 'string' && v !== '') || (typeof v === 'number' && v !== 0) ||
  (Array.isArray(v) && v.length > 0) || (isObj(v) && Object.keys(v).length > 0)

/** Tyk's `ssl_min_version` / `min_version` are Go's uint16 TLS version codes. */
const TLS_CODES: Record<number, string> = { 769: 'TLSv1.0', 770: 'TLSv1.1', 771: 'TLSv1.2', 772: 'TLSv1.3' }

/** Whether a parsed JSON object is an API definition, a Dashboard wrapper or a tyk.conf. */
export function classify (v: unknown): 'api' | 'wrapper' | 'list' | 'gateway' | null {
  if (Array.isArray(v)) return 'list'
  if (!isObj(v)) return null
  if (Array.isArray(v.apis)) return 'list'
  if (isObj(v.api_definition)) return 'wrapper'
  if (isObj(v.proxy)) return 'api'
  if (isObj(v.http_server_options) || typeof v.listen_port === 'number') return 'gateway'
  return null
}

class Mapper {
  readonly warnings: TykWarning[] = []
  readonly notes: string[] = []
  readonly apis: Array<Record<string, unknown>> = []
  readonly origins: string[] = []
  readonly certificates: Array<Record<string, unknown>> = []
  readonly names = new Set<string>()
  listen: Record<string, unknown> | null = null
  tlsMinVersion: string | null = null

  warn (file: string, api: string, field: string, message: string): void {
    this.warnings.push({ file, api, field, message })
  }

  unsupported (file: string, api: string, field: string, what: string): void {
    this.warn(file, api, field, `'${field}' is enabled but Gatehouse has no equivalent; ${what}`)
  }

  input (file: string, v: unknown): boolean {
    const kind = classify(v)
    if (kind === 'list') {
      const items = Array.isArray(v) ? v : arr((v as Obj).apis)
      let ok = true
      for (const item of items) ok = this.input(file, item) && ok
      return ok
    }
    if (kind === 'wrapper') { this.api(file, obj((v as Obj).api_definition)); return true }
    if (kind === 'api') { this.api(file, v as Obj); return true }
    if (kind === 'gateway') { this.gateway(file, v as Obj); return true }
    return false
  }

  gateway (file: string, conf: Obj): void {
    const hso = obj(conf.http_server_options)
    const base = file.startsWith('env:') ? process.cwd() : resolve(file, '..')
    this.certificateList(file, arr(hso.certificates), base, 'http_server_options.certificates')
    const min = num(hso.min_version)
    if (min !== 0) this.tlsMinVersion = this.tlsVersion(file, '(gateway)', 'http_server_options.min_version', min)
    if (truthy(hso.ssl_ciphers)) this.unsupported(file, '(gateway)', 'http_server_options.ssl_ciphers', 'Gatehouse uses ECDHE+AEAD suites unless tls.ciphers (OpenSSL names) is set')
    if (truthy(hso.ssl_certificates)) this.unsupported(file, '(gateway)', 'http_server_options.ssl_certificates', "certificate IDs from Tyk's store cannot be exported: add their PEM files under tls.certificates")
    const port = num(conf.listen_port)
    if (port !== 0) {
      if (hso.use_ssl === true) this.listen = { https: { host: str(conf.listen_address) || '0.0.0.0', port } }
      else this.warn(file, '(gateway)', 'listen_port', `Tyk listened with plain HTTP on ${port}; Gatehouse serves HTTPS on listen.https (default 8443)`)
    }
  }

  /** `[{ domain_name, cert_file, key_file }]` from tyk.conf or TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES. */
  certificateList (file: string, list: Json[], base: string, field: string): void {
    list.forEach((c, i) => {
      const e = obj(c)
      const cert = str(e.cert_file)
      const key = str(e.key_file)
      if (cert === '' || key === '') { this.warn(file, '(gateway)', `${field}[${i}]`, 'has no cert_file/key_file; skipped'); return }
      const entry: Record<string, unknown> = { cert_file: isAbsolute(cert) ? cert : resolve(base, cert), key_file: isAbsolute(key) ? key : resolve(base, key) }
      const domain = str(e.domain_name)
      if (domain !== '') entry.domains = [domain.toLowerCase()]
      this.certificates.push(entry)
    })
  }

  tlsVersion (file: string, api: string, field: string, code: number): string {
    const v = TLS_CODES[code]
    if (v === 'TLSv1.2' || v === 'TLSv1.3') return v
    this.warn(file, api, field, `'${field}' is ${code} (${v ?? 'unknown'}); Gatehouse never speaks below TLS 1.2, so TLSv1.2 is used`)
    return 'TLSv1.2'
  }

  uniqueName (wanted: string): string {
    let name = wanted
    for (let n = 2; this.names.has(name); n++) name = `${wanted}-${n}`
    this.names.add(name)
    return name
  }

  api (file: string, d: Obj): void {
    const label = str(d.name) || str(d.slug) || str(d.api_id) || 'unnamed'
    if (d.active === false) { this.notes.push(`${file}: API '${label}' skipped because 'active' is false`); return }
    const W = (field: string, message: string): void => this.warn(file, label, field, message)
    const U = (field: string, what: string): void => this.unsupported(file, label, field, what)
    const out: Record<string, unknown> = { name: this.uniqueName(str(d.slug) || slugify(label)) }
    this.origins.push(`Tyk API "${label}"${str(d.api_id) !== '' ? ` (api_id ${str(d.api_id)})` : ''}`)

    const rawDomain = str(d.domain).trim()
    if (rawDomain !== '') {
      const noPort = rawDomain.replace(/:\d+$/, '')
      if (noPort !== rawDomain) W('domain', `'${rawDomain}' includes a port; Gatehouse matches the host without it`)
      if (normaliseDomain(noPort) === null) W('domain', `'${rawDomain}' is a Tyk host pattern; Gatehouse matches an exact host or *.parent: fix it by hand`)
      out.domain = noPort.toLowerCase()
    }
    const proxy = obj(d.proxy)
    const lp = str(proxy.listen_path) || '/'
    if (/[{}]/.test(lp)) W('proxy.listen_path', `'${lp}' uses path variables; Gatehouse matches a literal prefix: fix it by hand`)
    out.listen_path = normaliseListenPath(lp) ?? lp
    out.strip_listen_path = proxy.strip_listen_path === true

    // Version: the default one carries headers, size limit and per-path middleware.
    const vd = obj(d.version_data)
    const versions = obj(vd.versions)
    const vnames = Object.keys(versions)
    const vname = vd.not_versioned === true ? vnames[0] : (str(vd.default_version) || vnames[0])
    const version = obj(vname === undefined ? undefined : versions[vname])
    const vfield = `version_data.versions.${vname ?? 'Default'}`
    if (vd.not_versioned === false && vnames.length > 1) U('version_data.versions', `only the default version '${vname ?? ''}' was imported`)

    const upstream: Record<string, unknown> = {}
    const targets = proxy.enable_load_balancing === true && arr(proxy.target_list).length > 0 ? arr(proxy.target_list).map(str) : [str(proxy.target_url)]
    const override = str(version.override_target)
    upstream.targets = override !== '' ? [override] : targets
    if (proxy.enable_load_balancing === true && arr(proxy.target_list).length === 0) W('proxy.enable_load_balancing', 'is on but target_list is empty; target_url is used')
    if (proxy.preserve_host_header === true) upstream.preserve_host_header = true
    const transport = obj(proxy.transport)
    const tls: Record<string, unknown> = {}
    if (transport.ssl_insecure_skip_verify === true) tls.insecure_skip_verify = true
    if (num(transport.ssl_min_version) !== 0) {
      const v = this.tlsVersion(file, label, 'proxy.transport.ssl_min_version', num(transport.ssl_min_version))
      if (v !== 'TLSv1.2') tls.min_version = v
    }
    if (Object.keys(tls).length > 0) upstream.tls = tls
    if (truthy(transport.ssl_ciphers)) U('proxy.transport.ssl_ciphers', 'upstream connections use Node\'s default cipher list')
    if (truthy(transport.ssl_max_version)) U('proxy.transport.ssl_max_version', 'the highest version both sides support is used')
    if (truthy(transport.proxy_url)) U('proxy.transport.proxy_url', 'upstreams are reached directly')
    if (transport.ssl_force_common_name_check === true) U('proxy.transport.ssl_force_common_name_check', 'certificates are checked against SANs')
    if (obj(proxy.service_discovery).use_discovery_service === true) U('proxy.service_discovery.use_discovery_service', 'list the targets in upstream.targets')
    if (proxy.check_host_against_uptime_tests === true) U('proxy.check_host_against_uptime_tests', 'use upstream.health_check')
    if (truthy(arr(obj(d.uptime_tests).check_list))) U('uptime_tests.check_list', 'use upstream.health_check: { path, interval }')
    if (truthy(d.upstream_certificates)) U('upstream_certificates', 'set upstream.tls.cert_file / key_file to the PEM files')
    if (truthy(d.pinned_public_keys)) U('pinned_public_keys', 'use upstream.tls.ca_file to restrict trust')

    // Per-path middleware of the default version.
    const ep = obj(version.extended_paths)
    const hardTimeouts = version.use_extended_paths === false ? [] : arr(ep.hard_timeouts)
    if (hardTimeouts.length > 0) {
      const max = Math.max(...hardTimeouts.map((t) => num(obj(t).timeout)))
      if (max > 0) upstream.timeout = formatDuration(max * 1000)
      W(`${vfield}.extended_paths.hard_timeouts`, `per-path timeouts are not supported; upstream.timeout is set to the largest (${max}s) for the whole API`)
    }
    if (version.use_extended_paths !== false) {
      for (const [k, v] of Object.entries(ep)) {
        if (k === 'hard_timeouts' || !truthy(v)) continue
        U(`${vfield}.extended_paths.${k}`, 'per-path middleware is not imported')
      }
    }
    const paths = obj(version.paths)
    for (const k of ['ignored', 'white_list', 'black_list']) if (truthy(paths[k])) U(`${vfield}.paths.${k}`, 'per-path allow/block lists are not imported')
    if (str(version.expires) !== '') U(`${vfield}.expires`, 'APIs do not expire in Gatehouse')
    out.upstream = upstream

    out.auth = this.auth(file, label, d)

    const grl = obj(d.global_rate_limit)
    if (d.disable_rate_limit !== true && num(grl.rate) > 0 && num(grl.per) > 0) {
      const rate = Math.round(num(grl.rate))
      if (rate !== num(grl.rate)) W('global_rate_limit.rate', `${num(grl.rate)} rounded to ${rate}`)
      out.rate_limit = { rate: Math.max(1, rate), per: formatDuration(Math.round(num(grl.per) * 1000)) }
    }

    const co = obj(d.cache_options)
    if (co.enable_cache === true) {
      if (co.cache_all_safe_requests === true) {
        const cache: Record<string, unknown> = { ttl: formatDuration((num(co.cache_timeout) || 60) * 1000) }
        const codes = arr(co.cache_response_codes).map(num).filter((n) => n >= 100 && n <= 599)
        if (codes.length > 0) cache.status_codes = codes
        const by = arr(co.cache_by_headers).map(str).filter((s) => s !== '')
        if (by.length > 0) cache.by_headers = by
        out.cache = cache
      }
      // Otherwise Tyk caches only the paths in extended_paths.cache, each named in a warning below.
      if (co.enable_upstream_cache_control === true) U('cache_options.enable_upstream_cache_control', 'the cache uses cache.ttl')
    }

    const cors = obj(d.CORS)
    if (cors.enable === true) {
      const c: Record<string, unknown> = {}
      const origins = arr(cors.allowed_origins).map(str).filter((s) => s !== '')
      if (origins.length > 0) c.allowed_origins = origins
      const methods = arr(cors.allowed_methods).map(str).filter((s) => s !== '')
      if (methods.length > 0) c.allowed_methods = methods
      const headers = arr(cors.allowed_headers).map(str).filter((s) => s !== '')
      if (headers.length > 0) c.allowed_headers = headers
      const exposed = arr(cors.exposed_headers).map(str).filter((s) => s !== '')
      if (exposed.length > 0) c.exposed_headers = exposed
      if (cors.allow_credentials === true) {
        if (origins.length === 0 || origins.includes('*')) W('CORS.allow_credentials', "is on with allowed_origins '*', which browsers reject; allow_credentials was left off")
        else c.allow_credentials = true
      }
      if (num(cors.max_age) > 0) c.max_age = formatDuration(num(cors.max_age) * 1000)
      if (cors.options_passthrough === true) U('CORS.options_passthrough', 'Gatehouse answers preflight requests itself')
      out.cors = c
    }

    if (d.enable_ip_whitelisting === true) out.ip_allow = arr(d.allowed_ips).map(str).filter((s) => s !== '')
    if (d.enable_ip_blacklisting === true) out.ip_deny = arr(d.blacklisted_ips).map(str).filter((s) => s !== '')

    const request: Record<string, unknown> = {}
    const response: Record<string, unknown> = {}
    if (version.global_headers_disabled !== true) {
      const set = obj(version.global_headers)
      if (Object.keys(set).length > 0) request.set = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, str(v)]))
      for (const [k, v] of Object.entries(set)) if (str(v).includes('$tyk_') || str(v).includes('$secret_')) W(`${vfield}.global_headers.${k}`, `value '${str(v)}' uses a Tyk variable, which Gatehouse sends literally: fix it by hand`)
      const rm = arr(version.global_headers_remove).map(str).filter((s) => s !== '')
      if (rm.length > 0) request.remove = rm
    }
    if (version.global_response_headers_disabled !== true) {
      const set = obj(version.global_response_headers)
      if (Object.keys(set).length > 0) response.set = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, str(v)]))
      const rm = arr(version.global_response_headers_remove).map(str).filter((s) => s !== '')
      if (rm.length > 0) response.remove = rm
    }
    if (Object.keys(request).length > 0 || Object.keys(response).length > 0) {
      const h: Record<string, unknown> = {}
      if (Object.keys(request).length > 0) h.request = request
      if (Object.keys(response).length > 0) h.response = response
      out.headers = h
    }
    if (num(version.global_size_limit) > 0) out.size_limit = num(version.global_size_limit)

    // Tyk platform features with no Gatehouse behaviour: named when switched on.
    const cm = obj(d.custom_middleware)
    for (const k of ['pre', 'post', 'post_key_auth', 'response']) if (truthy(cm[k])) U(`custom_middleware.${k}`, 'plugins are not supported')
    if (truthy(cm.driver) && (truthy(cm.pre) || truthy(cm.post) || truthy(cm.post_key_auth) || truthy(cm.response) || truthy(obj(cm.auth_check).name))) U('custom_middleware.driver', 'plugins are not supported')
    if (truthy(obj(cm.auth_check).name)) U('custom_middleware.auth_check', 'plugins are not supported')
    if (truthy(d.custom_middleware_bundle)) U('custom_middleware_bundle', 'plugin bundles are not supported')
    const flags: Array<[string, string]> = [
      ['enable_batch_request_support', 'batch requests are not supported'],
      ['enable_context_vars', 'context variables are not supported'],
      ['enable_detailed_recording', 'use the access log'],
      ['enable_proxy_protocol', 'PROXY protocol is not supported'],
      ['internal', 'every Gatehouse API is public: remove it from the file if it must stay internal'],
      ['strip_auth_data', 'credentials are forwarded to the upstream'],
      ['response_processors', 'response processors are not supported'],
      ['tag_headers', 'analytics tags are not supported'],
      ['certificates', "certificate IDs from Tyk's store cannot be exported: add their PEM files under tls.certificates"],
      ['listen_port', 'every API is served on listen.https']
    ]
    for (const [k, what] of flags) if (truthy(d[k])) U(k, what)
    if (truthy(obj(d.event_handlers).events)) U('event_handlers.events', 'webhooks on events are not supported')
    if (obj(d.request_signing).is_enabled === true) U('request_signing.is_enabled', 'requests to the upstream are not signed')
    if (obj(d.analytics_plugin).enable === true) U('analytics_plugin.enable', 'analytics plugins are not supported')
    if (obj(d.graphql).enabled === true) U('graphql.enabled', 'GraphQL APIs are proxied as plain HTTP')
    const protocol = str(d.protocol)
    if (protocol !== '' && protocol !== 'http' && protocol !== 'https') U('protocol', `${protocol} APIs are not supported`)

    this.apis.push(out)
  }

  auth (file: string, label: string, d: Obj): unknown {
    const W = (field: string, message: string): void => this.warn(file, label, field, message)
    const U = (field: string, what: string): void => this.unsupported(file, label, field, what)
    const failClosed = { type: 'api_key', keys: [] as string[] }
    const unsupported: Array<[string, boolean]> = [
      ['use_oauth2', d.use_oauth2 === true],
      ['use_openid', d.use_openid === true],
      ['enable_signature_checking', d.enable_signature_checking === true],
      ['enable_coprocess_auth', d.enable_coprocess_auth === true],
      ['use_go_plugin_auth', d.use_go_plugin_auth === true],
      ['custom_plugin_auth_enabled', d.custom_plugin_auth_enabled === true]
    ]
    for (const [k, on] of unsupported) if (on) U(k, 'the API fails closed (api_key with no keys) until its auth is set by hand')
    const methods: string[] = []
    if (d.use_keyless === true) methods.push('use_keyless')
    if (d.use_standard_auth === true) methods.push('use_standard_auth')
    if (d.use_basic_auth === true) methods.push('use_basic_auth')
    if (d.enable_jwt === true) methods.push('enable_jwt')
    if (d.use_mutual_tls_auth === true) methods.push('use_mutual_tls_auth')
    const anyUnsupported = unsupported.some(([, on]) => on)
    // Tyk uses an auth token when nothing else is chosen.
    if (methods.length === 0 && !anyUnsupported) methods.push('use_standard_auth')
    if (methods.length === 0) return failClosed
    if (methods.includes('use_keyless') && (methods.length > 1 || anyUnsupported)) {
      W('use_keyless', 'is on together with other auth methods; Tyk ignores them and so does this import')
      return 'keyless'
    }
    if (methods.length > 1 || anyUnsupported) W('base_identity_provided_by', `chained auth (${methods.join(', ')}) is not supported; only ${methods[0] as string} was imported`)
    const first = methods[0] as string
    if (first === 'use_keyless') return 'keyless'
    if (first === 'use_mutual_tls_auth') {
      W('use_mutual_tls_auth', 'mtls needs tls.client_ca_file: set it to the CA that issued the allowed client certificates')
      return 'mtls'
    }
    if (first === 'use_standard_auth') {
      const a = { ...obj(d.auth), ...obj(obj(d.auth_configs).authToken) }
      const header = str(a.auth_header_name) || 'Authorization'
      const out: Record<string, unknown> = { type: 'api_key', header, keys: [] }
      if (a.use_param === true) out.query = str(a.param_name) || header
      if (a.use_cookie === true) U('auth_configs.authToken.use_cookie', 'keys are read from the header (and query) only')
      if (a.validate_signature === true) U('auth_configs.authToken.validate_signature', 'request signatures are not checked')
      W('use_standard_auth', "keys live in Tyk's Redis and are not exported: list them under auth.keys")
      return out
    }
    if (first === 'use_basic_auth') {
      if (obj(d.basic_auth).extract_from_body === true) U('basic_auth.extract_from_body', 'credentials are read from the Authorization header only')
      W('use_basic_auth', "users live in Tyk's Redis and are not exported: list them under auth.users")
      return { type: 'basic', users: {} }
    }
    // enable_jwt: jwt_source is a base64 secret or PEM, or a JWKS URL.
    const method = str(d.jwt_signing_method)
    let source = str(d.jwt_source)
    try { if (!/^https?:\/\//.test(source) && source !== '') source = Buffer.from(source, 'base64').toString('utf8') } catch { /* keep as is */ }
    if (truthy(d.jwt_scope_to_policy_mapping)) U('jwt_scope_to_policy_mapping', 'Tyk policies do not exist in Gatehouse')
    if (/^https?:\/\//.test(source)) {
      U('jwt_source', `JWKS URL ${source} is not supported; the API fails closed until a public_key_file is set`)
      return failClosed
    }
    if (source === '') { W('jwt_source', 'is empty; the API fails closed until a key is set'); return failClosed }
    if (method === 'hmac') return { type: 'jwt', algorithms: ['HS256', 'HS384', 'HS512'], secret: source }
    if (method === 'rsa') return { type: 'jwt', algorithms: ['RS256', 'RS384', 'RS512'], public_key: source }
    if (method === 'ecdsa') return { type: 'jwt', algorithms: ['ES256', 'ES384', 'ES512'], public_key: source }
    U('jwt_signing_method', `'${method}' is not supported; the API fails closed`)
    return failClosed
  }
}

function slugify (s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'api'
}

/** Map parsed Tyk inputs (and the certificates env JSON, if any) to a Gatehouse document. */
export function mapTyk (inputs: TykInput[], envCertificates: { json: unknown, cwd: string } | null = null): TykImport & { rejected: string[] } {
  const m = new Mapper()
  const rejected: string[] = []
  for (const { file, json } of inputs) if (!m.input(file, json)) rejected.push(file)
  if (envCertificates !== null) m.certificateList('env:TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES', arr(envCertificates.json as Json), envCertificates.cwd, 'TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES')
  const document: Record<string, unknown> = { version: 1 }
  if (m.listen !== null) document.listen = m.listen
  const tls: Record<string, unknown> = {}
  if (m.tlsMinVersion !== null && m.tlsMinVersion !== 'TLSv1.2') tls.min_version = m.tlsMinVersion
  if (m.certificates.length > 0) tls.certificates = m.certificates
  else m.warn('(all inputs)', '(gateway)', 'http_server_options.certificates', 'no certificates found (tyk.conf or TYK_GW_HTTPSERVEROPTIONS_CERTIFICATES): add tls.certificates, e.g. from `gatehouse certs issue`')
  if (Object.keys(tls).length > 0) document.tls = tls
  document.apis = m.apis
  return { document, origins: m.origins, warnings: m.warnings, notes: m.notes, rejected }
}
