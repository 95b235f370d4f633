// keepalive: 50 keep-alive connections sending a small GET as fast as the
// proxy answers → requests/s, p50, p99, and the proxy's CPU per request.
import { closedLoop } from '../lib/load/generators.js'
import { withCpu, usPer, HOST } from '../lib/measure.js'

export default {
  name: 'keepalive',
  title: 'keepalive: 50 connections, small GET',
  columns: [
    { key: 'rps', label: 'req/s' },
    { key: 'p50', label: 'p50 µs' },
    { key: 'p99', label: 'p99 µs' },
    { key: 'cpuUs', label: 'CPU µs/req' },
    { key: 'failed', label: 'failed' }
  ],
  targets: (ctx) => ctx.targets,
  async measure (ctx, target) {
    const { result: r, cpuS } = await withCpu(target, () => closedLoop({
      target: { url: target.url, hostHeader: HOST }, conns: 50, seconds: ctx.opts.seconds, cpu: ctx.plan.load, tmpDir: ctx.dir, log: ctx.command
    }))
    return { rps: r.rps, p50: r.latency.p50, p99: r.latency.p99, cpuUs: usPer(cpuS, r.requests), failed: r.errors + r.non2xx, requests: r.requests }
  }
}
