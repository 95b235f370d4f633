// The performance bar of issue 7, checked against the medians of one run.
// Each check names the figure, the value Gatehouse (N workers) reached, the
// threshold, and passes, fails, or is n/a when a peer or scenario is missing.
import { median, ratio } from './stats.js'

const med = (records, scenario, id, key) => {
  const rs = records[scenario]?.[id]
  return rs ? median(rs.map((r) => r[key])) : NaN
}
const sum = (records, scenario, id, key) => {
  const rs = records[scenario]?.[id]
  return rs ? rs.reduce((a, r) => a + (Number.isFinite(r[key]) ? r[key] : 0), 0) : NaN
}

function check (name, value, limit, ok, unit = '') {
  const status = Number.isFinite(value) ? (ok(value) ? 'pass' : 'FAIL') : 'n/a'
  return { name, value, limit, status, unit }
}

// The bars set against nginx or as an absolute limit: evaluateBars checks Gatehouse
// against them, floorVerdicts the Node floor. Ratio rows: `factor` × nginx, `kind` 'min'
// (a rate) or 'max' (a cost). Absolute rows: `limit` in the figure's unit, `strict` for "<",
// `reference` = whose headroom under the limit the next-best target grants ('nginx', or
// 'direct': 0 by definition), `agg` = how rounds are combined (default: the median).
const BARS = [
  { bar: 'keep-alive req/s ≥ 0.6× nginx', scenario: 'keepalive', key: 'rps', kind: 'min', factor: 0.6, unit: ' req/s' },
  { bar: 'CPU per request ≤ 2× nginx', scenario: 'keepalive', key: 'cpuUs', kind: 'max', factor: 2, unit: ' µs' },
  { bar: 'CPU per full handshake (ECDSA) ≤ 2× nginx', scenario: 'handshake', key: 'ecCpuUs', kind: 'max', factor: 2, unit: ' µs' },
  { bar: 'CPU per full handshake (RSA) ≤ 2× nginx', scenario: 'handshake', key: 'rsaCpuUs', kind: 'max', factor: 2, unit: ' µs' },
  { bar: 'added p99 at half load ≤ 1 ms', scenario: 'latency', key: 'addedP99', kind: 'max', limit: 1000, strict: false, reference: 'direct', agg: 'median', unit: ' µs' },
  { bar: 'streaming down ≥ 0.9× nginx', scenario: 'stream', key: 'downMBps', kind: 'min', factor: 0.9, unit: ' MB/s' },
  { bar: 'streaming up ≥ 0.9× nginx', scenario: 'stream', key: 'upMBps', kind: 'min', factor: 0.9, unit: ' MB/s' },
  // Two readings of "the whole gateway's RSS": the plain sum counts the pages the
  // processes share (the node binary, ~43 MiB each) once per process; the other
  // counts them once (private pages of all + the largest shared part). Both rows
  // are shown; neither replaces the other.
  { bar: 'peak RSS while streaming (primary + workers) < 150 MB, sum of each process\'s RSS', scenario: 'stream', key: 'peakRssMB', kind: 'max', limit: 150, strict: true, reference: 'nginx', agg: 'max', unit: ' MB' },
  { bar: 'peak RSS while streaming (primary + workers) < 150 MB, shared pages counted once', scenario: 'stream', key: 'peakOnceMB', kind: 'max', limit: 150, strict: true, reference: 'nginx', agg: 'max', unit: ' MB' }
]

// A bar's figure for target `id`: its rounds combined as the bar says (NaN when not measured).
function figure (records, bar, id) {
  const rs = records[bar.scenario]?.[id]
  if (!rs || rs.length === 0) return NaN
  return bar.agg === 'max' ? Math.max(...rs.map((x) => (Number.isFinite(x[bar.key]) ? x[bar.key] : NaN))) : median(rs.map((x) => x[bar.key]))
}

