// Regressions found in review, against the real CLI:
// - the drain deadline was sent as an absolute time and read as a duration, so
//   workers never enforced shutdown_timeout and were SIGKILLed by the primary;
// - a SIGTERM in the first moments after forking was lost (the worker had not
//   loaded yet) and the gateway then started serving while "draining";
// - a SIGHUP during startup killed the primary (no handler installed yet).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import tls from 'node:tls'
import { adminGet, configYaml, freePort, makeCerts, metricSum, runCli, startUpstream, tempDir, until } from './helpers/cluster.js'

const test = suite('shutdown')
const ctx = {} as { tmp: ReturnType<typeof tempDir>, up: Awaited<ReturnType<typeof startUpstream>>, certs: ReturnType<typeof makeCerts> }

test.before(async () => {
  ctx.tmp = tempDir()
  ctx.certs = makeCerts(ctx.tmp.dir, ['api.test.localhost'])
  ctx.up = await startUpstream('one')
})
test.after(async () => {
  await ctx.up?.close()
  ctx.tmp?.cleanup()
})

async function writeConfig (name: string): Promise<{ file: string, https: number, admin: number }> {
  const https = await freePort()
  const admin = await freePort()
  const file = join(ctx.tmp.dir, `${name}.yaml`)
  writeFileSync(file, configYaml({ httpsPort: https, adminPort: admin, cert: ctx.certs.cert, key: ctx.certs.key, workers: 2, apis: [{ name: 'one', domain: 'api.test.localhost', target: ctx.up.url }] })
    .replace('shutdown_timeout: 10s', 'shutdown_timeout: 1s').replace('access_log: stdout', 'access_log: off'))
  return { file, https, admin }
}

test('workers enforce shutdown_timeout themselves: an idle connection does not hold the drain until SIGKILL', async () => {
  const c = await writeConfig('idle')
  const gw = runCli(['start', '-c', c.file])
  try {
    await gw.waitFor((l) => l.includes('gatehouse ready'))
    // A connection that completes its handshake and then sends nothing.
    const idle = tls.connect({ host: '127.0.0.1', port: c.https, servername: 'api.test.localhost', rejectUnauthorized: false })
    idle.on('error', () => {})
    await new Promise((resolve) => idle.once('secureConnect', resolve))
    gw.proc.kill('SIGTERM')
    assert.is(await gw.exited, 0)
    assert.not.ok(gw.lines.some((l) => l.includes('killing workers')), gw.lines.join('\n'))
    idle.destroy()
  } finally {
    await gw.stop()
  }
})

test('a SIGTERM right after start drains without ever announcing ready', async () => {
  const c = await writeConfig('early-term')
  const gw = runCli(['start', '-c', c.file])
  try {
    // The primary logs `starting` before it loads the config and forks: the
    // window until its workers are up (before that, Node itself is booting).
    await gw.waitFor((l) => l.includes('"starting"'))
    gw.proc.kill('SIGTERM')
    assert.is(await gw.exited, 0)
    assert.not.ok(gw.lines.some((l) => l.includes('killing workers')), gw.lines.join('\n'))
    const readyAfterDrain = gw.lines.findIndex((l) => l.includes('gatehouse ready')) > gw.lines.findIndex((l) => l.includes('draining'))
    assert.not.ok(readyAfterDrain, 'announced ready while draining')
  } finally {
    await gw.stop()
  }
})

test('a SIGHUP during startup is not fatal and is applied once the workers are up', async () => {
  const c = await writeConfig('early-hup')
  const gw = runCli(['start', '-c', c.file])
  try {
    await gw.waitFor((l) => l.includes('"starting"'))
    gw.proc.kill('SIGHUP')
    await gw.waitFor((l) => l.includes('gatehouse ready'))
    await until(async () => metricSum((await adminGet(c.admin, '/metrics')).body, 'gatehouse_config_reloads_total', 'result="success"') === 1)
    assert.is(gw.proc.exitCode, null)
  } finally {
    await gw.stop()
  }
})

test.run()
