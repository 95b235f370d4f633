// The collecting checker used by validation: typed readers over positioned
// nodes (`str`, `int`, `duration`, `oneOf`, ...) that report a diagnostic with
// file:line:col and key path instead of throwing, so one pass finds every
// problem in the file. `at(path)` finds the position of a key path in the
// tree on demand (only when something is reported), so a large file pays
// nothing for positions it never needs.

import { isAbsolute, resolve } from 'node:path'
import type { Diagnostic, ErrorCode } from './errors.js'
import { ERRORS, format } from './errors.js'
import type { Pos, SNode } from './source.js'
import { unknownKeyHint } from './suggest.js'

import { parseDuration, parseSize } from './units.js'

/** The longest duration a Node timer can hold (setTimeout clamps anything longer to 1 ms). */
const TIMER_MAX_MS = 2 ** 31 - 1

type Args = ReadonlyArray<string | number>

/** What a node is, for "expected X, got Y". */
export function describe (n: SNode): string {
  if (n.kind === 'map') return 'a mapping'
  if (n.kind === 'seq') return 'a list'
  const v = n.value
  if (v === null) return 'null'
  if (typeof v === 'string') return `the string '${v.length > 40 ? v.slice(0, 40) + '...' : v}'`
  return `${typeof v === 'number' ? 'the number' : 'the boolean'} ${String(v)}`
}

export class Checker {
  readonly file: string
  readonly dir: string
  readonly diagnostics: Diagnostic[] = []
  root: SNode | null = null

  constructor (file: string, dir: string) {
    this.file = file
    this.dir = dir
  }

