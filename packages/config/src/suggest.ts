// "Did you mean" for unknown keys: the closest allowed key by Damerau-
// Levenshtein distance (a swapped pair of letters counts as one edit, the
// commonest typo), offered only when it is close enough to be a typo.

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance (a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array<number>(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min((d[(i - 1) * cols + j] as number) + 1, (d[i * cols + j - 1] as number) + 1, (d[(i - 1) * cols + j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (d[(i - 2) * cols + j - 2] as number) + 1)
      d[i * cols + j] = v
    }
  }
  return d[rows * cols - 1] as number
}

/** The allowed key closest to `key`, or null when none is plausibly meant. */
export function closest (key: string, allowed: readonly string[]): string | null {
  const k = key.toLowerCase().replace(/-/g, '_')
  let best: string | null = null
  let bestD = Infinity
  for (const a of allowed) {
    const dist = editDistance(k, a)
    if (dist < bestD) { best = a; bestD = dist }
  }
  const limit = Math.max(2, Math.floor(key.length / 3))
  return bestD <= limit ? best : null
}

/** Hint for an unknown key: "did you mean `x`?" or the list of allowed keys. */
export function unknownKeyHint (key: string, allowed: readonly string[]): string {
  const c = closest(key, allowed)
  return c !== null ? `did you mean \`${c}\`?` : `allowed keys here: ${allowed.join(', ')}`
}
