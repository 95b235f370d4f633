// Stage 1 without positions, for the common case: a valid file. The `yaml`
// package with a LineCounter costs ~1.2 s on a 1.3 MB estate; js-yaml parses
// the same text in ~0.13 s but keeps no positions. load() runs the whole
// pipeline on this position-less tree and, if anything at all is reported (or
// this file declines), throws the result away and re-runs from parseSource()
// so every diagnostic carries its real file:line:col. So this file only has to
// decline any input whose tree might differ from parseSource()'s: the schema
// below copies the `yaml` package's YAML 1.2 core resolvers regex for regex,
// and suspicious() plus the conversion decline whatever the two libraries may
// read differently (see README "Stages"). Declining is always correct, just slower.

import { FAILSAFE_SCHEMA, Type, load as loadYaml } from 'js-yaml'
import type { Pos, SEntry, SNode } from './source.js'
import { interpolate, retype } from './source.js'

/**
 * Placeholder position of every fast-path node. Shared and never reported:
 * load() discards the fast result as soon as there is any diagnostic.
 */
const NOWHERE: Pos = { line: 0, col: 0 }

// The `yaml` package's core schema (yaml/dist/schema/core), tried in its order.
const NULL = /^(?:~|[Nn]ull|NULL)?$/
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/
const INT_OCT = /^0o[0-7]+$/
const INT = /^[-+]?[0-9]+$/
const INT_HEX = /^0x[0-9a-fA-F]+$/
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/
// Every core plain scalar other than a string starts with one of these.
const MAYBE_TYPED = /^[-+.0-9~nNtTfF]|^$/

/** A plain scalar's value under YAML 1.2 core, or undefined for a string. */
function resolveCore (s: string): null | boolean | number | undefined {
  if (!MAYBE_TYPED.test(s)) return undefined
  if (NULL.test(s)) return null
  if (BOOL.test(s)) return s[0] === 't' || s[0] === 'T'
  if (INT_OCT.test(s)) return parseInt(s.substring(2), 8)
  if (INT.test(s)) return parseInt(s, 10)
  if (INT_HEX.test(s)) return parseInt(s.substring(2), 16)
  if (FLOAT_NAN.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s)
  return undefined
}

// One implicit type for all of core's scalars. js-yaml only tries implicit
// types on plain, untagged scalars, as YAML requires. Its tag is private, so an
// explicit `!!int` / `!!float` / `!!null` / `!!bool` is an unknown tag to
// js-yaml, which throws, and load() takes the positional path.
const CORE_SCALAR = new Type('tag:gatehouse.invalid,2026:core-scalar', {
  kind: 'scalar',
  resolve: (s: string | null) => s === null || resolveCore(s) !== undefined,
  construct: (s: string | null) => s === null ? null : resolveCore(s)
})

const SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [CORE_SCALAR] })

// Text the two libraries may read differently, found by the cheap checks
// below: a false alarm only costs the slow path. `%YAML 1.1` switches `yaml`
// to another schema; tabs are where YAML parsers disagree most; a CR not
// followed by LF is a line break to js-yaml and content to `yaml`.
const DIRECTIVE = /^%/m
const LONE_CR = /\r(?!\n)/
/** More nodes than this per source character means aliases are multiplying the tree. */
const MAX_NODES_PER_CHAR = 4

const SPACE = 0x20
const HASH = 0x23
const DQUOTE = 0x22
const SQUOTE = 0x27
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const LBRACE = 0x7b
const RBRACE = 0x7d
const COMMA = 0x2c
const COLON = 0x3a
const QUESTION = 0x3f
const STAR = 0x2a
const BANG = 0x21
const AMP = 0x26
const PIPE = 0x7c
const GT = 0x3e
const DASH = 0x2d
const CR = 0x0d

const isFlowIndicator = (c: number): boolean => c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE || c === COMMA
/** Space, line end or end of text (NaN). */
const isBlank = (c: number): boolean => c === SPACE || c === CR || c === 0x0a || Number.isNaN(c)

/**
 * A line-by-line scan for the YAML the two libraries disagree on, all of it
 * rare in config files: flow collections or quoted scalars that continue on
 * another line (js-yaml does not check their indentation, `yaml` does), a
 * collection or an alias used as a mapping key, `? ` explicit keys, and a `#`
 * glued to a closing quote or bracket. Block scalar content is skipped.
 */
