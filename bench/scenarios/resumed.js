// resumed: the handshake scenario with session tickets — each client loop
// offers the ticket of its previous connection, so with N workers most
// resumptions land on a different worker than the one that issued the
// ticket → handshakes/s, CPU per handshake, the share that actually resumed,
// and the CPU each worker process spent (a worker counts as busy at ≥ 10%
// of the workers' CPU: every worker must have served resumptions).
import { builtin } from '../lib/load/generators.js'
import { withCpu, withCpuPerProcess, usPer } from '../lib/measure.js'

const CONC = 8

export default {
  name: 'resumed',
  title: 'resumed: new TLS connection per request with session tickets (ECDSA), across workers',
  columns: [
    { key: 'cps', label: 'hs/s' },
    { key: 'cpuUs', label: 'CPU µs/hs' },
    { key: 'resumedPct', label: 'resumed % (client)' },
    { key: 'serverResumedPct', label: 'resumed % (server)' },
    { key: 'busyWorkers', label: 'workers busy (CPU share)', text: true },
    { key: 'failed', label: 'failed' }
  ],
  targets: (ctx) => ctx.targets.filter((t) => t.tls),
  async measure (ctx, target) {
    const server0 = target.instance?.handshakes ? await target.instance.handshakes() : null
    let perProcess = new Map()
    const { result: r, cpuS } = await withCpu(target, async () => {
      const out = await withCpuPerProcess(target, () => builtin({
        mode: 'handshake', target: target.endpoint, servername: 'ec.bench.localhost', conc: CONC, resume: true, durationMs: ctx.opts.seconds * 1000
      }, { cpu: ctx.plan.load, log: ctx.command }))
      perProcess = out.perProcess
      return out.result
    })
    const server1 = server0 ? await target.instance.handshakes() : null
    // Worker processes = the tree minus its root (master/primary). HAProxy has one worker process with threads.
    const workers = [...perProcess.entries()].filter(([pid]) => pid !== target.pid).map(([, s]) => s)
    const total = workers.reduce((a, b) => a + b, 0)
    const busy = workers.filter((s) => total > 0 && s / total >= 0.1)
    const shares = workers.map((s) => `${total > 0 ? Math.round((100 * s) / total) : 0}%`).join('/')
    // The client's warm-up connections (one full handshake per loop, CONC of them) are
    // not counted by the client but are by the server: leave them out of the server's share.
    const serverN = server1 ? (server1.full - server0.full - CONC) + (server1.resumed - server0.resumed) : 0
    return {
      cps: r.cps,
      cpuUs: usPer(cpuS, r.connections),
      resumedPct: r.connections > 0 ? (100 * r.resumed) / (r.full + r.resumed) : NaN,
      serverResumedPct: serverN > 0 ? (100 * (server1.resumed - server0.resumed)) / serverN : NaN,
      busy: busy.length,
      workers: workers.length,
      busyWorkers: `${busy.length}/${workers.length} (${shares})`,
      failed: r.errors + r.non2xx
    }
  }
}
