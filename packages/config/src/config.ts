// The validated configuration: the YAML file's own keys (snake_case, exactly
// as DESIGN.md names them), with every default filled in, durations turned
// into milliseconds, sizes into bytes and paths made absolute. It is deep-
// frozen after validation; compile() turns it into the RoutingTable.

/** `host` + `port` of a listener. Port 0 = any free port (tests). */
export interface ListenConfig { host: string, port: number }

export interface CertificateConfig {
  /** Absolute path: leaf first, then intermediates (PEM). */
  cert_file: string
  /** Absolute path of the private key (PEM, PKCS#8 / PKCS#1 / SEC1, optionally encrypted). */
  key_file: string
  /** Absolute path of a file whose first line is the key's passphrase, or null. */
  key_passphrase_file: string | null
  /** Names served with this certificate, lower-cased; null = the leaf's DNS SANs. */
  domains: string[] | null
}

export type AuthConfig =
  | { type: 'keyless' }
  | { type: 'api_key', header: string, query: string | null, keys: string[] }
  | { type: 'basic', realm: string, users: Record<string, string> }
  | { type: 'jwt', algorithms: string[], secret: string | null, public_key: string | null, public_key_file: string | null, issuer: string | null, audience: string | null }
  | { type: 'mtls' }

export interface ApiConfig {
  name: string
  /** Lower-cased exact host, `*.parent`, or null for any host. */
  domain: string | null
  /** Normalised: leading `/`, no trailing slash unless it is `/`. */
  listen_path: string
  strip_listen_path: boolean
  upstream: {
    /** Absolute http(s) URLs, normalised (no trailing slash). */
    targets: string[]
    balance: 'round_robin' | 'least_conn'
    preserve_host_header: boolean
    /** ms */
    timeout: number
    tls: { ca_file: string | null, insecure_skip_verify: boolean, cert_file: string | null, key_file: string | null, min_version: 'TLSv1.2' | 'TLSv1.3' }
    /** interval in ms */
    health_check: { path: string, interval: number } | null
  }
  auth: AuthConfig
  /** per in ms */
  rate_limit: { rate: number, per: number } | null
  /** ttl in ms */
  cache: { ttl: number, status_codes: number[], by_headers: string[] } | null
  /** max_age in ms */
  cors: { allowed_origins: string[], allowed_methods: string[], allowed_headers: string[], exposed_headers: string[], allow_credentials: boolean, max_age: number } | null
  /** CIDRs, normalised (`10.0.0.1` -> `10.0.0.1/32`). */
  ip_allow: string[]
  ip_deny: string[]
  headers: {
    request: { set: Record<string, string>, remove: string[] }
    response: { set: Record<string, string>, remove: string[] }
  }
  /** bytes, or null for no limit */
  size_limit: number | null
}

export interface Config {
  version: 1
  workers: number | 'auto'
  scheduling: 'round_robin' | 'os'
  reload: { watch: boolean }
  /** ms */
  shutdown_timeout: number
  listen: { https: ListenConfig, http: (ListenConfig & { redirect_https: boolean }) | null }
  admin: ListenConfig
  /** `stdout`, `off`, or an absolute path. */
  access_log: string
  /** all ms */
  timeouts: { headers: number, keep_alive: number, request: number, send: number }
  tls: {
    min_version: 'TLSv1.2' | 'TLSv1.3'
    ciphers: string | null
    certificates: CertificateConfig[]
    /** Lower-cased domain, or null = the first certificate. */
    default_certificate: string | null
    client_ca_file: string | null
    session_tickets: boolean
  }
  redis: { url: string } | null
  apis: ApiConfig[]
}