// Whether `x` meets `t` the way the bar compares (a rate from below, a cost from above).
const meets = (bar, x, t) => (bar.kind === 'min' ? x >= t : bar.strict ? x < t : x <= t)

// Gatehouse's check of one BARS row: its ratio to nginx, or its own figure for an absolute bar.
function barCheck (records, bar, gh) {
  const sign = bar.kind === 'min' ? '≥' : bar.strict ? '<' : '≤'
  if (bar.limit !== undefined) {
    return check(bar.bar, figure(records, bar, gh), `${sign} ${bar.limit}${bar.unit}`, (v) => meets(bar, v, bar.limit), bar.unit)
  }
  return check(bar.bar, ratio(figure(records, bar, gh), figure(records, bar, 'nginx')), `${sign} ${bar.factor}×`, (v) => meets(bar, v, bar.factor), '×')
}

/** The list of bar checks for Gatehouse with `gh` = target id (gatehouse-n). */
export function evaluateBars (records, sanity, gh = 'gatehouse-n') {
  const out = []
  const ka = (id) => med(records, 'keepalive', id, 'rps')
  // The best Node peer of this run: @fastify/http-proxy or the naive node:https pipe, whichever is faster.
  const nodePeers = ['fastify', 'node-pipe'].filter((id) => Number.isFinite(ka(id)))
  const best = nodePeers.sort((x, y) => ka(y) - ka(x))[0]
  out.push(check(`keep-alive req/s ≥ 1.5× the best Node peer (${best ?? 'none'})`, best ? ratio(ka(gh), ka(best)) : NaN, '≥ 1.5×', (v) => v >= 1.5, '×'))
  const [kaRate, kaCpu, ecdsa, rsa, ...rest] = BARS
  for (const bar of [kaRate, kaCpu, ecdsa, rsa]) out.push(barCheck(records, bar, gh))
  out.push(check('handshake run did full handshakes only (client and server counts)', sum(records, 'handshake', gh, 'clientResumed') + (sum(records, 'handshake', gh, 'serverResumed') || 0), '0 resumed', (v) => v === 0))
  for (const bar of rest) out.push(barCheck(records, bar, gh))
  const res = records.resumed?.[gh] ?? []
  const minResumed = res.length ? Math.min(...res.map((r) => Math.min(r.resumedPct, Number.isFinite(r.serverResumedPct) ? r.serverResumedPct : r.resumedPct))) : NaN
  out.push(check('resumed handshakes ≥ 99% (client and server)', minResumed, '≥ 99%', (v) => v >= 99, '%'))
  out.push(check('resumptions served by every worker', res.length ? Math.min(...res.map((r) => r.busy - r.workers)) : NaN, 'all workers busy', (v) => v === 0))
  out.push(check('failed requests during reloads', sum(records, 'reload', gh, 'failed'), '0', (v) => v === 0))
  out.push(check('many-apis req/s ≥ 0.9× the 1-API case', med(records, 'many-apis', gh, 'ratio'), '≥ 0.9×', (v) => v >= 0.9, '×'))
  const s = sanity[gh]
  out.push({ name: 'no `Connection: keep-alive` answer to `Connection: close` (and the connection is closed)', value: s ? (s.ok ? 1 : 0) : NaN, limit: 'ok', status: s ? (s.ok ? 'pass' : 'FAIL') : 'n/a', unit: '', text: s ? s.summary : 'n/a' })
  return out
}

/**
 * The next-best target when even the Node floor misses a ratio bar against nginx. The bar
 * grants Gatehouse an allowance over nginx's cost per request (or handshake): "CPU ≤ k×
 * nginx" allows (k − 1)× nginx's µs on top of nginx's; "req/s ≥ r× nginx" allows a time per
 * request of 1/r × nginx's, i.e. (1/r − 1)× nginx's on top. The next-best target grants the
 * same allowance on top of the floor instead of on top of nginx: what no Node server can
 * avoid is forgiven, nothing more. `kind` 'max' = a cost that must stay under k× nginx,
 * 'min' = a rate that must reach r× nginx. Returns the target in the figure's own unit.
 */
