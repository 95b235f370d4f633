// The gateway's error registry (STYLE #1): every code a user can see, with its
// message and the fix. Data-path errors are answered to clients as JSON
// `{"error": "...", "request_id": "..."}` (DESIGN.md "Request handling"); the
// `status` says which HTTP status carries them.

/** Every gateway error: message (printf-style `%s`), HTTP status where it is sent to a client, and the hint. */
export const ERRORS = {
  GH_GATEWAY_NO_ROUTE: {
    status: 404,
    message: 'no API matches this host and path',
    hint: 'check the request host and path against the `domain` and `listen_path` of your APIs'
  },
  GH_GATEWAY_BAD_REQUEST: {
    status: 400,
    message: 'bad request',
    hint: 'the request head is malformed or its framing is ambiguous (Content-Length with Transfer-Encoding, or conflicting Content-Length values)'
  },
  GH_GATEWAY_BAD_TARGET: {
    status: 400,
    message: 'bad request target',
    hint: 'send an origin-form target (`/path?query`) without `.` or `..` segments; absolute-form targets are for forward proxies'
  },
  GH_GATEWAY_BAD_UPGRADE: {
    status: 400,
    message: 'unsupported upgrade',
    hint: 'only `Upgrade: websocket` is tunnelled to upstreams'
  },
  GH_GATEWAY_CLIENT_CERT_REQUIRED: {
    status: 401,
    message: 'a verified client certificate is required',
    hint: 'this API has `auth: {type: mtls}`: connect with a certificate issued by the CA in `tls.client_ca_file`'
  },
  GH_GATEWAY_UPSTREAM_UNREACHABLE: {
    status: 502,
    message: 'upstream unreachable',
    hint: 'the upstream refused or reset the connection: check that `upstream.targets` are running'
  },
  GH_GATEWAY_UPSTREAM_BROKE: {
    status: 502,
    message: 'upstream connection broke',
    hint: 'the upstream closed the connection before answering'
  },
  GH_GATEWAY_UPSTREAM_TIMEOUT: {
    status: 504,
    message: 'upstream timed out',
    hint: 'the upstream did not answer within `upstream.timeout`'
  },
  GH_GATEWAY_TICKET_KEYS: {
    status: 500,
    message: 'session ticket keys must be 48 bytes, got %s',
    hint: 'pass a 48-byte Buffer (crypto.randomBytes(48)) to setTicketKeys()'
  },
  GH_GATEWAY_LISTEN: {
    status: 500,
    message: 'cannot listen on %s',
    hint: 'another process holds the port, or binding it needs privileges: change `listen.https`/`listen.http` in the config'
  }
} as const

/** A gateway error code. */
export type GatewayErrorCode = keyof typeof ERRORS

/** The one error class of @gatehouse/gateway; `code` keys into ERRORS. */
export class GatehouseError extends Error {
  readonly code: GatewayErrorCode
  readonly hint: string
  constructor (code: GatewayErrorCode, ...args: string[]) {
    const def = ERRORS[code]
    let i = 0
    super(def.message.replace(/%s/g, () => args[i++] ?? ''))
    this.name = 'GatehouseError'
    this.code = code
    this.hint = def.hint
  }
}
