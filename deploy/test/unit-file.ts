// A reader for systemd unit files, enough to let the tests take the unit's own settings
// and command lines instead of copies of them: sections, repeated keys in order, comments,
// backslash continuations (systemd.syntax(7)), and the word splitting of Exec lines.

export type UnitFile = Map<string, Map<string, string[]>>

/** Parses unit-file text into section -> key -> every value in file order. */
export function parseUnit (text: string): UnitFile {
  const unit: UnitFile = new Map()
  let section: Map<string, string[]> | undefined
  let pending = ''
  for (const raw of text.split('\n')) {
    const line = pending + raw.trim()
    pending = ''
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1) + ' '
      continue
    }
    const header = /^\[(.+)\]$/.exec(line)
    if (header) {
      section = new Map()
      unit.set(header[1] ?? '', section)
      continue
    }
    const eq = line.indexOf('=')
    if (eq < 0 || section === undefined) throw new Error(`not a unit-file assignment: ${line}`)
    const key = line.slice(0, eq).trim()
    const value = line.slice(eq + 1).trim()
    const values = section.get(key) ?? []
    values.push(value)
    section.set(key, values)
  }
  return unit
}

/** Every value of `key` in `section` (empty when unset). */
export function values (unit: UnitFile, section: string, key: string): string[] {
  return unit.get(section)?.get(key) ?? []
}

/** The one value of `key` in `section`; throws when it is unset or set more than once. */
export function value (unit: UnitFile, section: string, key: string): string {
  const all = values(unit, section, key)
  if (all.length !== 1) throw new Error(`[${section}] ${key}= is set ${all.length} times, expected once`)
  return all[0] ?? ''
}

/**
 * Splits an Exec*= command line into argv the way systemd does for unquoted words, after
 * dropping the `-`/`@`/`:`/`+`/`!` prefixes. Quoting is rejected rather than half-handled.
 */
export function execArgv (line: string): string[] {
  if (/["'\\]/.test(line)) throw new Error(`quoted Exec line not supported by this reader: ${line}`)
  const words = line.trim().split(/\s+/)
  words[0] = (words[0] ?? '').replace(/^[-@:+!]+/, '')
  return words
}

/** Parses a systemd time span such as `45s`, `1min 30s` or `2` (seconds) into seconds. */
export function timespanSeconds (span: string): number {
  const units: Record<string, number> = { '': 1, s: 1, sec: 1, m: 60, min: 60, h: 3600, ms: 0.001 }
  let total = 0
  for (const part of span.trim().split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part)
    const factor = m ? units[m[2] ?? ''] : undefined
    if (!m || factor === undefined) throw new Error(`not a time span: ${span}`)
    total += Number(m[1]) * factor
  }
  return total
}
