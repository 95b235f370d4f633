// idle: 10,000 keep-alive TLS connections, one request each, then held open
// → resident memory per connection (all the proxy's processes, after minus
// before). Each round starts the proxy afresh (memory a previous round freed
// would otherwise be reused and hide the cost) and warms it up first. The
// client resumes TLS sessions to open connections faster; the memory a
// connection holds does not depend on it. Opening is bounded in time; the
// figure is per connection actually open. The client is not pinned.
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
  // Gatehouse with 1 worker is left out: the bar is about N workers, and 10,000 TLS
  // connections per round are the slowest thing the runner does.
  targets: (ctx) => ctx.targets.filter((t) => t.tls && t.id !== 'gatehouse-1'),
  async measure (ctx, target) {
    await target.start()
    await closedLoop({ target: { url: target.url, hostHeader: HOST }, conns: 50, seconds: 1, cpu: ctx.plan.load, tmpDir: ctx.dir })
    await sleep(500)
    const before = rssBytes(target.pid)
    // Not pinned: only memory is measured here, and the client may use both cores to open connections faster.
    const hold = await holdIdle({ target: target.endpoint, servername: HOST, count: ctx.opts.idleCount, conc: 100, openTimeoutMs: ctx.opts.idleOpenTimeoutMs }, { cpu: null })
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
