// Small statistics for the runner: medians of repeated runs with their spread,
// percentiles of latency samples, and the formatting used in RESULTS.md. Every
// figure the runner prints goes through here, so "median of N with min–max"
// means the same thing in every table.

/** Median of finite numbers; NaN when there are none. */
export function median (values) {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (xs.length === 0) return NaN
  const mid = xs.length >> 1
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

/** { median, min, max, n } of the finite values. */
export function summarize (values) {
  const xs = values.filter(Number.isFinite)
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 }
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length }
}

/** Percentile (0–100) of an ascending-sorted numeric array, nearest-rank. */
export function percentile (sorted, p) {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

/** A number with sensible precision for a table cell. */
export function fmt (value, digits) {
  if (!Number.isFinite(value)) return 'n/a'
  const abs = Math.abs(value)
  const d = digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : 2)
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
}

/** "median (min–max)" for a summary; the spread is omitted for a single run. */
export function fmtSpread (s, digits) {
  if (!s || s.n === 0) return 'n/a'
  if (s.n === 1) return fmt(s.median, digits)
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
}

/** a ÷ b formatted as "0.00×", or n/a. */
export function ratio (a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN
  return a / b
}
