// The unit's own command lines, run against the real gateway: ExecStartPre, ExecStart and
// both ExecReload lines are taken from deploy/systemd/gatehouse.service, with only the
// binary path (-> a wrapper like the README's /usr/local/bin/gatehouse), the config path
// (-> a temp config) and $MAINPID substituted, and executed in order, stopping at the first
// failure as systemd does. A valid change is live after `systemctl reload`; a broken file
// is refused by the check line before any signal; KillSignal drains and exits 0.
// systemd itself does not run here, so User= and the sandboxing are not exercised.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { stringify } from 'yaml'
import { CLI, freePort, get, metric, requireBuiltGateway, selfSignedCert, startUpstream, waitFor } from './gateway-run.js'
import { readDeploy, run } from './tools.js'
import { execArgv, parseUnit, timespanSeconds, value, values } from './unit-file.js'

const unit = parseUnit(readDeploy('systemd/gatehouse.service'))
const BIN = '/usr/local/bin/gatehouse'
const CONFIG = '/etc/gatehouse/gatehouse.yaml'

interface Ctx {
  dir: string
  bin: string
  config: string
  ca: string
  certs: { cert: string, key: string }
  httpsPort: number
  adminPort: number
  upstream: { url: string, close: () => Promise<void> } | null
  gateway: ChildProcess | null
  exit: Promise<{ code: number | null, signal: NodeJS.Signals | null }> | null
  output: string
}

const test = suite<Ctx>('systemd unit command lines against the real gateway', {
  dir: '', bin: '', config: '', ca: '', certs: { cert: '', key: '' }, httpsPort: 0, adminPort: 0,
  upstream: null, gateway: null, exit: null, output: ''
})

/** An Exec line of the unit as argv, with the install paths and $MAINPID substituted. */
function commandLine (ctx: Ctx, line: string): string[] {
  return execArgv(line).map((w) => w === BIN ? ctx.bin : w === CONFIG ? ctx.config : w === '$MAINPID' ? String(ctx.gateway?.pid) : w)
}

/** Runs the lines in order like systemd: the first that fails ends the job. Returns the statuses. */
function runLines (ctx: Ctx, lines: string[]): Array<{ argv: string[], status: number | null, output: string }> {
  const done = []
  for (const line of lines) {
    const [cmd, ...args] = commandLine(ctx, line)
    const r = run(cmd ?? '', args, { timeoutMs: 30_000, env: serviceEnv() })
    done.push({ argv: [cmd ?? '', ...args], status: r.status, output: r.stdout + r.stderr })
    if (r.status !== 0) break
  }
  return done
}

/** The service's environment: the caller's PATH plus the unit's Environment= lines. */
function serviceEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: tmpdir() }
  for (const assignment of values(unit, 'Service', 'Environment')) {
    const eq = assignment.indexOf('=')
    env[assignment.slice(0, eq)] = assignment.slice(eq + 1)
  }
  return env
}

function writeConfig (ctx: Ctx, apis: Array<{ name: string, listen_path: string }>): void {
  writeFileSync(ctx.config, stringify({
    version: 1,
    workers: 1,
    shutdown_timeout: '5s',
    listen: { https: { host: '127.0.0.1', port: ctx.httpsPort } },
    admin: { host: '127.0.0.1', port: ctx.adminPort },
    access_log: 'off',
    tls: { certificates: [{ cert_file: ctx.certs.cert, key_file: ctx.certs.key }] },
    apis: apis.map((a) => ({ ...a, upstream: { targets: [ctx.upstream?.url] } }))
  }))
}

async function metrics (ctx: Ctx): Promise<string> {
  const r = await get(`http://127.0.0.1:${ctx.adminPort}/metrics`)
  assert.is(r.status, 200)
  return r.body
}

async function configVersion (ctx: Ctx): Promise<string> {
  const r = await get(`http://127.0.0.1:${ctx.adminPort}/config`)
  assert.is(r.status, 200)
  return String((JSON.parse(r.body) as { version: unknown }).version)
}

// uvu reports a failing hook without its message: print it, then fail every test.
test.before(async (ctx) => {
  try {
    await setUp(ctx)
  } catch (err) {
    console.error(`setup failed: ${(err as Error).message}`)
    throw err
  }
})

