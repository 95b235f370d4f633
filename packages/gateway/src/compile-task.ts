// Load + validate + compile as one plain function over plain data, so it runs
// the same on the primary's thread or in a piscina worker thread (its default
// export). Diagnostics are formatted here: only strings and the table cross
// the thread boundary.
import { loadAndCompile, formatDiagnostic } from '@gatehouse/config'
import type { LoadOutcome } from './config-source.js'

/** Loads and compiles `path`, formatting every diagnostic as `file:line:col: message (hint)`. */
export function loadForPrimary (task: { path: string, env: Record<string, string | undefined> }): LoadOutcome {
  const r = loadAndCompile(task.path, task.env)
  const warnings = r.warnings.map(formatDiagnostic)
  return r.ok ? { ok: true, table: r.table, warnings } : { ok: false, errors: r.errors.map(formatDiagnostic), warnings }
}

export default loadForPrimary