  /** Position of the value at key path `path` (`apis[2].upstream.timeout`); the nearest existing ancestor's otherwise. */
  at (path: string): Pos {
    let node = this.root
    if (node === null) return { line: 1, col: 1 }
    for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
      let next: SNode | undefined
      if (m[2] !== undefined) next = node.kind === 'seq' ? node.items[Number(m[2])] : undefined
      else if (node.kind === 'map') next = node.entries.find((e) => e.key === m[1])?.value
      if (next === undefined) return node.pos
      node = next
    }
    return node.pos
  }

  report (severity: 'error' | 'warning', code: ErrorCode, pos: Pos, path: string, args: Args = [], hintArgs: Args = []): void {
    const text = format(ERRORS[code].message, args)
    this.diagnostics.push({
      severity, code, file: this.file, line: pos.line, col: pos.col, path,
      message: path === '' ? text : `${path}: ${text}`,
      hint: format(ERRORS[code].hint, hintArgs)
    })
  }

  error (code: ErrorCode, pos: Pos, path: string, args: Args = [], hintArgs: Args = []): void {
    this.report('error', code, pos, path, args, hintArgs)
  }

  warn (code: ErrorCode, pos: Pos, path: string, args: Args = [], hintArgs: Args = []): void {
    this.report('warning', code, pos, path, args, hintArgs)
  }

  typeError (n: SNode, path: string, expected: string, hint: string): void {
    if (n.kind === 'scalar' && n.failed === true) return
    this.error('GH_CONFIG_TYPE', n.pos, path, [expected, describe(n)], [hint])
  }

  get errorCount (): number {
    let n = 0
    for (const d of this.diagnostics) if (d.severity === 'error') n++
    return n
  }

  /** A mapping with only `allowed` keys; unknown keys are reported with a did-you-mean. */
  map (n: SNode, path: string, allowed: readonly string[], example: string): Map<string, SNode> | null {
    if (n.kind !== 'map') {
      this.typeError(n, path, 'a mapping', `write it as ${example}`)
      return null
    }
    const out = new Map<string, SNode>()
    for (const e of n.entries) {
      const child = path === '' ? e.key : `${path}.${e.key}`
      if (!allowed.includes(e.key)) {
        this.error('GH_CONFIG_UNKNOWN_KEY', e.keyPos, child, [e.key], [unknownKeyHint(e.key, allowed)])
        continue
      }
      out.set(e.key, e.value)
    }
    return out
  }

  /** A required entry of `fields`; missing = reported at the mapping. */
  need (fields: Map<string, SNode>, key: string, parent: SNode, path: string, example: string): SNode | null {
    const n = fields.get(key)
    if (n !== undefined) return n
    this.error('GH_CONFIG_REQUIRED', parent.pos, path === '' ? key : `${path}.${key}`, [key], [`add ${key}: ${example}`])
    return null
  }

  isNull (n: SNode): boolean {
    return n.kind === 'scalar' && n.value === null
  }

  str (n: SNode, path: string, example: string): string | null {
    if (n.kind === 'scalar' && n.source !== undefined) return n.source
    if (n.kind === 'scalar' && typeof n.value === 'string') return n.value
    if (n.kind === 'scalar' && typeof n.value === 'number') return String(n.value)
    this.typeError(n, path, 'a string', `write e.g. ${example}`)
    return null
  }

  /** A non-empty string. */
  text (n: SNode, path: string, example: string): string | null {
    const s = this.str(n, path, example)
    if (s !== null && s.trim() === '') {
      this.typeError(n, path, 'a non-empty string', `write e.g. ${example}`)
      return null
    }
    return s
  }

  bool (n: SNode, path: string): boolean | null {
    if (n.kind === 'scalar' && typeof n.value === 'boolean') return n.value
    this.typeError(n, path, 'true or false', 'write true or false (unquoted)')
    return null
  }

  int (n: SNode, path: string, min: number, max: number, example: string): number | null {
    if (n.kind !== 'scalar' || typeof n.value !== 'number' || !Number.isInteger(n.value)) {
      this.typeError(n, path, 'a whole number', `write e.g. ${example}`)
      return null
    }
    if (n.value < min || n.value > max) {
      this.error('GH_CONFIG_RANGE', n.pos, path, [String(n.value)], [min, max])
      return null
    }
    return n.value
  }

  /** Milliseconds; `min` is the smallest accepted value in ms. */
  duration (n: SNode, path: string, min = 0): number | null {
    if (n.kind !== 'scalar' || (typeof n.value !== 'string' && n.value !== 0)) {
      this.typeError(n, path, 'a duration', 'write a number with a unit: 500ms, 30s, 5m or 1h')
      return null
    }
    const ms = parseDuration(String(n.value))
    if (ms === null) {
      this.error('GH_CONFIG_DURATION', n.pos, path, [String(n.value)])
      return null
    }
    // Node's timers hold at most 2^31 - 1 ms: a longer one fires after 1 ms.
    if (ms < min || ms > TIMER_MAX_MS) {
      this.error('GH_CONFIG_RANGE', n.pos, path, [String(n.value)], [`${min}ms`, `${TIMER_MAX_MS}ms (24.8 days)`])
      return null
    }
    return ms
  }

  size (n: SNode, path: string): number | null {
    if (n.kind !== 'scalar' || (typeof n.value !== 'string' && typeof n.value !== 'number')) {
      this.typeError(n, path, 'a size', 'write bytes or a number with a unit: 512KB, 10MB')
      return null
    }
    const bytes = parseSize(String(n.value))
    if (bytes === null) {
      this.error('GH_CONFIG_SIZE', n.pos, path, [String(n.value)])
      return null
    }
    return bytes
  }

  oneOf<T extends string> (n: SNode, path: string, allowed: readonly T[]): T | null {
    if (n.kind === 'scalar' && typeof n.value === 'string' && (allowed as readonly string[]).includes(n.value)) return n.value as T
    if (n.kind === 'scalar' && n.value !== null && typeof n.value !== 'boolean') {
      this.error('GH_CONFIG_ENUM', n.pos, path, [String(n.value)], [allowed.join(' | ')])
    } else {
      this.typeError(n, path, `one of ${allowed.join(' | ')}`, `write one of: ${allowed.join(' | ')}`)
    }
    return null
  }

  /** A list; `fn` reads each item with its own path. Null counts as an empty list. */
  list<T> (n: SNode, path: string, example: string, fn: (item: SNode, path: string, i: number) => T | null): T[] | null {
    if (this.isNull(n)) return []
    if (n.kind !== 'seq') {
      this.typeError(n, path, 'a list', `write it as ${example}`)
      return null
    }
    const out: T[] = []
    let ok = true
    n.items.forEach((item, i) => {
      const p = `${path}[${i}]`
      const v = fn(item, p, i)
      if (v === null) ok = false
      else out.push(v)
    })
    return ok ? out : null
  }

  /** A mapping of string -> string (header sets, basic-auth users). */
  dict (n: SNode, path: string, example: string, key?: (k: string, pos: Pos, path: string) => boolean): Record<string, string> | null {
    if (this.isNull(n)) return {}
    if (n.kind !== 'map') {
      this.typeError(n, path, 'a mapping', `write it as ${example}`)
      return null
    }
    const out: Record<string, string> = {}
    let ok = true
    for (const e of n.entries) {
      const p = `${path}.${e.key}`
      if (key !== undefined && !key(e.key, e.keyPos, p)) { ok = false; continue }
      const v = this.str(e.value, p, example)
      if (v === null) ok = false
      else out[e.key] = v
    }
    return ok ? out : null
  }

  /** A file path, absolute or relative to the config file's directory. */
  filePath (n: SNode, path: string, example: string): string | null {
    const s = this.text(n, path, example)
    if (s === null) return null
    return isAbsolute(s) ? s : resolve(this.dir, s)
  }
}