async function setUp (ctx: Ctx): Promise<void> {
  requireBuiltGateway()
  ctx.dir = mkdtempSync(join(tmpdir(), 'gatehouse-unit-'))
  ctx.certs = selfSignedCert(ctx.dir)
  ctx.ca = readFileSync(ctx.certs.cert, 'utf8')
  // The README's /usr/local/bin/gatehouse, pointing at this checkout's build.
  ctx.bin = join(ctx.dir, 'gatehouse')
  writeFileSync(ctx.bin, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`)
  chmodSync(ctx.bin, 0o755)
  ctx.config = join(ctx.dir, 'gatehouse.yaml')
  ctx.httpsPort = await freePort()
  ctx.adminPort = await freePort()
  ctx.upstream = await startUpstream()
}

test.after(async (ctx) => {
  if (ctx.gateway && ctx.gateway.exitCode === null && ctx.gateway.signalCode === null) {
    ctx.gateway.kill('SIGKILL')
    await ctx.exit
  }
  await ctx.upstream?.close()
  rmSync(ctx.dir, { recursive: true, force: true })
})

test('ExecStartPre refuses a broken file, so the service would not start', (ctx) => {
  writeFileSync(ctx.config, 'version: 1\nlisten:\n  https: { host: 127.0.0.1, port: 8443 }\nworkerz: 2\n')
  const [pre] = runLines(ctx, values(unit, 'Service', 'ExecStartPre'))
  assert.is(pre?.status, 1, `gatehouse check should exit 1:\n${pre?.output}`)
  assert.match(pre?.output ?? '', /gatehouse\.yaml:4:\d+/, 'the error names file:line:col')
})

test('ExecStartPre passes and ExecStart serves the config', async (ctx) => {
  writeConfig(ctx, [{ name: 'v1', listen_path: '/v1' }])
  const pre = runLines(ctx, values(unit, 'Service', 'ExecStartPre'))
  assert.ok(pre.every((r) => r.status === 0), pre.map((r) => r.output).join('\n'))
  const [cmd, ...args] = commandLine(ctx, value(unit, 'Service', 'ExecStart'))
  const child = spawn(cmd ?? '', args, { env: serviceEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  ctx.gateway = child
  child.stdout.on('data', (b: Buffer) => { ctx.output += b.toString() })
  child.stderr.on('data', (b: Buffer) => { ctx.output += b.toString() })
  ctx.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  await waitFor(() => `/readyz 200 (gateway output:\n${ctx.output})`, 30_000, async () => {
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}:\n${ctx.output}`)
    return (await get(`http://127.0.0.1:${ctx.adminPort}/readyz`)).status === 200 ? true : undefined
  })
  const r = await get(`https://127.0.0.1:${ctx.httpsPort}/v1/hello`, { ca: ctx.ca })
  assert.is(r.status, 200)
  assert.match(r.body, /^upstream /)
  assert.is((await get(`https://127.0.0.1:${ctx.httpsPort}/v2/hello`, { ca: ctx.ca })).status, 404)
  // A counter, present from the start (so alerts on increase() see the first reload).
  assert.is(metric(await metrics(ctx), 'gatehouse_config_reloads_total{result="success"}'), 0)
  assert.is(metric(await metrics(ctx), 'gatehouse_config_reloads_total{result="failure"}'), 0)
})

test('ExecReload: check, then SIGHUP to $MAINPID; the new config is live', async (ctx) => {
  assert.ok(ctx.gateway, 'gateway not started')
  const before = await configVersion(ctx)
  writeConfig(ctx, [{ name: 'v1', listen_path: '/v1' }, { name: 'v2', listen_path: '/v2' }])
  const reload = runLines(ctx, values(unit, 'Service', 'ExecReload'))
  assert.equal(reload.map((r) => r.status), [0, 0], reload.map((r) => r.output).join('\n'))
  assert.equal(reload[1]?.argv, ['/bin/kill', '-HUP', String(ctx.gateway.pid)])
  await waitFor('gatehouse_config_reloads_total{result="success"} 1', 10_000, async () =>
    metric(await metrics(ctx), 'gatehouse_config_reloads_total{result="success"}') === 1 ? true : undefined)
  assert.is.not(await configVersion(ctx), before)
  const r = await waitFor('/v2 routed', 5_000, async () => {
    const a = await get(`https://127.0.0.1:${ctx.httpsPort}/v2/hello`, { ca: ctx.ca })
    return a.status === 200 ? a : undefined
  })
  assert.match(r.body, /^upstream /)
})

test('ExecReload with a broken file: the check line fails and no signal is sent', async (ctx) => {
  assert.ok(ctx.gateway, 'gateway not started')
  const before = await configVersion(ctx)
  writeFileSync(ctx.config, 'version: 1\napis:\n  - name: v1\n    listen_pth: /v1\n')
  const reload = runLines(ctx, values(unit, 'Service', 'ExecReload'))
  assert.is(reload.length, 1, 'the kill line must not run after a failed check')
  assert.is(reload[0]?.status, 1)
  assert.match(reload[0]?.output ?? '', /gatehouse\.yaml:4:\d+/)
  // Had SIGHUP been sent, the gateway would have counted a failed reload.
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  const text = await metrics(ctx)
  assert.is(metric(text, 'gatehouse_config_reloads_total{result="failure"}'), 0)
  assert.is(metric(text, 'gatehouse_config_reloads_total{result="success"}'), 1)
  assert.is(await configVersion(ctx), before)
  assert.is((await get(`https://127.0.0.1:${ctx.httpsPort}/v2/hello`, { ca: ctx.ca })).status, 200)
})

test('KillSignal drains and exits 0 well within TimeoutStopSec', async (ctx) => {
  assert.ok(ctx.gateway && ctx.exit, 'gateway not started')
  const signal = value(unit, 'Service', 'KillSignal') as NodeJS.Signals
  const limitMs = timespanSeconds(value(unit, 'Service', 'TimeoutStopSec')) * 1000
  ctx.gateway.kill(signal)
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, limitMs, 'timeout').unref())
  const result = await Promise.race([ctx.exit, timeout])
  assert.is.not(result, 'timeout', `no exit within TimeoutStopSec (${limitMs} ms)`)
  assert.equal(result, { code: 0, signal: null }, ctx.output)
})

test.run()
