// Loading a config file as fixed stages (STYLE #3): read -> parse YAML with
// positions and interpolate `${VAR}` -> apply DEFAULTS -> validate structure
// and then files, collecting every diagnostic -> deep-freeze -> (compile).
// Results are plain data, never thrown: the primary may run this in a
// piscina worker and a reload must report every problem of a bad file while
// the old table keeps serving.

import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Config } from './config.js'
import { Checker } from './checker.js'
import { compile } from './compile.js'
import { applyDefaults } from './defaults.js'
import type { Diagnostic } from './errors.js'
import { ERRORS, format } from './errors.js'
import type { Sources } from './pem.js'
import { FileStore } from './pem.js'
import { checkFiles } from './semantic.js'
import { parseSource } from './source.js'
import type { SNode } from './source.js'
import { parseSourceFast } from './source-fast.js'
import type { RoutingTable } from './table.js'
import { validate } from './validate.js'

/** Environment variables for `${VAR}` interpolation (process.env has this shape). */
export type Env = Record<string, string | undefined>

/**
 * Outcome of load(): the frozen Config and what was read, or every error found.
 * `positions` says whether the file was parsed with source positions (false: the
 * fast path of `positions: 'lazy'` was enough because there was nothing to report).
 */
export type LoadResult =
  | { ok: true, config: Config, sources: Sources, warnings: Diagnostic[], positions: boolean }
  | { ok: false, errors: Diagnostic[], warnings: Diagnostic[] }

/** Outcome of loadAndCompile(): the RoutingTable, or every error found. */
export type CompileResult =
  | { ok: true, table: RoutingTable, warnings: Diagnostic[] }
  | { ok: false, errors: Diagnostic[], warnings: Diagnostic[] }

/**
 * Options for tests and tools. `now`: the clock used for certificate expiry.
 * `positions`: `'lazy'` (default) parses without source positions first and
 * re-parses with them only if there is something to report; `'always'` parses
 * with positions from the start (same result, slower on large files).
 */
export interface LoadOptions { now?: number, positions?: 'lazy' | 'always' }

/** Freeze an object graph so no stage after validation can change it. */
export function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

function split (diagnostics: Diagnostic[]): { errors: Diagnostic[], warnings: Diagnostic[] } {
  diagnostics.sort((a, b) => a.line - b.line || a.col - b.col)
  return { errors: diagnostics.filter((d) => d.severity === 'error'), warnings: diagnostics.filter((d) => d.severity === 'warning') }
}

/** Load, interpolate, default and validate the config file at `path` (relative to the cwd). */
export function load (path: string, env: Env = process.env, options: LoadOptions = {}): LoadResult {
  const file = resolve(path)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message
    return {
      ok: false,
      errors: [{ severity: 'error', code: 'GH_CONFIG_READ', file, line: 1, col: 1, path: '', message: format(ERRORS.GH_CONFIG_READ.message, [file, why]), hint: ERRORS.GH_CONFIG_READ.hint }],
      warnings: []
    }
  }
  return loadText(text, file, env, options)
}

/** Like load(), for config text already in memory; `file` names it in diagnostics and anchors relative paths. */
export function loadText (text: string, file: string, env: Env = process.env, options: LoadOptions = {}): LoadResult {
  const now = options.now ?? Date.now()
  if (options.positions !== 'always') {
    // Fast path (source-fast.ts): no positions, so its result is only used when
    // there is nothing at all to report; otherwise every stage runs again below.
    const fast = parseSourceFast(text, env)
    if (fast !== null) {
      let r: LoadResult | null = null
      // Defensive: whatever goes wrong on this path, the positional path decides.
      try { r = runStages(fast.root, [], text, file, now, false) } catch {}
      if (r !== null && r.ok && r.warnings.length === 0) return r
    }
  }
  const parsed = parseSource(text, file, env)
  if (parsed.root === null && parsed.diagnostics.length > 0) return { ok: false, ...split(parsed.diagnostics) }
  return runStages(parsed.root, parsed.diagnostics, text, file, now, true)
}

/** Stages 2-4 on a parsed tree: defaults, validation, file checks, deep-freeze. */
function runStages (parsed: SNode | null, diagnostics: Diagnostic[], text: string, file: string, now: number, positions: boolean): LoadResult {
  const c = new Checker(file, dirname(file))
  c.diagnostics.push(...diagnostics)
  // An empty file is an empty mapping: defaults apply and the missing certificates are reported.
  const root: SNode = parsed ?? { kind: 'map', pos: { line: 1, col: 1 }, entries: [], synthetic: false }
  const config = validate(applyDefaults(root), c)
  const store = new FileStore()
  if (config !== null) checkFiles(config, c, store, now)
  if (config === null || c.errorCount > 0) return { ok: false, ...split(c.diagnostics) }
  return { ok: true, config: deepFreeze(config), sources: { file, text, files: store.files, leaves: store.leaves }, warnings: split(c.diagnostics).warnings, positions }
}

/** load() then compile(): what the primary calls on start and on every reload. */
export function loadAndCompile (path: string, env: Env = process.env, options: LoadOptions = {}): CompileResult {
  const r = load(path, env, options)
  if (!r.ok) return r
  return { ok: true, table: compile(r.config, r.sources), warnings: r.warnings }
}
