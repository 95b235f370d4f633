// Shared settings of the k6 scripts: where the gateway is and which Host to
// ask for, from environment variables so the same scripts run against any
// deployment:
//   BASE_URL   https://gateway.example:8443   (default https://127.0.0.1:8443)
//   HOST       Host header / API domain        (default bench.localhost)
//   INSECURE   "0" to verify the certificate   (default: skip, for local CAs)
export const BASE_URL = __ENV.BASE_URL || 'https://127.0.0.1:8443'
export const HOST = __ENV.HOST || 'bench.localhost'
export const INSECURE = __ENV.INSECURE !== '0'

/** Request params with the Host header. */
export function params (extra = {}) {
  return { headers: { Host: HOST, ...(extra.headers || {}) }, ...extra, tags: { ...(extra.tags || {}) } }
}

/** Number from an env var, or the default. */
export function num (name, dflt) {
  const v = Number(__ENV[name])
  return Number.isFinite(v) && __ENV[name] !== undefined && __ENV[name] !== '' ? v : dflt
}
