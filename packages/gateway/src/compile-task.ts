// Load + validate + compile as one plain function over plain data, so it runs
// the same on the primary's thread or in a piscina worker thread (its default
// export). Diagnostics are formatted here: only strings and the table cross
// the thread boundary. It also builds each certificate's TLS context once, as
// every worker will: a chain or key OpenSSL refuses (the config package only
// parses the leaf) fails the load here, on the primary, instead of failing
// the swap in every worker.
import { createSecureContext } from 'node:tls'
import { loadAndCompile, formatDiagnostic, type RoutingTable } from '@gatehouse/config'
import type { LoadOutcome } from './config-source.js'

function tlsErrors (table: RoutingTable): string[] {
  const errors: string[] = []
  for (const c of table.tls.certificates) {
    try {
      createSecureContext({ cert: c.certPem, key: c.keyPem })
    } catch (err) {
      errors.push(`${c.certFile}: OpenSSL cannot use this certificate chain with its key: ${(err as Error).message} (check the PEM blocks in the file and that the key belongs to the first certificate)`)
    }
  }
  if (table.tls.clientCaPem !== null) {
    try {
      createSecureContext({ ca: table.tls.clientCaPem })
    } catch (err) {
      errors.push(`tls.client_ca_file: OpenSSL cannot read the client CA bundle: ${(err as Error).message}`)
    }
  }
  return errors
}

/** Loads and compiles `path`, formatting every diagnostic as `file:line:col: message (hint)`. */
export function loadForPrimary (task: { path: string, env: Record<string, string | undefined> }): LoadOutcome {
  const r = loadAndCompile(task.path, task.env)
  const warnings = r.warnings.map(formatDiagnostic)
  if (!r.ok) return { ok: false, errors: r.errors.map(formatDiagnostic), warnings }
  const errors = tlsErrors(r.table)
  return errors.length === 0 ? { ok: true, table: r.table, warnings } : { ok: false, errors, warnings }
}

export default loadForPrimary
