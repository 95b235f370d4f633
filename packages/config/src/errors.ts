// The error registry of @gatehouse/config (STYLE #1): every diagnostic the
// loader, the `check` command and the Tyk importer can emit, as one `as const`
// table of code -> message template + hint. Templates use `%s` placeholders
// filled in order. Diagnostics are plain objects (they cross piscina and IPC);
// `GatehouseError` is the one Error class, thrown only for programming misuse
// and CLI-level failures, never for a bad config file (those are collected).

export const ERRORS = {
  GH_CONFIG_READ: { message: "cannot read config file '%s': %s", hint: 'check the path given with -c (or GATEHOUSE_CONFIG) and its permissions' },
  GH_CONFIG_YAML: { message: 'YAML syntax error: %s', hint: 'fix the YAML syntax at this position' },
  GH_CONFIG_UNKNOWN_KEY: { message: "unknown key '%s'", hint: '%s' },
  GH_CONFIG_TYPE: { message: 'expected %s, got %s', hint: '%s' },
  GH_CONFIG_ENUM: { message: "'%s' is not allowed", hint: 'use one of: %s' },
  GH_CONFIG_REQUIRED: { message: "missing required key '%s'", hint: '%s' },
  GH_CONFIG_EMPTY: { message: 'needs at least one entry', hint: '%s' },
  GH_CONFIG_RANGE: { message: '%s is out of range', hint: 'use a value from %s to %s' },
  GH_CONFIG_DURATION: { message: "invalid duration '%s'", hint: 'write a number with a unit: 500ms, 30s, 5m or 1h' },
  GH_CONFIG_SIZE: { message: "invalid size '%s'", hint: 'write a number of bytes or a number with a unit: 512KB, 10MB, 1GB' },
  GH_CONFIG_ENV_MISSING: { message: "environment variable '%s' is not set", hint: 'export %s, or give a default: ${%s:-value}' },
  GH_CONFIG_ENV_SYNTAX: { message: "malformed variable reference '%s'", hint: 'write ${NAME} or ${NAME:-default}; NAME is letters, digits and _; write $${ for a literal ${' },
  GH_CONFIG_VERSION: { message: "unsupported config version '%s'", hint: 'this Gatehouse reads version: 1' },
  GH_CONFIG_FILE_MISSING: { message: "cannot read '%s': %s", hint: 'paths are relative to the directory of the config file (%s)' },
  GH_CONFIG_CERT_PARSE: { message: "'%s' holds no PEM certificate OpenSSL can parse: %s", hint: 'the file must contain the leaf certificate first, then any intermediates, in PEM' },
  GH_CONFIG_KEY_PARSE: { message: "cannot load the private key '%s': %s", hint: '%s' },
  GH_CONFIG_KEY_MISMATCH: { message: "the private key '%s' does not belong to the certificate '%s'", hint: 'pair each cert_file with the key it was issued for (compare `openssl x509 -pubkey` and `openssl pkey -pubout`)' },
  GH_CONFIG_CERT_EXPIRED: { message: "certificate '%s' expired on %s", hint: 'issue a new one, e.g. `gatehouse certs issue --ca DIR --san NAME --out PREFIX`' },
  GH_CONFIG_CERT_EXPIRING: { message: "certificate '%s' expires in %s days (%s)", hint: 'renew it before it expires' },
  GH_CONFIG_CERT_NOT_YET_VALID: { message: "certificate '%s' is not valid before %s", hint: 'check the clock of the machine that issued it' },
  GH_CONFIG_DOMAIN_NOT_COVERED: { message: "domain '%s' is not covered by the certificate's names (%s)", hint: 'remove it from domains, or issue a certificate with this name as a SAN' },
  GH_CONFIG_DOMAIN_INVALID: { message: "'%s' is not a valid domain", hint: 'use a host name like api.example.com or a one-label wildcard like *.example.com' },
  GH_CONFIG_NO_CERTIFICATES: { message: 'the HTTPS listener needs at least one certificate', hint: 'add tls.certificates: [{ cert_file: ..., key_file: ... }] (`gatehouse certs issue` makes one)' },
  GH_CONFIG_DEFAULT_CERT_UNKNOWN: { message: "default_certificate '%s' is not a domain of any certificate", hint: 'use one of: %s' },
  GH_CONFIG_CERT_FOR_DOMAIN: { message: "no certificate covers domain '%s'; clients will get the default certificate and fail verification", hint: 'add a certificate whose SANs include it' },
  GH_CONFIG_DUPLICATE_API: { message: "duplicate API name '%s' (first at line %s)", hint: 'API names are metric labels and must be unique' },
  GH_CONFIG_DUPLICATE_ROUTE: { message: "API '%s' has the same domain and listen_path as API '%s' (line %s)", hint: 'change the domain or the listen_path of one of them' },
  GH_CONFIG_LISTEN_PATH: { message: "invalid listen_path '%s'", hint: 'start it with / and leave out ?, #, spaces and . or .. segments' },
  GH_CONFIG_TARGET_URL: { message: "invalid upstream target '%s': %s", hint: 'use an absolute http:// or https:// URL such as http://127.0.0.1:9000' },
  GH_CONFIG_HEADER_NAME: { message: "'%s' is not a valid HTTP header name", hint: 'header names are letters, digits and !#$%&\'*+-.^_`|~' },
  GH_CONFIG_CIDR: { message: "invalid CIDR '%s'", hint: 'use an IPv4 or IPv6 address, optionally with a prefix length: 10.0.0.0/8, 2001:db8::/32' },
  GH_CONFIG_PORT_CLASH: { message: 'admin port %s is also a public port', hint: 'the admin endpoints must never be served on a public port; pick another admin.port' },
  GH_CONFIG_REDIS_URL: { message: "invalid redis url '%s'", hint: 'use redis://host:6379 or rediss://host:6380 (TLS)' },
  GH_CONFIG_AUTH: { message: '%s', hint: '%s' },
  GH_CONFIG_CORS: { message: '%s', hint: '%s' },
  GH_CONFIG_API_KEY_EMPTY: { message: "API '%s' uses api_key auth with no keys: every request will get 401", hint: 'list the keys under auth.keys (use ${VAR} to keep them out of the file)' },
  GH_CONFIG_INSECURE_UPSTREAM: { message: "API '%s' does not verify its upstream's TLS certificate", hint: 'set upstream.tls.ca_file instead of insecure_skip_verify where you can' },
  GH_TYK_READ: { message: "cannot read '%s': %s", hint: 'pass Tyk API definition files (*.json), directories of them, or a tyk.conf' },
  GH_TYK_JSON: { message: "'%s' is not valid JSON: %s", hint: 'export the API definition from the Tyk Dashboard or the gateway API again' },
  GH_TYK_NOT_API: { message: "'%s' does not look like a Tyk API definition or tyk.conf", hint: 'an API definition has `proxy` and `api_id`; a tyk.conf has `http_server_options` or `listen_port`' }
} as const

