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
  out.push(check('peak RSS while streaming (primary + workers) < 150 MB', Math.max(...(records.stream?.[gh] ?? []).map((r) => r.peakRssMB)), '< 150 MB', (v) => v < 150, ' MB'))
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
