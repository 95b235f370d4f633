// Loads and compiles the config for the primary. Small files compile on the
// primary's own thread (a few milliseconds); a large one goes to a piscina
// worker thread so /metrics, /readyz and signal handling never stall behind a
// 5,000-API compile. That thread exits shortly after its compile: a start or
// a reload is rare, and a thread kept alive would hold the parser's heap and
// a compiled table for the life of the gateway.
import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { RoutingTable } from '@gatehouse/config'
import { loadForPrimary } from './compile-task.js'

/** Result of one load: a table, or the errors (each `file:line:col: message`). */
export type LoadOutcome =
  | { ok: true, table: RoutingTable, warnings: string[] }
  | { ok: false, errors: string[], warnings: string[] }

// Above this many bytes of YAML, compile off the main thread.
const POOL_THRESHOLD_BYTES = 64 * 1024
// An idle compile thread exits after this long (ms); a burst of reloads (a
// file watch firing for several files) still shares one thread.
const COMPILE_THREAD_IDLE_MS = 2000

type Pool = { run: (task: unknown) => Promise<LoadOutcome>, destroy: () => Promise<void> }
let pool: Pool | null = null

/** Loads, validates and compiles `path`; never throws for bad config. */
export async function loadTable (path: string, env: NodeJS.ProcessEnv): Promise<LoadOutcome> {
  let size = 0
  try { size = (await stat(path)).size } catch { /* loadForPrimary reports the missing file */ }
  if (size < POOL_THRESHOLD_BYTES) return loadForPrimary({ path, env: { ...env } })
  if (pool === null) {
    const { Piscina } = await import('piscina')
    const p = new Piscina({ filename: fileURLToPath(new URL('./compile-task.js', import.meta.url)), minThreads: 0, maxThreads: 1, idleTimeout: COMPILE_THREAD_IDLE_MS })
    pool = { run: async (task) => await p.run(task) as LoadOutcome, destroy: async () => { await p.destroy() } }
  }
  return await pool.run({ path, env: { ...env } })
}