export type ErrorCode = keyof typeof ERRORS

/** Fill a registry template's `%s` placeholders in order. */
export function format (template: string, args: ReadonlyArray<string | number>): string {
  let i = 0
  return template.replace(/%s/g, () => String(args[i++] ?? ''))
}

/** The one error class of this package; `code` is a registry key. */
export class GatehouseError extends Error {
  readonly code: ErrorCode
  readonly hint: string
  constructor (code: ErrorCode, args: ReadonlyArray<string | number> = [], hintArgs: ReadonlyArray<string | number> = []) {
    super(format(ERRORS[code].message, args))
    this.name = 'GatehouseError'
    this.code = code
    this.hint = format(ERRORS[code].hint, hintArgs)
  }
}

/** One problem found in a config file (or a Tyk export): plain data, structured-clonable. */
export interface Diagnostic {
  /** `error` makes the file invalid; `warning` is reported and loading continues. */
  severity: 'error' | 'warning'
  /** Registry code, e.g. `GH_CONFIG_UNKNOWN_KEY`. */
  code: ErrorCode
  /** Absolute path of the file the problem is in. */
  file: string
  /** 1-based line; 1 when the problem is about the whole file. */
  line: number
  /** 1-based column. */
  col: number
  /** Key path inside the document, e.g. `apis[2].upstream.targets[0]`; '' for the whole file. */
  path: string
  /** What is wrong, starting with the key path. */
  message: string
  /** What to do about it. */
  hint: string
}

/** `file:line:col: message (hint)`; warnings say `warning:` after the position. */
export function formatDiagnostic (d: Diagnostic): string {
  const tag = d.severity === 'warning' ? 'warning: ' : ''
  const hint = d.hint === '' ? '' : ` (${d.hint})`
  return `${d.file}:${d.line}:${d.col}: ${tag}${d.message}${hint}`
}
