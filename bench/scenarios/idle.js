// idle: 10,000 keep-alive TLS connections, one request each, then held open
// → resident memory per connection (all the proxy's processes, after minus
// before). Each round starts the proxy afresh (memory a previous round freed
// would otherwise be reused and hide the cost) and warms it up first. The
// client resumes TLS sessions to open connections faster; the memory a
// connection holds does not depend on it. Opening is bounded in time; the
// figure is per connection actually open.
import { closedLoop, holdIdle } from '../lib/load/generators.js'
import { rssBytes } from '../lib/proc.js'
import { sleep } from '../lib/sys.js'
import { HOST } from '../lib/measure.js'

export default {
  name: 'idle',
  title: 'idle: keep-alive TLS connections held open (one request each)',
  columns: [
    { key: 'opened', label: 'connections open' },
    { key: 'kbPerConn', label: 'RSS KiB/conn' },
    { key: 'baseMB', label: 'RSS before MB' },
    { key: 'heldMB', label: 'RSS held MB' },
    { key: 'closedEarly', label: 'closed by proxy' },
    { key: 'failed', label: 'failed' }
  ],
  targets: (ctx) => ctx.targets.filter((t) => t.tls),
  async measure (ctx, target) {
    await target.start()
    await closedLoop({ target: { url: target.url, hostHeader: HOST }, conns: 50, seconds: 1, cpu: ctx.plan.load, tmpDir: ctx.dir })
    await sleep(500)
    const before = rssBytes(target.pid)
    const hold = await holdIdle({ target: target.endpoint, servername: HOST, count: ctx.opts.idleCount, conc: 100, openTimeoutMs: ctx.opts.idleOpenTimeoutMs }, { cpu: ctx.plan.load })
    await sleep(2000)
    const held = rssBytes(target.pid)
    const done = await hold.close()
    await sleep(300)
    return {
      opened: hold.opened.opened,
      openS: hold.opened.openMs / 1000,
      kbPerConn: hold.opened.opened > 0 ? (held - before) / hold.opened.opened / 1024 : NaN,
      baseMB: before / 1e6,
      heldMB: held / 1e6,
      closedEarly: done?.closedEarly ?? NaN,
      failed: hold.opened.failed
    }
  }
}
