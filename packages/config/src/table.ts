// The compiled routing table: the spine of Gatehouse. The primary builds it once
// per config load (`compile()`), sends it to every worker over IPC, and the
// workers build their SecureContexts, router maps and upstream pools from it.
// It is plain, structured-clonable data: no Maps, no class instances, no
// functions, no Buffers (PEMs are strings). Every field is always present
// (null / [] / 0 when a feature is off) so consumers never probe for keys.

/** A TCP listen address. */
export interface ListenAddress {
  /** Interface to bind, e.g. `0.0.0.0`, `127.0.0.1`, `::`. */
  host: string
  /** TCP port; 0 asks the OS for a free one (tests). */
  port: number
}

/** The optional plain-HTTP listener. */
export interface HttpListener extends ListenAddress {
  /** Answer every request with 308 to the same URL on https instead of routing it. */
  redirectHttps: boolean
}

/** Client-side timeouts of the public listeners, in milliseconds. */
export interface ClientTimeouts {
  /** The whole request head must arrive within this (slowloris guard). */
  headersMs: number
  /** Idle time allowed between requests on one keep-alive connection. */
  keepAliveMs: number
  /** The whole request, body included; 0 = no limit. */
  requestMs: number
  /** A client that takes none of a response for this long is closed (nginx's send_timeout); 0 = no limit. */
  sendMs: number
}

/** One certificate the TLS listener can present. */
export interface CompiledCertificate {
  /** Absolute path of the certificate file, for logs and /config. */
  certFile: string
  /** Leaf first, then intermediates, PEM. Each SecureContext gets its own full chain. */
  certPem: string
  /** Private key, PEM (decrypted by the primary when a passphrase file is set). */
  keyPem: string
  /** Lower-cased names this certificate answers for (`*.example.com` allowed). */
  domains: string[]
  /** Subject alternative DNS names of the leaf, lower-cased (for /config). */
  sans: string[]
  /** Leaf notAfter, milliseconds since the epoch (certificate-expiry metric). */
  notAfter: number
  /** Leaf serial number, upper-case hex (logs, /config, reload tests). */
  serial: string
  /** SHA-256 fingerprint of the leaf, upper-case hex with colons. */
  fingerprint256: string
}

/** TLS settings of the public HTTPS listener. */
export interface CompiledTls {
  /** Lowest protocol version accepted. */
  minVersion: 'TLSv1.2' | 'TLSv1.3'
  /** OpenSSL cipher list for TLS <= 1.2; the safe default is filled in by compile(). */
  ciphers: string
  /** All certificates; indexes into this array are certificate ids. */
  certificates: CompiledCertificate[]
  /** Exact lower-cased SNI name -> certificate index. */
  exactCerts: Record<string, number>
  /** Parent of a one-label wildcard (`example.com` for `*.example.com`) -> certificate index. */
  wildcardCerts: Record<string, number>
  /** Certificate index for unknown names and clients that send no SNI. */
  defaultCertificate: number
  /** PEM bundle of CAs that verify client certificates; null = do not ask for one. */
  clientCaPem: string | null
  /** Whether TLS session tickets are issued (keys come from the primary, never from disk). */
  sessionTickets: boolean
}

/** TLS towards one API's upstream targets. */
export interface UpstreamTls {
  /** Extra CA bundle (PEM) to verify https targets; null = Node's default roots. */
  caPem: string | null
  /** Skip certificate verification (logged loudly at startup). */
  insecureSkipVerify: boolean
  /** Client certificate chain (PEM) presented to the upstream, or null. */
  certPem: string | null
  /** Key for `certPem`, PEM, or null. */
  keyPem: string | null
  /** Lowest TLS version spoken to the upstream (`upstream.tls.min_version`, default TLSv1.2). */
  minVersion: 'TLSv1.2' | 'TLSv1.3'
}

/** Active health checking of an API's targets. */
export interface HealthCheck {
  /** Path requested with GET on each target. */
  path: string
  /** Interval between checks, ms. */
  intervalMs: number
}

/** Where an API sends its traffic. */
export interface CompiledUpstream {
  /** Normalised absolute URLs (`http://host:port` plus an optional base path, no trailing slash). */
  targets: string[]
  /** How several targets share requests. */
  balance: 'round_robin' | 'least_conn'
  /** Send the client's Host header upstream instead of the target's host. */
  preserveHostHeader: boolean
  /** Time allowed for the upstream to answer (response head), ms; exceeded = 504. */
  timeoutMs: number
  /** TLS for https targets. */
  tls: UpstreamTls
  /** Active health checks, or null when off. */
  healthCheck: HealthCheck | null
}

/**
 * Authentication an API requires. Only `mtls` is enforced by the data path so far.
 * - `api_key`: `header` is the lower-cased header name the key is read from (default
 *   `x-api-key`); `query` a query parameter also accepted, or null; `keys` the valid keys.
 * - `basic`: `realm` for `WWW-Authenticate`; `users` maps user name -> password (plain text,
 *   usually `${VAR}`-interpolated; compare in constant time).
 * - `jwt`: `algorithms` is never empty (derived from the key kind when not configured);
 *   exactly one of `secret` (HS*) and `publicKeyPem` (RS*, PS*, ES*, EdDSA; a PEM public key
 *   or a certificate) is set; `issuer` / `audience` are checked when not null.
 * - `mtls`: the client certificate must verify against `tls.clientCaPem` (always set then).
 */