export function nextBestTarget (kind, factor, floor, nginx) {
  if (!(floor > 0) || !(nginx > 0) || !(factor > 0)) return NaN
  if (kind === 'max') return floor + (factor - 1) * nginx
  return 1 / (1 / floor + (1 / factor - 1) / nginx)
}

/**
 * The next-best target of an absolute bar ("< 150 MB", "≤ 1 ms added") that even the Node
 * floor misses: the floor plus the headroom the bar leaves its reference — the figure the
 * bar's allowance is measured from in the same run (nginx's peak memory; for added
 * latency the direct upstream, 0 by definition) — never less than the floor. The same
 * rule as a cost bar's (floor + (k − 1)× nginx = floor + nginx's headroom under k× nginx).
 */
export function nextBestAbsolute (limit, floor, reference) {
  if (!Number.isFinite(floor) || !Number.isFinite(reference) || !Number.isFinite(limit)) return NaN
  return floor + Math.max(0, limit - reference)
}


/**
 * "What Node can reach here": for each bar the floor can be measured against (node-floor:
 * node:https answering itself, no proxying, same run) — ratio bars to nginx and the absolute
 * latency and memory bars — the floor's figure (and its ratio to nginx), whether even the
 * floor meets the bar, and, where it does not, the next-best target (nextBestTarget,
 * nextBestAbsolute) with Gatehouse's figure against it. A scenario the floor did not run
 * (an older run's JSON) leaves its rows n/a.
 */
export function floorVerdicts (records, gh = 'gatehouse-n', floorId = 'node-floor') {
  const out = []
  for (const r of BARS) {
    const absolute = r.limit !== undefined
    const floor = figure(records, r, floorId)
    const nginx = figure(records, r, 'nginx')
    const gatehouse = figure(records, r, gh)
    const floorRatio = ratio(floor, nginx)
    const fr = records[r.scenario]?.[floorId] ?? []
    const nr = records[r.scenario]?.nginx ?? []
    // The same figure round by round (every round measures each target once, side by side):
    // its spread says whether the verdict stands clear of a shared machine's noise. Ratio
    // bars: the floor's ratio to nginx in each round; absolute bars: the floor's own figure.
    const perRound = absolute
      ? fr.map((x) => x[r.key]).filter(Number.isFinite)
      : fr.slice(0, nr.length).map((x, i) => ratio(x[r.key], nr[i][r.key])).filter(Number.isFinite)
    const threshold = absolute ? r.limit : r.factor
    const row = { ...r, absolute, floor, nginx, gatehouse, floorRatio, floorRatioMin: NaN, floorRatioMax: NaN, floorMin: NaN, floorMax: NaN, gatehouseRatio: ratio(gatehouse, nginx), referenceValue: NaN, reachable: null, target: NaN, status: 'n/a' }
    if (absolute) { row.floorMin = Math.min(...perRound); row.floorMax = Math.max(...perRound) } else { row.floorRatioMin = Math.min(...perRound); row.floorRatioMax = Math.max(...perRound) }
    const verdictOn = absolute ? floor : floorRatio
    if (Number.isFinite(verdictOn)) {
      row.reachable = meets(r, verdictOn, threshold)
      if (!row.reachable) {
        if (absolute) {
          row.referenceValue = r.reference === 'direct' ? 0 : nginx
          row.target = nextBestAbsolute(r.limit, floor, row.referenceValue)
        } else {
          row.target = nextBestTarget(r.kind, r.factor, floor, nginx)
        }
        if (Number.isFinite(gatehouse) && Number.isFinite(row.target)) row.status = meets(r, gatehouse, row.target) ? 'pass' : 'FAIL'
      }
    }
    out.push(row)
  }
  return out
}
