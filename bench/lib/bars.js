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

/** The list of bar checks for Gatehouse with `gh` = target id (gatehouse-n). */
export function evaluateBars (records, sanity, gh = 'gatehouse-n') {
  const out = []
  const ka = (id) => med(records, 'keepalive', id, 'rps')
  // The best Node peer of this run: @fastify/http-proxy or the naive node:https pipe, whichever is faster.
  const nodePeers = ['fastify', 'node-pipe'].filter((id) => Number.isFinite(ka(id)))
  const best = nodePeers.sort((x, y) => ka(y) - ka(x))[0]
  out.push(check(`keep-alive req/s ≥ 1.5× the best Node peer (${best ?? 'none'})`, best ? ratio(ka(gh), ka(best)) : NaN, '≥ 1.5×', (v) => v >= 1.5, '×'))
  out.push(check('keep-alive req/s ≥ 0.6× nginx', ratio(ka(gh), ka('nginx')), '≥ 0.6×', (v) => v >= 0.6, '×'))
  out.push(check('CPU per request ≤ 2× nginx', ratio(med(records, 'keepalive', gh, 'cpuUs'), med(records, 'keepalive', 'nginx', 'cpuUs')), '≤ 2×', (v) => v <= 2, '×'))
  out.push(check('CPU per full handshake (ECDSA) ≤ 2× nginx', ratio(med(records, 'handshake', gh, 'ecCpuUs'), med(records, 'handshake', 'nginx', 'ecCpuUs')), '≤ 2×', (v) => v <= 2, '×'))
  out.push(check('CPU per full handshake (RSA) ≤ 2× nginx', ratio(med(records, 'handshake', gh, 'rsaCpuUs'), med(records, 'handshake', 'nginx', 'rsaCpuUs')), '≤ 2×', (v) => v <= 2, '×'))
  out.push(check('handshake run did full handshakes only (client and server counts)', sum(records, 'handshake', gh, 'clientResumed') + (sum(records, 'handshake', gh, 'serverResumed') || 0), '0 resumed', (v) => v === 0))
  out.push(check('added p99 at half load ≤ 1 ms', med(records, 'latency', gh, 'addedP99'), '≤ 1000 µs', (v) => v <= 1000, ' µs'))
  out.push(check('streaming down ≥ 0.9× nginx', ratio(med(records, 'stream', gh, 'downMBps'), med(records, 'stream', 'nginx', 'downMBps')), '≥ 0.9×', (v) => v >= 0.9, '×'))
  out.push(check('streaming up ≥ 0.9× nginx', ratio(med(records, 'stream', gh, 'upMBps'), med(records, 'stream', 'nginx', 'upMBps')), '≥ 0.9×', (v) => v >= 0.9, '×'))
  // Two readings of "the whole gateway's RSS": the plain sum counts the pages the
  // processes share (the node binary, ~43 MiB each) once per process; the other
  // counts them once (private pages of all + the largest shared part). Both rows
  // are shown; neither replaces the other.
  out.push(check('peak RSS while streaming (primary + workers) < 150 MB, sum of each process\'s RSS', Math.max(...(records.stream?.[gh] ?? []).map((r) => r.peakRssMB)), '< 150 MB', (v) => v < 150, ' MB'))
  out.push(check('peak RSS while streaming (primary + workers) < 150 MB, shared pages counted once', Math.max(...(records.stream?.[gh] ?? []).map((r) => r.peakOnceMB ?? NaN)), '< 150 MB', (v) => v < 150, ' MB'))
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
 * "What Node can reach here": for each nginx-ratio bar the floor can be measured against
 * (node-floor: node:https answering itself, no proxying, same run), the floor's ratio to nginx,
 * whether even the floor meets the bar, and, where it does not, the next-best target
 * (nextBestTarget) with Gatehouse's figure against it.
 */
export function floorVerdicts (records, gh = 'gatehouse-n', floorId = 'node-floor') {
  const rows = [
    { bar: 'keep-alive req/s ≥ 0.6× nginx', scenario: 'keepalive', key: 'rps', kind: 'min', factor: 0.6, unit: ' req/s' },
    { bar: 'CPU per request ≤ 2× nginx', scenario: 'keepalive', key: 'cpuUs', kind: 'max', factor: 2, unit: ' µs' },
    { bar: 'CPU per full handshake (ECDSA) ≤ 2× nginx', scenario: 'handshake', key: 'ecCpuUs', kind: 'max', factor: 2, unit: ' µs' },
    { bar: 'CPU per full handshake (RSA) ≤ 2× nginx', scenario: 'handshake', key: 'rsaCpuUs', kind: 'max', factor: 2, unit: ' µs' }
  ]
  const out = []
  for (const r of rows) {
    const floor = med(records, r.scenario, floorId, r.key)
    const nginx = med(records, r.scenario, 'nginx', r.key)
    const gatehouse = med(records, r.scenario, gh, r.key)
    const floorRatio = ratio(floor, nginx)
    // The same ratio round by round (every round measures each target once, side by side):
    // its spread says whether the verdict stands clear of a shared machine's noise.
    const fr = records[r.scenario]?.[floorId] ?? []
    const nr = records[r.scenario]?.nginx ?? []
    const perRound = fr.slice(0, nr.length).map((x, i) => ratio(x[r.key], nr[i][r.key])).filter(Number.isFinite)
    const meets = (x) => (r.kind === 'min' ? x >= r.factor : x <= r.factor)
    const row = { ...r, floor, nginx, gatehouse, floorRatio, floorRatioMin: Math.min(...perRound), floorRatioMax: Math.max(...perRound), gatehouseRatio: ratio(gatehouse, nginx), reachable: null, target: NaN, status: 'n/a' }
    if (Number.isFinite(floorRatio)) {
      row.reachable = meets(floorRatio)
      if (!row.reachable) {
        row.target = nextBestTarget(r.kind, r.factor, floor, nginx)
        if (Number.isFinite(gatehouse)) row.status = (r.kind === 'min' ? gatehouse >= row.target : gatehouse <= row.target) ? 'pass' : 'FAIL'
      }
    }
    out.push(row)
  }
  return out
}
