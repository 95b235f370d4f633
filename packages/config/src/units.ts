// Durations and sizes as users write them in the config file. Durations are
// a non-negative number with a unit (`500ms`, `30s`, `5m`, `1h`; `0` alone is
// allowed and means "none"); sizes are bytes or a number with a binary-meaning
// unit (`512KB` = 512 * 1024 bytes, `10MB`, `1GB`), matching what nginx's
// `client_max_body_size 10m` means to people moving over.

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Milliseconds for `500ms` / `30s` / `5m` / `1h` / `0`, or null when malformed. */
export function parseDuration (text: string): number | null {
  const t = text.trim()
  if (t === '0') return 0
  const m = DURATION.exec(t)
  if (m === null) return null
  const ms = Number(m[1]) * (DURATION_MS[m[2] as string] as number)
  return Number.isFinite(ms) ? Math.round(ms) : null
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|K|M|G|KiB|MiB|GiB)?$/i
const SIZE_BYTES: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 }

/** Bytes for `1048576` / `512KB` / `10MB` / `1GB`, or null when malformed. */
export function parseSize (text: string): number | null {
  const m = SIZE.exec(text.trim())
  if (m === null) return null
  const unit = (m[2] ?? 'b').toLowerCase()
  const bytes = Number(m[1]) * (SIZE_BYTES[unit] as number)
  return Number.isSafeInteger(Math.round(bytes)) ? Math.round(bytes) : null
}

/** `30000` -> `30s`, for messages and the Tyk importer's output. */
export function formatDuration (ms: number): string {
  if (ms === 0) return '0'
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}
