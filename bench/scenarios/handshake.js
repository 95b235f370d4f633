// handshake: a new TLS connection per request (`Connection: close`), full
// handshakes only, with the ECDSA P-256 and the RSA-2048 certificate (chosen
// by SNI) → handshakes/s and the proxy's CPU per handshake. wrk and h2load
// resume sessions on reconnect, so this uses the built-in client, which never
// offers a session; "full" is checked twice: the client counts what was
// negotiated (isSessionReused), and for Gatehouse the server's own
// gatehouse_tls_handshakes_total{resumed} must agree. One client core tops
// out near 1,000 full handshakes/s: compare CPU per handshake, not the rate.
import { builtin } from '../lib/load/generators.js'
import { withCpu, withCpuPerProcess, usPer, warmUntilSteady } from '../lib/measure.js'

const SNI = { ec: 'ec.bench.localhost', rsa: 'rsa.bench.localhost' }

// The runner's warm-up is keep-alive traffic, which leaves a JIT proxy's
// handshake path cold. At ~600 handshakes/s V8 takes 10–15 s to optimize it
// (a Gatehouse worker's CPU per full ECDSA handshake fell from 1,225 to
// ~800–900 µs over eight 4 s windows, with TurboFan ~10% of the samples
// early on), so each running instance gets unrecorded 2 s runs of handshakes
// per certificate: at least 3, then until two in a row cost the same
// CPU per handshake within 10% (at most 8), as the keep-alive warm-up
// waits for two runs that agree. Every target gets the same rule, nginx
// included.
function warmUp (ctx, target) {
  const run = (servername) => async () => {
    const { result: r, cpuS } = await withCpu(target, () => builtin({ mode: 'handshake', target: target.endpoint, servername, conc: 8, resume: false, durationMs: 2000 }, { cpu: ctx.plan.load, log: () => {} }))
    return usPer(cpuS, r.connections)
  }
  return warmUntilSteady(ctx, target, 'handshake', [run(SNI.ec), run(SNI.rsa)], { min: 3, max: 8 })
}

/** One handshake run; `resume` offers each loop's previous session. */
export async function handshakeRun (ctx, target, servername, resume) {
  const server0 = target.instance?.handshakes ? await target.instance.handshakes() : null
  let perProcess = new Map()
  const { result: r, cpuS } = await withCpu(target, async () => {
    const out = await withCpuPerProcess(target, () => builtin({
      mode: 'handshake', target: target.endpoint, servername, conc: 8, resume, durationMs: ctx.opts.seconds * 1000
    }, { cpu: ctx.plan.load, log: ctx.command }))
    perProcess = out.perProcess
    return out.result
  })
  // The root process's share: for Gatehouse (round-robin cluster) the primary accepts every
  // connection and hands it to a worker over IPC; for nginx/HAProxy the master does nothing here.
  const all = [...perProcess.values()].reduce((x, y) => x + y, 0)
  const rootPct = all > 0 ? (100 * (perProcess.get(target.pid) ?? 0)) / all : NaN
  const server1 = server0 ? await target.instance.handshakes() : null
  return {
    cps: r.cps,
    cpuUs: usPer(cpuS, r.connections),
    rootPct,
    connections: r.connections,
    clientFull: r.full,
    clientResumed: r.resumed,
    serverFull: server1 ? server1.full - server0.full : NaN,
    serverResumed: server1 ? server1.resumed - server0.resumed : NaN,
    failed: r.errors + r.non2xx
  }
}

export default {
  name: 'handshake',
  title: 'handshake: new TLS connection per request, full handshakes (verified), ECDSA P-256 and RSA-2048',
  columns: [
    { key: 'ecCps', label: 'ECDSA hs/s' },
    { key: 'ecCpuUs', label: 'ECDSA CPU µs/hs' },
    { key: 'rsaCps', label: 'RSA hs/s' },
    { key: 'rsaCpuUs', label: 'RSA CPU µs/hs' },
    { key: 'rootPct', label: 'master/primary CPU % (ECDSA)' },
    { key: 'resumedSeen', label: 'resumed (client/server)', text: true },
    { key: 'failed', label: 'failed' }
  ],
  targets: (ctx) => ctx.targets.filter((t) => t.tls),
  async measure (ctx, target) {
    await warmUp(ctx, target)
    const ec = await handshakeRun(ctx, target, SNI.ec, false)
    const rsa = await handshakeRun(ctx, target, SNI.rsa, false)
    const clientResumed = ec.clientResumed + rsa.clientResumed
    const serverResumed = ec.serverResumed + rsa.serverResumed
    return {
      ecCps: ec.cps,
      ecCpuUs: ec.cpuUs,
      rsaCps: rsa.cps,
      rsaCpuUs: rsa.cpuUs,
      rootPct: ec.rootPct,
      clientResumed,
      serverResumed,
      serverFull: ec.serverFull + rsa.serverFull,
      connections: ec.connections + rsa.connections,
      resumedSeen: `${clientResumed}/${Number.isFinite(serverResumed) ? serverResumed : '–'}`,
      failed: ec.failed + rsa.failed
    }
  }
}
