// Stage 1 of loading (STYLE #3): YAML text -> a small positioned tree. The
// `yaml` package parses with a LineCounter so every key and value keeps its
// 1-based line:column; aliases are expanded; `${VAR}` / `${VAR:-default}` are
// substituted in every string scalar here, so later stages never see them and
// a missing variable is reported at the column of its `${`. Plain scalars that
// were interpolated are re-typed the way YAML would have typed the result
// (`port: ${PORT}` with PORT=8443 is the number 8443).

import { createRequire } from 'node:module'
import type * as Yaml from 'yaml'
import type { Document, LineCounter, Node as YamlNode, Scalar } from 'yaml'
import type { Diagnostic } from './errors.js'
import { ERRORS, format } from './errors.js'

/** 1-based source position. */
export interface Pos { line: number, col: number }

/** A positioned YAML value. `synthetic` nodes were filled in from DEFAULTS. */
export type SNode =
  | { kind: 'map', pos: Pos, entries: SEntry[], synthetic: boolean }
  | { kind: 'seq', pos: Pos, items: SNode[], synthetic: boolean }
  | { kind: 'scalar', pos: Pos, value: string | number | boolean | null, synthetic: boolean, failed?: true, source?: string }

/** One `key: value` pair of a mapping. */
export interface SEntry { key: string, keyPos: Pos, value: SNode }

/** Result of stage 1: the tree (null when the YAML itself is broken) plus diagnostics. */
export interface ParsedSource { root: SNode | null, diagnostics: Diagnostic[] }

const VAR = /\$\$\{|\$\{([^}]*)\}?/g
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const MAX_ALIAS_DEPTH = 64

// `yaml` is required on the first parse that needs positions: a valid file
// takes source-fast.ts alone, so a process whose config is clean (the
// gateway's primary) never holds this parser, about 2.5 MiB.
const requireDep = createRequire(import.meta.url)
let yamlLib: typeof Yaml | undefined
function yaml (): typeof Yaml {
  yamlLib ??= requireDep('yaml') as typeof Yaml
  return yamlLib
}

/** Parse `text` (the file at `file`) and interpolate `env` into its scalars. */
export function parseSource (text: string, file: string, env: Record<string, string | undefined>): ParsedSource {
  const diagnostics: Diagnostic[] = []
  const Y = yaml()
  const lc = new Y.LineCounter()
  const doc = Y.parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, strict: true })
  const seen = new Set<number>()
  for (const e of doc.errors) {
    // One report per position: yaml often explains one mistake twice.
    if (seen.has(e.pos[0])) continue
    seen.add(e.pos[0])
    const lp = e.linePos?.[0] ?? lc.linePos(e.pos[0])
    const first = e.message.split('\n')[0] ?? e.message
    diagnostics.push({
      severity: 'error', code: 'GH_CONFIG_YAML', file, line: lp.line, col: lp.col, path: '',
      message: format(ERRORS.GH_CONFIG_YAML.message, [first.replace(/ at line \d+, column \d+:?$/, '')]),
      hint: ERRORS.GH_CONFIG_YAML.hint
    })
  }
  if (diagnostics.length > 0) return { root: null, diagnostics }
  const conv = new Converter(doc, lc, file, env, diagnostics)
  const root = doc.contents === null ? null : conv.node(doc.contents as YamlNode, 0)
  return { root, diagnostics }
}

class Converter {
  readonly #doc: Document
  readonly #lc: LineCounter
  readonly #file: string
  readonly #env: Record<string, string | undefined>
  readonly #out: Diagnostic[]
  /** Key path of the node being converted, built into a string only when something is reported. */
  readonly #path: Array<string | number> = []

  constructor (doc: Document, lc: LineCounter, file: string, env: Record<string, string | undefined>, out: Diagnostic[]) {
    this.#doc = doc
    this.#lc = lc
    this.#file = file
    this.#env = env
    this.#out = out
  }

  pos (node: YamlNode | null | undefined, fallback: Pos): Pos {
    const offset = node?.range?.[0]
    if (offset === undefined) return fallback
    return this.#lc.linePos(offset)
  }

