// reload: the keepalive load while the proxy is told to reload its
// configuration every second (SIGHUP for Gatehouse and nginx, SIGUSR2 to
// HAProxy's master) → failed requests (Gatehouse must have 0) and the
// throughput dip against the same proxy's keepalive figure. For Gatehouse the
// reloads are also counted on the server side
// (gatehouse_config_reloads_total{result="success"}).
import http from 'node:http'
import { closedLoop } from '../lib/load/generators.js'
import { median } from '../lib/stats.js'
import { HOST } from '../lib/measure.js'

function reloadSuccesses (adminPort) {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port: adminPort, path: '/metrics', timeout: 10000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { body += d })
      res.on('end', () => {
        const m = /^gatehouse_config_reloads_total\{[^}]*result="success"[^}]*\} (\S+)/m.exec(body)
        resolve(m ? Number(m[1]) : 0)
      })
    }).on('error', () => resolve(NaN))
  })
}

export default {
  name: 'reload',
  title: 'reload: keepalive load with a configuration reload every second',
  columns: [
    { key: 'rps', label: 'req/s' },
    { key: 'dipPct', label: 'dip vs keepalive %' },
    { key: 'reloads', label: 'reloads sent' },
    { key: 'serverReloads', label: 'reloads done (server)' },
    { key: 'failed', label: 'failed requests' }
  ],
  targets: (ctx) => ctx.targets.filter((t) => t.canReload && t.id !== 'gatehouse-1'),
  async measure (ctx, target) {
    const seconds = Math.max(2, ctx.opts.seconds)
    const adminPort = target.instance?.adminPort
    const before = adminPort ? await reloadSuccesses(adminPort) : NaN
    let reloads = 0
    const timer = setInterval(() => { reloads++; target.reload() }, 1000)
    let r
    try {
      r = await closedLoop({ target: { url: target.url, hostHeader: HOST }, conns: 50, seconds, cpu: ctx.plan.load, tmpDir: ctx.dir, log: ctx.command })
    } finally {
      clearInterval(timer)
    }
    // Let the last reload settle before the next round or scenario.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const after = adminPort ? await reloadSuccesses(adminPort) : NaN
    const ka = ctx.records.keepalive?.[target.id]
    const kaRps = ka ? median(ka.map((x) => x.rps)) : NaN
    return { rps: r.rps, dipPct: 100 * (1 - r.rps / kaRps), reloads, serverReloads: after - before, failed: r.errors + r.non2xx }
  }
}