export type AuthPolicy =
  | { type: 'keyless' }
  | { type: 'api_key', header: string, query: string | null, keys: string[] }
  | { type: 'basic', realm: string, users: Record<string, string> }
  | { type: 'jwt', algorithms: string[], secret: string | null, publicKeyPem: string | null, issuer: string | null, audience: string | null }
  | { type: 'mtls' }

/** Token-bucket rate limit. */
export interface RateLimitPolicy {
  /** Requests allowed per window. */
  rate: number
  /** Window length, ms. */
  perMs: number
}

/** Response caching. */
export interface CachePolicy {
  /** Time a stored response is served, ms. */
  ttlMs: number
  /** Only responses with these status codes are stored. */
  statusCodes: number[]
  /** Lower-cased request header names that are part of the cache key. */
  byHeaders: string[]
}

/** CORS answers. */
export interface CorsPolicy {
  /** Allowed origins; `*` = any. */
  allowedOrigins: string[]
  /** Allowed methods (upper-case). */
  allowedMethods: string[]
  /** Allowed request headers (lower-case). */
  allowedHeaders: string[]
  /** Response headers exposed to the browser. */
  exposedHeaders: string[]
  /** Send Access-Control-Allow-Credentials. */
  allowCredentials: boolean
  /** Preflight cache lifetime, seconds. */
  maxAgeS: number
}

/** Header rewriting in one direction. Names are lower-cased. */
export interface HeaderRewrite {
  /** Headers to set (replacing any existing value), as [name, value] pairs. */
  set: Array<[string, string]>
  /** Header names to remove. */
  remove: string[]
}

/** One API as the worker serves it. */
export interface CompiledApi {
  /** Index of this API in `RoutingTable.apis`. */
  id: number
  /** Configured name: the `api` metric label and the access-log field. */
  name: string
  /** Lower-cased exact domain, `*.parent` wildcard, or null for any host. */
  domain: string | null
  /** Normalised listen path: starts with `/`, no trailing slash unless it is `/`. */
  listenPath: string
  /** Remove `listenPath` from the path before proxying. */
  stripListenPath: boolean
  /** Where requests go. */
  upstream: CompiledUpstream
  /** Authentication. */
  auth: AuthPolicy
  /** Rate limit, or null when off. */
  rateLimit: RateLimitPolicy | null
  /** Response cache, or null when off. */
  cache: CachePolicy | null
  /** CORS, or null when off. */
  cors: CorsPolicy | null
  /** CIDRs allowed (empty = all). */
  ipAllow: string[]
  /** CIDRs denied. */
  ipDeny: string[]
  /** Request-side header rewriting, or null when nothing is configured. */
  requestHeaders: HeaderRewrite | null
  /** Response-side header rewriting, or null when nothing is configured. */
  responseHeaders: HeaderRewrite | null
  /** Largest request body accepted, bytes, or null for no limit. */
  sizeLimit: number | null
}

/**
 * Listen path -> API id, for one host. The router walks the request path from
 * the longest segment-boundary prefix to `/` and takes the first hit, so the
 * longest `listen_path` on a segment boundary wins.
 */
export type PathMap = Record<string, number>

/**
 * Everything a worker needs to serve; the primary compiles it, workers only read it.
 * After structured cloning the maps below are ordinary objects: look keys up with
 * `Object.hasOwn` (a Host of `constructor` or `__proto__` must not hit the prototype).
 * Routing (packages/config/README.md): host lower-cased without port; walk the request
 * path in `hosts[host]` from the longest segment-boundary prefix down to `/`; no hit ->
 * the same in `wildcards[parent]` (host minus its first label); no hit -> `anyHost`; else 404.
 */
export interface RoutingTable {
  /** Content hash (sha256 hex) of the config text and every referenced certificate/key file. */
  version: string
  /** When compile() ran, ms since the epoch. */
  compiledAt: number
  /** Absolute path of the config file it came from (or `<demo>`). */
  source: string
  /** Worker count resolved from `workers:` (auto = available parallelism). */
  workers: number
  /** How the cluster hands connections to workers: `round_robin` (primary accepts) or `os` (workers accept). Config key `scheduling`, env `GATEHOUSE_SCHEDULING`. */
  scheduling: 'round_robin' | 'os'
  /** Watch the config and certificate files and reload on change (`reload.watch`, for Kubernetes mounts). */
  reloadWatch: boolean
  /** Graceful drain deadline on SIGTERM, ms. */
  shutdownTimeoutMs: number
  /** Public listeners. */
  listen: { https: ListenAddress, http: HttpListener | null }
  /** Admin listener (primary only). */
  admin: ListenAddress
  /** `stdout`, `off`, or an absolute file path. */
  accessLog: string
  /** Client-side timeouts of the public listeners. */
  timeouts: ClientTimeouts
  /** TLS listener settings and certificates. */
  tls: CompiledTls
  /** Shared-state Redis, or null. */
  redis: { url: string } | null
  /** Every API; indexes are API ids. */
  apis: CompiledApi[]
  /** Exact lower-cased host -> its APIs by listen path. */
  hosts: Record<string, PathMap>
  /** Wildcard parent (`example.com` for `*.example.com`) -> its APIs by listen path. */
  wildcards: Record<string, PathMap>
  /** APIs without a domain, by listen path: tried when the host's own APIs have no match. */
  anyHost: PathMap
}
