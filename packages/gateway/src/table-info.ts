// Read-only views of a RoutingTable for logs and the admin /config endpoint,
// and the reload rule for settings a running primary cannot change. Nothing
// here ever includes key material.
import type { RoutingTable } from '@gatehouse/config'

const DAY_MS = 86_400_000

/** A summary of a table for logs and /config: APIs, hosts, certificates with expiry, never keys. */
export function describeTable (table: RoutingTable): Record<string, unknown> {
  const now = Date.now()
  return {
    version: table.version,
    source: table.source,
    apis: table.apis.map((a) => ({ name: a.name, domain: a.domain, listen_path: a.listenPath, targets: a.upstream.targets })),
    hosts: [...Object.keys(table.hosts), ...Object.keys(table.wildcards).map((p) => `*.${p}`)],
    certificates: table.tls.certificates.map((c) => ({
      file: c.certFile,
      domains: c.domains,
      serial: c.serial,
      fingerprint256: c.fingerprint256,
      not_after: new Date(c.notAfter).toISOString(),
      days_left: Math.floor((c.notAfter - now) / DAY_MS)
    }))
  }
}

/** Whether a new table changes what only a restart can apply (sockets, worker count, scheduling). */
export function listenersDiffer (a: RoutingTable, b: RoutingTable): boolean {
  return JSON.stringify([a.listen, a.admin, a.workers, a.scheduling]) !== JSON.stringify([b.listen, b.admin, b.workers, b.scheduling])
}

/** The new table with the running listeners, admin address, workers and scheduling kept. */
export function keepListeners (running: RoutingTable, next: RoutingTable): RoutingTable {
  return { ...next, listen: running.listen, admin: running.admin, workers: running.workers, scheduling: running.scheduling }
}
