// Host and path routing, compiled once per RoutingTable. The table's Records
// become Maps; a request costs a few Map lookups while walking its path from
// the longest segment-boundary prefix down to `/` (so `/api` matches `/api`
// and `/api/x`, never `/apiary`). No regex, no per-request closures.
import type { RoutingTable } from '@gatehouse/config'

/** listen path -> route value, for one host. */
export type PathIndex<T> = Map<string, T>

/** The compiled router; `T` is the per-API runtime object the caller builds. */
export interface Router<T> {
  hosts: Map<string, PathIndex<T>>
  wildcards: Map<string, PathIndex<T>>
  anyHost: PathIndex<T> | null
}

function toIndex<T> (paths: Record<string, number>, apis: readonly T[]): PathIndex<T> {
  const index = new Map<string, T>()
  for (const path of Object.keys(paths)) {
    const api = apis[paths[path] as number]
    if (api !== undefined) index.set(path, api)
  }
  return index
}

/** Builds the router of a table; `apis[i]` is the runtime object of `table.apis[i]`. */
export function buildRouter<T> (table: RoutingTable, apis: readonly T[]): Router<T> {
  const hosts = new Map<string, PathIndex<T>>()
  for (const host of Object.keys(table.hosts)) hosts.set(host, toIndex(table.hosts[host] as Record<string, number>, apis))
  const wildcards = new Map<string, PathIndex<T>>()
  for (const parent of Object.keys(table.wildcards)) wildcards.set(parent, toIndex(table.wildcards[parent] as Record<string, number>, apis))
  const anyHost = toIndex(table.anyHost, apis)
  return { hosts, wildcards, anyHost: anyHost.size > 0 ? anyHost : null }
}

/** Longest segment-boundary prefix of `path` (no query) present in `index`. */
export function matchPath<T> (index: PathIndex<T>, path: string): T | undefined {
  let p = path
  for (;;) {
    const hit = index.get(p)
    if (hit !== undefined) return hit
    if (p.length <= 1) return undefined
    const slash = p.lastIndexOf('/')
    // A path that does not start with `/` (absolute-form or `*`) only matches `/`.
    p = slash <= 0 ? '/' : p.slice(0, slash)
  }
}

/** The route for a lower-cased, port-less host and a path without query (DESIGN.md precedence). */
export function route<T> (router: Router<T>, host: string, path: string): T | undefined {
  const exact = router.hosts.get(host)
  if (exact !== undefined) {
    const hit = matchPath(exact, path)
    if (hit !== undefined) return hit
  }
  const dot = host.indexOf('.')
  if (dot > 0 && router.wildcards.size > 0) {
    const wild = router.wildcards.get(host.slice(dot + 1))
    if (wild !== undefined) {
      const hit = matchPath(wild, path)
      if (hit !== undefined) return hit
    }
  }
  return router.anyHost === null ? undefined : matchPath(router.anyHost, path)
}

/** Host header (or SNI) -> lower-cased host without port; '' when absent. */
export function normalizeHost (raw: string | undefined): string {
  if (raw === undefined || raw.length === 0) return ''
  let end = raw.length
  if (raw.charCodeAt(0) === 91 /* [ */) {
    const close = raw.indexOf(']')
    end = close === -1 ? raw.length : close + 1
  } else {
    const colon = raw.lastIndexOf(':')
    if (colon !== -1) end = colon
  }
  // A trailing dot names the same host (RFC 1034 §3.1 absolute name).
  if (end > 0 && raw.charCodeAt(end - 1) === 46) end--
  const host = end === raw.length ? raw : raw.slice(0, end)
  return host.toLowerCase()
}

const DOT_SEGMENTS = new Set(['.', '..', '%2e', '%2e%2e', '.%2e', '%2e.'])

/**
 * The path of an origin-form request target, or null when the target must be
 * refused: anything not starting with `/` (absolute-form, authority-form,
 * `*`), and any `.` or `..` segment, also spelled `%2e` (RFC 3986 §5.2.4).
 * Routing and per-API policies look at this path; an upstream that removed
 * dot segments itself could otherwise be sent somewhere the route did not allow.
 */
export function routablePath (url: string): string | null {
  if (url.charCodeAt(0) !== 47 /* / */) return null
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  // Fast path: no "/." and no percent-encoded dot anywhere.
  if (path.indexOf('/.') === -1 && path.indexOf('%2') === -1) return path
  let start = 1
  for (let i = 1; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== 47) continue
    if (DOT_SEGMENTS.has(path.slice(start, i).toLowerCase())) return null
    start = i + 1
  }
  return path
}