export function suspicious (text: string): boolean {
  if (text.includes('\t') || LONE_CR.test(text) || DIRECTIVE.test(text)) return true
  const n = text.length
  /** Open flow collections: the bracket, and for `{` whether the current entry has no `:` yet. */
  const flow: Array<{ map: boolean, key: boolean }> = []
  /** Inside a block scalar: its lines are indented more than this. */
  let blockParent = -1
  for (let s = 0; s < n;) {
    let e = text.indexOf('\n', s)
    if (e === -1) e = n
    let j = s
    while (j < e && text.charCodeAt(j) === SPACE) j++
    const indent = j - s
    const blank = j === e || (j === e - 1 && text.charCodeAt(j) === CR)
    if (blockParent >= 0 && (blank || indent > blockParent)) { s = e + 1; continue }
    blockParent = -1
    // Column of the line's node, after any `- ` sequence indicators.
    let nodeCol = indent
    for (let k = j; text.charCodeAt(k) === DASH && isBlank(text.charCodeAt(k + 1)); k += 2) {
      while (text.charCodeAt(k + 1) === SPACE && text.charCodeAt(k + 2) === SPACE) k++
      nodeCol = k + 2 - s
    }
    for (; j < e; j++) {
      const c = text.charCodeAt(j)
      const prev = j === s ? SPACE : text.charCodeAt(j - 1)
      const inFlow = flow.length > 0
      const tokenStart = prev === SPACE || (inFlow && (isFlowIndicator(prev) || prev === COLON))
      if (c === HASH) {
        if (prev === SPACE) break
        if (prev === DQUOTE || prev === SQUOTE || prev === RBRACKET || prev === RBRACE) return true
      } else if ((c === DQUOTE || c === SQUOTE) && tokenStart) {
        let k = j + 1
        for (; k < e; k++) {
          const q = text.charCodeAt(k)
          if (c === DQUOTE && q === 0x5c) k++
          else if (q === c) {
            if (c === SQUOTE && text.charCodeAt(k + 1) === SQUOTE) k++
            else break
          }
        }
        if (k >= e) return true
        j = k
      } else if ((c === LBRACKET || c === LBRACE) && tokenStart) {
        const top = flow[flow.length - 1]
        if (top !== undefined && top.map && top.key) return true
        flow.push({ map: c === LBRACE, key: c === LBRACE })
      } else if ((c === RBRACKET || c === RBRACE) && inFlow) {
        flow.pop()
        let k = j + 1
        while (text.charCodeAt(k) === SPACE) k++
        if (text.charCodeAt(k) === COLON) return true
      } else if (c === COMMA && inFlow) {
        const top = flow[flow.length - 1]
        if (top !== undefined && top.map) top.key = true
      } else if (c === COLON && inFlow) {
        const top = flow[flow.length - 1]
        const next = text.charCodeAt(j + 1)
        if (top !== undefined && (isBlank(next) || isFlowIndicator(next) || prev === DQUOTE || prev === SQUOTE)) top.key = false
      } else if (c === QUESTION && tokenStart && isBlank(text.charCodeAt(j + 1))) {
        return true
      } else if (c === BANG && tokenStart) {
        // Tags: rare in config files, and an empty tagged node reads differently.
        return true
      } else if (c === AMP && tokenStart) {
        // An anchor: its name may hold `:` and quotes, none of them tokens.
        while (j + 1 < e && !isBlank(text.charCodeAt(j + 1)) && !isFlowIndicator(text.charCodeAt(j + 1))) j++
      } else if (c === STAR && tokenStart) {
        let k = j + 1
        while (k < e && !isBlank(text.charCodeAt(k)) && !isFlowIndicator(text.charCodeAt(k))) k++
        while (text.charCodeAt(k) === SPACE) k++
        if (text.charCodeAt(k) === COLON || text.charCodeAt(k - 1) === COLON) return true
      } else if ((c === PIPE || c === GT) && tokenStart && !inFlow) {
        blockParent = nodeCol
        break
      }
    }
    if (flow.length > 0) return true
    s = e + 1
  }
  return false
}

/** Thrown inside the conversion to give up; never escapes this file. */
const DECLINE = Symbol('gatehouse.config.decline')

/** Array-index-like keys are enumerated first by JS objects, out of file order. */
function isIndexKey (k: string): boolean {
  const c = k.charCodeAt(0)
  return c >= 48 && c <= 57 && /^(?:0|[1-9][0-9]*)$/.test(k)
}

class FastConverter {
  readonly #env: Record<string, string | undefined>
  /** Collections on the path from the root: an alias cycle in js-yaml's output. */
  readonly #open = new Set<object>()
  #budget: number

  constructor (env: Record<string, string | undefined>, budget: number) {
    this.#env = env
    this.#budget = budget
  }

  node (v: unknown): SNode {
    if (--this.#budget < 0) throw DECLINE
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', pos: NOWHERE, value: v, synthetic: false }
    if (typeof v === 'string') {
      if (!v.includes('${')) return { kind: 'scalar', pos: NOWHERE, value: v, synthetic: false }
      const out = interpolate(v, this.#env, () => { throw DECLINE })
      if (out === null) throw DECLINE
      return { kind: 'scalar', pos: NOWHERE, value: retype(out), synthetic: false, source: out }
    }
    if (typeof v !== 'object' || this.#open.has(v)) throw DECLINE
    this.#open.add(v)
    let n: SNode
    if (Array.isArray(v)) {
      const items: SNode[] = new Array<SNode>(v.length)
      for (let i = 0; i < v.length; i++) items[i] = this.node(v[i])
      n = { kind: 'seq', pos: NOWHERE, items, synthetic: false }
    } else {
      const entries: SEntry[] = []
      for (const key of Object.keys(v)) {
        if (isIndexKey(key)) throw DECLINE
        entries.push({ key, keyPos: NOWHERE, value: this.node((v as Record<string, unknown>)[key]) })
      }
      n = { kind: 'map', pos: NOWHERE, entries, synthetic: false }
    }
    this.#open.delete(v)
    return n
  }
}

/**
 * Parse `text` with js-yaml and interpolate `env`, into a tree equal to
 * parseSource()'s apart from positions; `{ root: null }` for an empty file;
 * null when unsure or when anything would be reported (use parseSource()).
 */
export function parseSourceFast (text: string, env: Record<string, string | undefined>): { root: SNode | null } | null {
  if (suspicious(text)) return null
  let value: unknown
  try {
    value = loadYaml(text, { schema: SCHEMA })
  } catch {
    return null
  }
  if (value === undefined) return { root: null }
  // A comment-only file and `~` both give null here but differ for `yaml`.
  if (value === null) return null
  try {
    return { root: new FastConverter(env, MAX_NODES_PER_CHAR * text.length + 16).node(value) }
  } catch (err) {
    if (err === DECLINE) return null
    throw err
  }
}