  node (n: YamlNode, depth: number, fallback: Pos = { line: 1, col: 1 }): SNode {
    const Y = yaml()
    const pos = this.pos(n, fallback)
    if (Y.isAlias(n)) {
      const target = n.resolve(this.#doc)
      if (target === undefined || depth > MAX_ALIAS_DEPTH) return { kind: 'scalar', pos, value: null, synthetic: false }
      const resolved = this.node(target as YamlNode, depth + 1, pos)
      return { ...resolved, pos }
    }
    if (Y.isMap(n)) {
      const entries: SEntry[] = []
      for (const pair of n.items) {
        const keyNode = pair.key as YamlNode | null
        const keyPos = this.pos(keyNode, pos)
        const key = Y.isScalar(keyNode) ? String(keyNode.value) : String(keyNode)
        this.#path.push(key)
        const value = pair.value === null
          ? { kind: 'scalar' as const, pos: keyPos, value: null, synthetic: false }
          : this.node(pair.value as YamlNode, depth, keyPos)
        this.#path.pop()
        entries.push({ key, keyPos, value })
      }
      return { kind: 'map', pos, entries, synthetic: false }
    }
    if (Y.isSeq(n)) {
      const items: SNode[] = []
      n.items.forEach((item, i) => {
        this.#path.push(i)
        items.push(item === null ? { kind: 'scalar', pos, value: null, synthetic: false } : this.node(item as YamlNode, depth, pos))
        this.#path.pop()
      })
      return { kind: 'seq', pos, items, synthetic: false }
    }
    if (Y.isScalar(n)) return this.scalar(n, pos)
    return { kind: 'scalar', pos, value: null, synthetic: false }
  }

  /** `apis[2].upstream.targets[0]` for the current position in the tree. */
  get path (): string {
    let out = ''
    for (const s of this.#path) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`
    return out
  }

  scalar (n: Scalar, pos: Pos): SNode {
    const v = n.value
    if (typeof v !== 'string') {
      const value = typeof v === 'number' || typeof v === 'boolean' || v === null ? v : typeof v === 'bigint' ? Number(v) : String(v)
      return { kind: 'scalar', pos, value, synthetic: false }
    }
    if (!v.includes('${')) return { kind: 'scalar', pos, value: v, synthetic: false }
    // Column of character i of the value: exact for plain and quoted one-line scalars.
    const { Scalar: S } = yaml()
    const shift = n.type === S.QUOTE_DOUBLE || n.type === S.QUOTE_SINGLE ? 1 : 0
    const exact = n.type === S.PLAIN || shift === 1
    const path = this.path
    const out = interpolate(v, this.#env, (code, index, args, hintArgs) => {
      const at: Pos = exact ? { line: pos.line, col: pos.col + shift + index } : pos
      this.report(code, at, path, args, hintArgs)
    })
    // Already reported: later stages see null and stay quiet about this node.
    if (out === null) return { kind: 'scalar', pos, value: null, synthetic: false, failed: true }
    // Typed like YAML would type the result (`port: "${PORT}"` is a number; quoting is
    // needed inside [..] and {..}), while string readers use `source`, the exact text.
    return { kind: 'scalar', pos, value: retype(out), synthetic: false, source: out }
  }

  report (code: 'GH_CONFIG_ENV_SYNTAX' | 'GH_CONFIG_ENV_MISSING', at: Pos, path: string, args: string[], hintArgs: string[]): void {
    const text = format(ERRORS[code].message, args)
    this.#out.push({
      severity: 'error', code, file: this.#file, line: at.line, col: at.col, path,
      message: path === '' ? text : `${path}: ${text}`,
      hint: format(ERRORS[code].hint, hintArgs)
    })
  }
}

/** A problem found while interpolating: its code, the index of its `${` in the scalar, message and hint arguments. */
export type InterpolationProblem = (code: 'GH_CONFIG_ENV_SYNTAX' | 'GH_CONFIG_ENV_MISSING', index: number, args: string[], hintArgs: string[]) => void

/**
 * Substitute `${VAR}` / `${VAR:-default}` (and `$${` -> `${`) in one scalar's text.
 * Shared by both parse paths so they cannot disagree; null when a problem was reported.
 */
export function interpolate (v: string, env: Record<string, string | undefined>, problem: InterpolationProblem): string | null {
  let ok = true
  const out = v.replace(VAR, (whole: string, inner: string | undefined, index: number) => {
    if (whole === '$${') return '${'
    if (!whole.endsWith('}') || inner === undefined) {
      ok = false
      problem('GH_CONFIG_ENV_SYNTAX', index, [whole], [])
      return ''
    }
    const sep = inner.indexOf(':-')
    const name = sep === -1 ? inner : inner.slice(0, sep)
    if (!VAR_NAME.test(name)) {
      ok = false
      problem('GH_CONFIG_ENV_SYNTAX', index, [whole], [])
      return ''
    }
    const value = env[name]
    if (value !== undefined && value !== '') return value
    if (sep !== -1) return inner.slice(sep + 2)
    if (value === '') return ''
    ok = false
    problem('GH_CONFIG_ENV_MISSING', index, [name], [name, name])
    return ''
  })
  return ok ? out : null
}

/** Type an interpolated scalar the way YAML 1.2's core schema would type the result. */
export function retype (s: string): string | number | boolean | null {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null
  if (s === 'true' || s === 'True' || s === 'TRUE') return true
  if (s === 'false' || s === 'False' || s === 'FALSE') return false
  if (/^[-+]?\d+$/.test(s)) return Number(s)
  if (/^[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?$/.test(s)) return Number(s)
  return s
}
