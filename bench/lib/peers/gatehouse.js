// Starts Gatehouse the way a user does — `gatehouse start -c FILE --workers N`
// from packages/gateway/dist — pinned to the proxy core, and reads what the
// bench needs from its admin server: the handshake counters
// (gatehouse_tls_handshakes_total{version,resumed}) that prove a handshake
// run did full or resumed handshakes on the server side.
import { spawn } from 'node:child_process'
import { writeFileSync, readFileSync, existsSync, mkdirSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pinned, shellLine } from '../sys.js'
import { freePort, waitForLine, stopChild, readyOrKill } from '../spawn.js'

export const CLI = fileURLToPath(new URL('../../../packages/gateway/dist/cli.js', import.meta.url))

/** Whether the gateway is built (`pnpm build`). */
export function gatehouseBuilt () {
  return existsSync(CLI)
}

/** Gatehouse's version string: package version + git commit. */
export function gatehouseVersion () {
  let v = 'unknown'
  try { v = JSON.parse(readFileSync(fileURLToPath(new URL('../../../packages/gateway/package.json', import.meta.url)), 'utf8')).version } catch {}
  return v
}

const q = (s) => JSON.stringify(s)

/** The YAML of a bench config: one catch-all API, or `apis`/`certificates` given explicitly. */
export function gatehouseYaml ({ port, adminPort, workers, material, upstreamPort, apis = null, certificates = null }) {
  const certs = certificates ?? [material.ec, material.rsa].map((m) => ({ cert: m.cert, key: m.key }))
  const lines = [
    '# bench: Gatehouse (generated)',
    'version: 1',
    `workers: ${workers}`,
    'shutdown_timeout: 5s',
    `listen: { https: { host: 127.0.0.1, port: ${port} } }`,
    `admin: { host: 127.0.0.1, port: ${adminPort} }`,
    'access_log: off',
    'timeouts: { keep_alive: 120s }',
    'tls:',
    '  certificates:'
  ]
  for (const c of certs) lines.push(`    - { cert_file: ${q(c.cert)}, key_file: ${q(c.key)} }`)
  lines.push('apis:')
  const target = `http://127.0.0.1:${upstreamPort}`
  if (apis === null) {
    lines.push('  - name: bench', '    listen_path: /', `    upstream: { targets: [${q(target)}] }`)
  } else {
    for (const a of apis) lines.push(`  - { name: ${q(a.name)}, domain: ${q(a.domain)}, listen_path: /, upstream: { targets: [${q(target)}] } }`)
  }
  return lines.join('\n') + '\n'
}

/**
 * Starts Gatehouse. `profileDir` adds --cpu-prof (inherited by the cluster
 * workers through execArgv); the profiles are written when the process exits.
 */
export async function startGatehouse ({ dir, name, workers, cpu, material, upstreamPort, apis = null, certificates = null, profileDir = null, readyTimeoutMs = 60000, scheduling = null }) {
  const root = join(dir, name)
  mkdirSync(root, { recursive: true })
  const port = await freePort()
  const adminPort = await freePort()
  const config = join(root, 'gatehouse.yaml')
  writeFileSync(config, gatehouseYaml({ port, adminPort, workers, material, upstreamPort, apis, certificates }))
  const node = profileDir ? [`--cpu-prof`, `--cpu-prof-dir=${profileDir}`] : []
  const [cmd, args] = pinned(cpu, process.execPath, [...node, CLI, 'start', '-c', config, '--workers', String(workers)])
  const env = scheduling === null ? process.env : { ...process.env, GATEHOUSE_SCHEDULING: scheduling }
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
  let tail = ''
  const keep = (d) => { tail = (tail + d).slice(-4000) }
  const startup = await readyOrKill(child, waitForLine(child, 'gatehouse ready', readyTimeoutMs))
  let effective = scheduling ?? process.env.GATEHOUSE_SCHEDULING ?? 'default'
  try { effective = JSON.parse(startup.split('\n').find((l) => l.includes('gatehouse ready')) ?? '{}').scheduling ?? effective } catch {}
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  return {
    port,
    adminPort,
    pid: child.pid,
    config,
    version: gatehouseVersion(),
    scheduling: effective,
    command: (scheduling === null ? '' : `GATEHOUSE_SCHEDULING=${scheduling} `) + shellLine(cmd, args.map((a) => a.replace(dir, '$BENCH_TMP'))),
    reload: () => child.kill('SIGHUP'),
    stop: () => stopChild(child, 'SIGTERM', 15000),
    logTail: () => tail,
    handshakes: () => handshakeCounters(adminPort)
  }
}

function get (port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, timeout: 10000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode, body }))
    }).on('error', reject).on('timeout', function () { this.destroy(new Error('timeout')) })
  })
}

/** { full, resumed } summed over TLS versions from /metrics. */
export async function handshakeCounters (adminPort) {
  const { body } = await get(adminPort, '/metrics')
  const out = { full: 0, resumed: 0 }
  for (const line of body.split('\n')) {
    if (!line.startsWith('gatehouse_tls_handshakes_total{')) continue
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (/resumed="true"/.test(line)) out.resumed += value
    else out.full += value
  }
  return out
}
