// Turns one run into the Markdown section of bench/RESULTS.md and splices it
// between the runner's markers, leaving every other section of the file (the
// certs/config/dataplane helpers write their own) exactly as it was.
import { FINDINGS } from './findings.js'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { summarize, fmt, fmtSpread, median, ratio } from './stats.js'

export const BEGIN = '<!-- bench/run:begin -->'
export const END = '<!-- bench/run:end -->'

/**
 * Replaces the runner's section in `file` (creating the file or the section when absent).
 * The section's `## ` heading comes first and the begin marker right under it, so the
 * other tools, which replace "their `## x` up to the next `## `", never swallow a marker;
 * everything from that heading to the end marker is the runner's.
 */
export function spliceResults (file, section) {
  const body = section.trim()
  const nl = body.indexOf('\n')
  const heading = nl < 0 ? body : body.slice(0, nl)
  const rest = nl < 0 ? '' : body.slice(nl + 1)
  const block = `${heading}\n${BEGIN}\n${rest}${rest ? '\n' : ''}${END}`
  if (!existsSync(file)) {
    writeFileSync(file, `# Benchmark results\n\n${block}\n`)
    return
  }
  const text = readFileSync(file, 'utf8')
  const b = text.indexOf(BEGIN)
  const e = text.indexOf(END)
  if (b >= 0 && e > b) {
    // Start at the heading line right above the marker when it is the runner's own.
    const h = text.lastIndexOf('\n## ', b - 2)
    const start = h >= 0 && text.slice(h + 1, b).trimEnd().split('\n').length === 1 ? h + 1 : b
    writeFileSync(file, text.slice(0, start) + block + text.slice(e + END.length))
  } else {
    writeFileSync(file, `${text.trimEnd()}\n\n${block}\n`)
  }
}

