// many-apis: the keepalive load against Gatehouse configured with 5,000 APIs
// (exact domains) and 500 wildcard certificates, requests spread over 100
// hosts — 50 connections, each with the SNI of its own certificate,
// alternating between two hosts under it — against the same Gatehouse with
// one API, same client, same round → requests/s and CPU per request relative
// to the 1-API case. Certificates are minted at bench time (one shared key).
// Each round runs the two configs in ABBA halves (1 API, many, many, 1 API;
// each half-length) and compares their sums: this machine's speed drifts by
// tens of percent within seconds, and two back-to-back runs put all of that
// drift into the ratio (0.66–1.64× between rounds of one run before).

import { builtin } from '../lib/load/generators.js'
import { mintMany } from '../lib/tls-material.js'
import { startGatehouse } from '../lib/peers/gatehouse.js'
import { withCpu, usPer, HOST } from '../lib/measure.js'

const CONNS = 50

/** API k lives under certificate floor(k / 10): a<k>.c<cert>.many.bench.localhost. */
const apiHost = (k) => `a${k}.c${Math.floor(k / 10)}.many.bench.localhost`

/** Per-connection SNI and Host rotation: 50 certificates, 100 hosts. */
export function manyPlan (certCount) {
  return Array.from({ length: CONNS }, (_, i) => {
    const c = Math.floor((i * certCount) / CONNS)
    return { servername: apiHost(10 * c), hosts: [apiHost(10 * c), apiHost(10 * c + 5)] }
  })
}

async function run (ctx, target, plan, durationMs = ctx.opts.seconds * 1000) {
  const { result: r, cpuS } = await withCpu(target, () => builtin({
    mode: 'closed', target: target.endpoint, conns: CONNS, plan, durationMs
  }, { cpu: ctx.plan.load, log: ctx.command }))
  return { rps: r.rps, requests: r.requests, seconds: durationMs / 1000, cpuS, cpuUs: usPer(cpuS, r.requests), failed: r.errors + r.non2xx }
}

/** Sums of ABBA halves: { rps, cpuUs, failed }. */
function total (halves) {
  const requests = halves.reduce((a, h) => a + h.requests, 0)
  const seconds = halves.reduce((a, h) => a + h.seconds, 0)
  const cpuS = halves.reduce((a, h) => a + h.cpuS, 0)
  return { rps: requests / seconds, cpuUs: usPer(cpuS, requests), failed: halves.reduce((a, h) => a + h.failed, 0) }
}

export default {
  name: 'many-apis',
  title: 'many-apis: keepalive over 100 hosts with 5,000 APIs and 500 certificates vs 1 API (built-in client)',
  columns: [
    { key: 'rps1', label: '1 API req/s' },
    { key: 'rpsMany', label: 'many req/s' },
    { key: 'ratio', label: 'many ÷ 1 (req/s)' },
    { key: 'cpu1', label: '1 API CPU µs/req' },
    { key: 'cpuMany', label: 'many CPU µs/req' },
    { key: 'failed', label: 'failed' }
  ],
  targets: (ctx) => ctx.targets.filter((t) => t.id === 'gatehouse-n'),
  async setup (ctx, targets) {
    if (targets.length === 0) return
    const { manyApis, manyCerts } = ctx.opts
    const t0 = Date.now()
    const certs = await mintMany(ctx.dir, manyCerts)
    const mintS = (Date.now() - t0) / 1000
    const apis = Array.from({ length: manyApis }, (_, k) => ({ name: `api-${k}`, domain: apiHost(k) }))
    const t1 = Date.now()
    const inst = await startGatehouse({
      dir: ctx.dir, name: 'gatehouse-many', workers: ctx.opts.workers, cpu: ctx.plan.proxy, material: ctx.material, upstreamPort: ctx.upstream.port, apis, certificates: certs, readyTimeoutMs: 180000
    })
    ctx.notes.push(`many-apis: ${manyApis} APIs / ${manyCerts} certificates minted in ${mintS.toFixed(1)} s; Gatehouse ready in ${((Date.now() - t1) / 1000).toFixed(1)} s.`)
    ctx.manyTarget = { id: 'gatehouse-many', pid: inst.pid, endpoint: { host: '127.0.0.1', port: inst.port, tls: true }, instance: inst }
    ctx.command(inst.command)
    // Warm-up until two consecutive runs agree within 15% (a fresh Node process starts slow).
    let prev = 0
    for (let i = 0; i < (ctx.opts.smoke ? 1 : 4); i++) {
      const r = await run(ctx, ctx.manyTarget, manyPlan(manyCerts))
      if (prev > 0 && Math.abs(r.rps - prev) / prev < 0.15) break
      prev = r.rps
    }
  },
  async teardown (ctx) {
    await ctx.manyTarget?.instance.stop()
    ctx.manyTarget = null
  },
  async measure (ctx, target) {
    const half = (ctx.opts.seconds * 1000) / 2
    const onePlan = [{ servername: HOST, hosts: [HOST] }]
    const plan = manyPlan(ctx.opts.manyCerts)
    const a1 = await run(ctx, target, onePlan, half)
    const b1 = await run(ctx, ctx.manyTarget, plan, half)
    const b2 = await run(ctx, ctx.manyTarget, plan, half)
    const a2 = await run(ctx, target, onePlan, half)
    const one = total([a1, a2])
    const many = total([b1, b2])
    return { rps1: one.rps, rpsMany: many.rps, ratio: many.rps / one.rps, cpu1: one.cpuUs, cpuMany: many.cpuUs, failed: one.failed + many.failed }
  }
}
