// stream: 10 MiB downloads and 10 MiB uploads over 8 keep-alive connections →
// MB/s each way, and the proxy's peak memory while streaming (all its
// processes, sampled every 100 ms): the sum of their RSS, and their private
// pages plus the shared ones (the node binary) counted once.
import { closedLoop } from '../lib/load/generators.js'
import { peakRssSampler } from '../lib/proc.js'
import { withCpu, warmUntilSteady, HOST, MiB } from '../lib/measure.js'
import { BIG_BYTES } from '../lib/upstream.js'

// The runner's warm-up is keep-alive traffic, which leaves a JIT proxy's
// streaming paths cold: a Gatehouse worker's first 4 s of uploads cost
// 3.2–3.4 ms CPU/MiB, later rounds 1.9–2.4 (/proc, 7 interleaved rounds), so a
// scenario's first round measured warm-up. Each running instance first gets
// unrecorded 2 s runs each way until two cost the same CPU per MiB.
function warmUp (ctx, target) {
  const run = (upload) => async () => {
    const { result: r, cpuS } = await withCpu(target, () => closedLoop({
      target: { url: target.url, hostHeader: HOST }, path: upload ? '/upload' : '/10m', conns: 8, seconds: 2, upload: upload ? BIG_BYTES : 0, cpu: ctx.plan.load, tmpDir: ctx.dir
    }))
    return (cpuS * 1000) / ((upload ? r.requests * BIG_BYTES : r.bytes) / MiB)
  }
  return warmUntilSteady(ctx, target, 'stream', [run(false), run(true)], { min: 2, max: 5 })
}

async function one (ctx, target, upload) {
  const sampler = target.pid === null ? null : peakRssSampler(target.pid)
  const { result: r, cpuS } = await withCpu(target, () => closedLoop({
    target: { url: target.url, hostHeader: HOST },
    path: upload ? '/upload' : '/10m',
    conns: 8,
    // A 10 MiB body can take a second on a slow or busy proxy, and autocannon counts
    // only completed responses: never measure less than 3 s.
    seconds: Math.max(3, ctx.opts.seconds),
    upload: upload ? BIG_BYTES : 0,
    cpu: ctx.plan.load,
    tmpDir: ctx.dir,
    log: ctx.command
  }))
  const peak = sampler ? sampler.stop() : { rss: NaN, once: NaN }
  const bytes = upload ? r.requests * BIG_BYTES : r.bytes
  return { mbps: bytes / r.durationS / 1e6, peakRssMB: peak.rss / 1e6, peakOnceMB: peak.once / 1e6, cpuMsPerMiB: (cpuS * 1000) / (bytes / MiB), failed: r.errors + r.non2xx }
}

export default {
  name: 'stream',
  title: 'stream: 10 MiB bodies, 8 connections (down = GET, up = POST)',
  columns: [
    { key: 'downMBps', label: 'down MB/s' },
    { key: 'upMBps', label: 'up MB/s' },
    { key: 'peakRssMB', label: 'peak RSS MB (sum)' },
    { key: 'peakOnceMB', label: 'peak MB, shared pages once' },
    { key: 'cpuMsPerMiB', label: 'CPU ms/MiB (down)' },
    { key: 'failed', label: 'failed' }
  ],
  targets: (ctx) => ctx.targets,
  async measure (ctx, target) {
    await warmUp(ctx, target)
    const down = await one(ctx, target, false)
    const up = await one(ctx, target, true)
    return {
      downMBps: down.mbps,
      upMBps: up.mbps,
      peakRssMB: Math.max(down.peakRssMB, up.peakRssMB),
      peakOnceMB: Math.max(down.peakOnceMB, up.peakOnceMB),
      cpuMsPerMiB: down.cpuMsPerMiB,
      failed: down.failed + up.failed
    }
  }
}