function table (header, rows) {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

function scenarioTable (scenario, byTarget, labels) {
  const rows = []
  for (const [id, recs] of Object.entries(byTarget)) {
    const cells = [labels[id] ?? id]
    for (const col of scenario.columns) {
      if (col.text) cells.push([...new Set(recs.map((r) => r[col.key]))].join(', '))
      else cells.push(fmtSpread(summarize(recs.map((r) => r[col.key])), col.digits))
    }
    rows.push(cells)
  }
  return table(['target', ...scenario.columns.map((c) => c.label)], rows)
}

// The headline figure of each scenario for the ratio lines: [key, label, higherIsBetter].
const HEADLINE = {
  keepalive: [['rps', 'req/s'], ['cpuUs', 'CPU/request']],
  latency: [['p99', 'p99']],
  stream: [['downMBps', 'MB/s down'], ['upMBps', 'MB/s up'], ['peakRssMB', 'peak RSS (sum)'], ['peakOnceMB', 'peak, shared pages once']],
  handshake: [['ecCpuUs', 'CPU/handshake ECDSA'], ['rsaCpuUs', 'CPU/handshake RSA'], ['ecCps', 'handshakes/s ECDSA']],
  resumed: [['cpuUs', 'CPU/resumed handshake']],
  idle: [['kbPerConn', 'RSS/connection']],
  reload: [['rps', 'req/s']]
}

/** '- label: Gatehouse/nginx 0.52×, …' lines for a scenario's headline figures ('' when Gatehouse N did not run). */
export function ratioLines (name, byTarget) {
  const gh = byTarget['gatehouse-n']
  if (!gh || !HEADLINE[name]) return ''
  const lines = []
  for (const [key, label] of HEADLINE[name]) {
    const g = median(gh.map((r) => r[key]))
    const parts = []
    for (const [peer, plabel] of [['nginx', 'nginx'], ['haproxy', 'HAProxy'], ['fastify', 'fastify'], ['node-pipe', 'node-pipe'], ['node-floor', 'Node floor'], ['node-relay', 'Node relay'], ['direct', 'direct']]) {
      const p = byTarget[peer]
      if (!p) continue
      const r = ratio(g, median(p.map((x) => x[key])))
      if (Number.isFinite(r)) parts.push(`Gatehouse/${plabel} ${fmt(r, 2)}×`)
    }
    if (parts.length) lines.push(`- ${label}: ${parts.join(', ')}`)
  }
  return lines.join('\n')
}

/** A figure with its unit as the floor rows print it. */
function unitText (v, unit) {
  if (unit === ' req/s' || unit === ' MB/s') return `${fmt(v, 0)}${unit}`
  return `${fmt(v)}${unit}`
}

const needs = (r, floorId = 'node-floor') => `needs ${floorId}${r.absolute ? '' : ' and nginx'} in the ${r.scenario} scenario of the same run`

// The two floors: the Node floor (no upstream at all) and the relay floor (an upstream leg, no HTTP).
const FLOORS = {
  'node-floor': { name: 'the floor', column: 'Node floor', ratioColumn: 'floor ÷ nginx', misses: 'for Node here: even a server that proxies nothing misses it', verdict: 'out of reach for Node: even the floor misses it' },
  'node-relay': { name: 'the relay', column: 'relay floor', ratioColumn: 'relay floor ÷ nginx', misses: 'for a Node proxy here: even a TLS relay that parses nothing misses it', verdict: 'out of reach for a Node proxy: even the relay misses it' }
}

/** The floor's figure, with its spread by round for an absolute bar. */
function floorText (r) {
  const spread = r.absolute && r.floorMax > r.floorMin ? ` (${fmt(r.floorMin)}–${fmt(r.floorMax)} by round)` : ''
  return `${unitText(r.floor, r.unit)}${spread}`
}

/**
 * The floor ÷ nginx cell: the ratio (and its spread by round) for a ratio bar; for an
 * absolute bar, nginx's figure beside it, with the ratio only where both are positive (an
 * added p99 can be negative: a difference of medians against the direct upstream).
 */
function floorRatioText (r) {
  if (r.absolute) {
    const nginx = `bar is absolute; nginx ${Number.isFinite(r.nginx) ? unitText(r.nginx, r.unit) : 'n/a'}`
    return r.floor > 0 && r.nginx > 0 ? `${fmt(r.floorRatio, 2)}× (${nginx})` : `— (${nginx})`
  }
  return `${fmt(r.floorRatio, 2)}×${r.floorRatioMax > r.floorRatioMin ? ` (${fmt(r.floorRatioMin, 2)}–${fmt(r.floorRatioMax, 2)}× by round)` : ''}`
}

/** One sentence per floorVerdicts() row: the floor's figure, its ratio to nginx, the verdict and the next-best target. */
export function floorLines (floor, floorId = 'node-floor') {
  const f = FLOORS[floorId]
  const lines = []
  for (const r of floor ?? []) {
    if (r.reachable === null) { lines.push(`${r.bar}: n/a (not measured: ${needs(r, floorId)})`); continue }
    let head
    if (r.absolute) {
      head = `${r.bar}: ${f.name} ${floorText(r)}${Number.isFinite(r.nginx) ? ` (nginx ${unitText(r.nginx, r.unit)})` : ''}`
    } else {
      const spread = r.floorRatioMax > r.floorRatioMin ? `, ${fmt(r.floorRatioMin, 2)}–${fmt(r.floorRatioMax, 2)}× by round` : ''
      head = `${r.bar}: ${f.name} ${unitText(r.floor, r.unit)} = ${fmt(r.floorRatio, 2)}× nginx (${unitText(r.nginx, r.unit)}${spread})`
    }
    if (r.reachable) lines.push(`${head} — within reach for Node; the bar stands`)
    else lines.push(`${head} — out of reach ${f.misses}; next-best target ${targetText(r, f.name)}, Gatehouse ${Number.isFinite(r.gatehouse) ? unitText(r.gatehouse, r.unit) : 'n/a'}: ${r.status}`)
  }
  return lines
}

function targetText (r, name = 'the floor') {
  if (!Number.isFinite(r.target)) return r.absolute && r.reference === 'nginx' ? '— (needs nginx in the same run)' : '—'
  if (r.absolute) {
    const op = r.strict ? '<' : '≤'
    const why = r.reference === 'direct'
      ? `${name} + the bar's ${fmt(r.limit, 0)}${r.unit} over the direct upstream`
      : `${name} + nginx's ${fmt(r.target - r.floor)}${r.unit} of headroom under the bar`
    return `${op} ${unitText(r.target, r.unit)} (${why})`
  }
  if (r.kind === 'max') return `≤ ${fmt(r.target)} µs (${name.replace('the ', '')} + ${fmt(r.factor - 1, 0)}× nginx = ${fmt(r.target / r.nginx, 2)}× nginx)`
  return `≥ ${unitText(r.target, r.unit)} (${fmt(r.target / r.nginx, 2)}× nginx, ${fmt(r.target / r.floor, 2)}× ${name})`
}

// The verdict table of one floor's rows (floorVerdicts).
function floorTable (rows, floorId) {
  const { name, column, ratioColumn, verdict } = FLOORS[floorId]
  return table(['bar', column, ratioColumn, 'verdict', 'next-best target (same run)', 'Gatehouse', 'Gatehouse vs next-best'], rows.map((r) => [
    r.bar,
    Number.isFinite(r.floor) ? floorText(r) : 'not measured',
    Number.isFinite(r.floorRatio) || (r.absolute && Number.isFinite(r.floor)) ? floorRatioText(r) : 'n/a',
    r.reachable === null ? `n/a (${needs(r, floorId)})` : r.reachable ? 'within reach: the bar stands' : verdict,
    r.reachable === false ? targetText(r, name) : '—',
    Number.isFinite(r.gatehouse) ? `${unitText(r.gatehouse, r.unit)}${r.absolute ? '' : ` (${fmt(r.gatehouseRatio, 2)}× nginx)`}` : 'n/a',
    r.reachable === false ? r.status : '—'
  ]))
}

/** The relay floor's block: its rows where it was measured (keepalive, latency, stream). */
function relayBlock (relay, labels) {
  const out = []
  out.push('### What a Node proxy can reach here (the relay floor, same run)')
  out.push('')
  out.push(`The relay floor is “${labels['node-relay'] ?? 'node:tls piped to the upstream'}”: TLS terminated by Node and each connection piped byte for byte to its own upstream connection — the Node floor's work plus the upstream leg every proxy has, and nothing an HTTP proxy adds (no parsing, routing, rewriting or pool). A bar the Node floor meets but the relay misses is out of reach for any proxy built on Node's streams here; the next-best target is set on top of the relay by the same rules as above.`)
  out.push('')
  out.push(floorTable(relay.filter((r) => r.reachable !== null), 'node-relay'))
  return out
}

function floorBlock (floor, labels, profile) {
  const out = []
  out.push('### What Node can reach here (the Node floor, same run)')
  out.push('')
  out.push(`The Node floor is ${labels['node-floor'] ? `“${labels['node-floor']}”` : '`node:https` answering the bench\'s requests itself on the same worker count'}, pinned like the proxies: no upstream, no routing, no proxying — the least any Node TLS HTTP server costs on this machine per request, per handshake, per streamed MiB, in memory while streaming and in added latency at the same rate. Where even the floor misses a bar, that bar is out of reach for Node here, and the next-best target grants the bar's allowance on top of the floor instead: for a ratio to nginx, the same allowance over nginx; for an absolute bar, the headroom the bar leaves nginx (memory) or the direct upstream (added latency) (rules in bench/README.md, “The bar”). The bar table above still reports the bar itself.`)
  out.push('')
  out.push(floorTable(floor, 'node-floor'))
  const groups = profile?.native?.groups ?? []
  if (groups.length > 0) {
    out.push('')
    out.push(`Where the floor's CPU goes under keep-alive load (\`perf\`, by symbol; tables below): ${groups.slice(0, 6).map((g) => `${g.name} ${fmt(g.pct, 0)}%`).join(', ')}.`)
  }
  return out
}

/** The Markdown section for a finished run. */
export function renderSection (run) {
  const { meta, records, scenarios, sanity, bars, floor = [], relay = [], profiles, notes, commands, labels } = run
  const out = []
  out.push('## Side by side: Gatehouse, nginx, HAProxy, @fastify/http-proxy (generated by `pnpm bench`; do not edit by hand)')
  out.push('')
  out.push(`Run ${meta.startedAt} → ${meta.finishedAt} (${fmt(meta.elapsedS, 0)} s), \`${meta.argv}\`.`)
  out.push('')
  out.push(table(['machine / tool', 'value'], [
    ['nproc', String(meta.nproc)],
    ['CPU', meta.cpu],
    ['kernel', meta.kernel],
    ['`ulimit -n`', String(meta.ulimit)],
    ['Node', meta.node],
    ['Gatehouse', meta.gatehouse],
    ['nginx', meta.nginx],
    ['HAProxy', meta.haproxy],
    ['@fastify/http-proxy', meta.fastify],
    ['closed-loop load generator', meta.generator],
    ['upstream', meta.upstream],
    ['core pinning', meta.pinning],
    ['runs per figure', `${meta.runs} (every figure: median, with min–max in parentheses)`],
    ['duration per run', `${meta.seconds} s`]
  ]))
  out.push('')
  out.push('Figures are for Gatehouse with the same worker count as the peers unless the row says 1 worker. CPU time is user+sys of all the proxy\'s processes (from /proc/<pid>/stat) divided by the requests or handshakes served. On a small shared machine CPU per request is steadier than requests/s; only same-run ratios mean anything.')
  out.push('')
  out.push('For orientation only (issue 7, another 2-core machine, `wrk -t1` pinned, nginx upstream, ECDSA P-256, 2 workers each): nginx 29,100 req/s, 30 µs CPU/request, 410 µs CPU per full handshake, 502 MB/s, 32 MB RSS; @fastify/http-proxy 10,850 req/s, 122 µs, 1,300 µs, 278 MB; a naive `node:https` pipe 9,450 req/s, 135 µs, 1,610 µs.')
  out.push('')
  out.push('### The bar (Gatehouse, ' + (labels['gatehouse-n'] ?? 'N workers').replace('Gatehouse, ', '') + ')')
  out.push('')
  out.push(table(['bar', 'measured', 'needs', 'status'], bars.map((b) => [b.name, b.text ?? (Number.isFinite(b.value) ? `${fmt(b.value, b.unit === '×' ? 2 : undefined)}${b.unit}` : 'n/a'), b.limit, b.status])))
  out.push('')
  if (floor.some((r) => r.reachable !== null)) {
    out.push(...floorBlock(floor, labels, profiles.find((p) => p.subject === 'node-floor')))
    out.push('')
  }
  if (relay.some((r) => r.reachable !== null)) {
    out.push(...relayBlock(relay, labels))
    out.push('')
  }
  out.push(...FINDINGS)
  out.push('### Sanity: `Connection: close` from the client')
  out.push('')
  out.push(table(['target', 'status', 'Connection header answered', 'proxy closed the connection', 'verdict'], Object.entries(sanity).map(([id, s]) => [labels[id] ?? id, String(s.status), s.connection === null ? '(none)' : `\`${s.connection}\``, s.serverClosed ? 'yes' : 'no', s.ok ? 'ok' : 'WRONG'])))
  out.push('')
  for (const sc of scenarios) {
    const byTarget = records[sc.name]
    if (!byTarget || Object.keys(byTarget).length === 0) continue
    out.push(`### ${sc.title}`)
    out.push('')
    out.push(scenarioTable(sc, byTarget, labels))
    const rl = ratioLines(sc.name, byTarget)
    if (rl) out.push('', rl)
    out.push('')
  }
  const subjects = [
    ['gatehouse', '### Where Gatehouse spends its CPU (`node --cpu-prof`, all processes, idle excluded)'],
    ['node-floor', '### Where a bare Node TLS server spends its CPU (the Node floor, `node --cpu-prof`, all processes, idle excluded)']
  ]
  for (const [subject, heading] of subjects) {
    const ps = profiles.filter((p) => (p.subject ?? 'gatehouse') === subject)
    if (ps.length === 0) continue
    out.push(heading)
    out.push('')
    for (const p of ps) {
      out.push(`**${p.name}** — ${p.files} profiles, ${fmt(p.totalMs / 1000, 1)} s of samples, \`${p.command}\``)
      out.push('')
      out.push(table(['module', 'self %'], p.modules.slice(0, 10).map((m) => [`\`${m.name}\``, fmt(m.pct, 1)])))
      out.push('')
      out.push(table(['function', 'self %'], p.functions.slice(0, 12).map((f) => [`\`${f.name}\``, fmt(f.pct, 1)])))
      out.push('')
      if (p.native) {
        out.push('V8 charges native work done outside JS (TLS records decrypted, requests parsed by llhttp in C++, before any JS runs) to `(program)`, and native work called from JS to the calling function. The same load sampled by `perf` (`' + p.native.command + '`), every sample of the floor\'s processes grouped by symbol:')
        out.push('')
        out.push(table(['where (perf, by symbol)', '% of samples'], p.native.groups.map((g) => [g.name, fmt(g.pct, 1)])))
        out.push('')
        out.push(table(['top symbols (perf)', '% of samples'], p.native.top.slice(0, 12).map((t) => [`\`${t.name}\``, fmt(t.pct, 1)])))
        out.push('')
      }
    }
  }
  if (notes.length) {
    out.push('### Notes from this run')
    out.push('')
    for (const n of notes) out.push(`- ${n}`)
    out.push('')
  }
  out.push('### Exact commands')
  out.push('')
  out.push('Generated files live in a temp directory (`$BENCH_TMP`); configs are written by `bench/lib/peers/*.js`.')
  out.push('')
  out.push('```')
  for (const c of commands) out.push(c)
  out.push('```')
  return out.join('\n')
}
