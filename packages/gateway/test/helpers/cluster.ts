// Test helpers for driving the real `gatehouse` CLI as a child process:
// certificates made with the openssl binary, a config file in a temp dir, a
// plain upstream on 127.0.0.1, bounded load loops, and a handle on the
// process's JSON log lines.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { request as httpsRequest, Agent } from 'node:https'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

/** A fresh temp directory, removed by `cleanup()`. */
export function tempDir (prefix = 'gatehouse-test-'): { dir: string, cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A CA and a leaf for `sans` (DNS or IP), made with the openssl binary. Returns file paths. */
export function makeCerts (dir: string, sans: string[], name = 'leaf'): { ca: string, cert: string, key: string, serial: string } {
  const caKey = join(dir, 'ca-key.pem')
  const ca = join(dir, 'ca.pem')
  const run = (args: string[]): string => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString()
  try { execFileSync('test', ['-f', ca]) } catch {
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', ca, '-days', '30', '-subj', '/CN=Gatehouse Test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  }
  const key = join(dir, `${name}-key.pem`)
  const csr = join(dir, `${name}.csr`)
  const cert = join(dir, `${name}.pem`)
  const ext = join(dir, `${name}.ext`)
  const sanList = sans.map((s) => /^[\d.]+$|:/.test(s) ? `IP:${s}` : `DNS:${s}`).join(',')
  writeFileSync(ext, `subjectAltName=${sanList}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`)
  run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${sans[0] ?? 'localhost'}`])
  run(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '10', '-extfile', ext])
  const serial = run(['x509', '-in', cert, '-noout', '-serial']).trim().replace(/^serial=/, '').toUpperCase()
  return { ca, cert, key, serial }
}

/**
 * Runs a command asynchronously with `input` on stdin. Never use spawnSync in
 * these tests: it blocks the event loop that serves the test's own upstream.
 */
export async function runCommand (cmd: string, args: string[], input = '', timeoutMs = 10_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c })
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    child.stdin.end(input)
  })
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort (): Promise<number> {
  const s = createNetServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/** A plain HTTP upstream answering `{"upstream": name, "path": ...}`; `/delay/MS` waits first. */
export async function startUpstream (name = 'up'): Promise<{ url: string, server: Server, hits: () => number, close: () => Promise<void> }> {
  let hits = 0
  const server = createHttpServer((req, res) => {
    hits++
    const m = /^\/delay\/(\d+)/.exec(req.url ?? '')
    const answer = (): void => {
      const body = JSON.stringify({ upstream: name, path: req.url })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    req.resume()
    if (m !== null) setTimeout(answer, Number(m[1]))
    else answer()
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    hits: () => hits,
    close: async () => { server.closeAllConnections(); await new Promise<void>((resolve) => server.close(() => resolve())) }
  }
}

export interface GatewayConfig {
  httpsPort: number
  adminPort: number
  cert: string
  key: string
  apis: Array<{ name: string, domain?: string, listenPath?: string, target: string }>
  extra?: string
  workers?: number
}

/** The YAML text of a small test config. */
export function configYaml (c: GatewayConfig): string {
  const apis = c.apis.map((a) => `  - name: ${a.name}
${a.domain !== undefined ? `    domain: ${a.domain}\n` : ''}    listen_path: ${a.listenPath ?? '/'}
    upstream:
      targets: [${a.target}]
`).join('')
  return `version: 1
workers: ${c.workers ?? 2}
shutdown_timeout: 10s
listen:
  https: { host: 127.0.0.1, port: ${c.httpsPort} }
admin: { host: 127.0.0.1, port: ${c.adminPort} }
access_log: stdout
tls:
  certificates:
    - cert_file: ${c.cert}
      key_file: ${c.key}
${c.extra ?? ''}apis:
${apis}`
}

/** A running `gatehouse` child process and its output. */
export interface Running {
  proc: ChildProcess
  lines: string[]
  /** Parsed JSON lines of stdout (non-JSON lines are skipped). */
  json: () => Array<Record<string, unknown>>
  /** Resolves when `pred` holds for some output line, rejects after `ms`. */
  waitFor: (pred: (line: string) => boolean, ms?: number) => Promise<string>
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>
  stop: () => Promise<void>
}

/** Spawns the CLI with `args`. */
export function runCli (args: string[], opts: { cwd?: string, env?: NodeJS.ProcessEnv } = {}): Running {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, GATEHOUSE_LOG_FORMAT: 'json', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  const waiters: Array<{ pred: (l: string) => boolean, resolve: (l: string) => void }> = []
  const onLine = (line: string): void => {
    lines.push(line)
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]
      if (w !== undefined && w.pred(line)) { waiters.splice(i, 1); w.resolve(line) }
    }
  }
  for (const stream of [proc.stdout, proc.stderr]) {
    let buf = ''
    stream?.setEncoding('utf8')
    stream?.on('data', (chunk: string) => {
      buf += chunk
      let i
      while ((i = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, i)); buf = buf.slice(i + 1) }
    })
  }
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  return {
    proc,
    lines,
    json: () => lines.flatMap((l) => { try { return [JSON.parse(l) as Record<string, unknown>] } catch { return [] } }),
    waitFor: async (pred, ms = 20_000) => {
      const hit = lines.find(pred)
      if (hit !== undefined) return hit
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for a log line; got:\n${lines.slice(-30).join('\n')}`)), ms)
        waiters.push({ pred, resolve: (l) => { clearTimeout(timer); resolve(l) } })
      })
    },
    exited,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM')
        const t = setTimeout(() => proc.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(t)
      }
    }
  }
}

/** GET over HTTPS with SNI `host` to 127.0.0.1:port; resolves status, headers and body. */
export async function get (port: number, host: string, path: string, opts: { ca: string, agent?: Agent | false } = { ca: '' }): Promise<{ status: number, headers: Record<string, unknown>, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path, method: 'GET', servername: host, headers: { host }, ca: opts.ca, agent: opts.agent ?? false
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end()
  })
}

/** Plain HTTP GET (admin endpoints). */
export async function adminGet (port: number, path: string): Promise<{ status: number, body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: res.status, body: await res.text() }
}

/** Polls `fn` until it returns true or `ms` passes. */
export async function until (fn: () => Promise<boolean> | boolean, ms = 20_000, step = 100): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    try { if (await fn()) return } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, step))
  }
}

/**
 * A bounded load loop: `concurrency` loops issuing GETs until `stop()` is
 * called, `maxMs` passes or `maxRequests` were sent. Counts outcomes.
 */
export function loadLoop (o: { port: number, host: string, path: string, ca: string, concurrency?: number, maxMs?: number, maxRequests?: number, keepAlive?: boolean }): {
  stop: () => Promise<{ ok: number, failed: number, errors: string[] }>
} {
  const agent = new Agent({ keepAlive: o.keepAlive ?? true, maxSockets: o.concurrency ?? 4 })
  let stopped = false
  let sent = 0
  const result = { ok: 0, failed: 0, errors: [] as string[] }
  const end = Date.now() + (o.maxMs ?? 30_000)
  const max = o.maxRequests ?? 20_000
  const loop = async (): Promise<void> => {
    while (!stopped && Date.now() < end && sent < max) {
      sent++
      try {
        const r = await get(o.port, o.host, o.path, { ca: o.ca, agent })
        if (r.status === 200) result.ok++
        else { result.failed++; if (result.errors.length < 10) result.errors.push(`status ${r.status}: ${r.body.slice(0, 200)}`) }
      } catch (err) {
        result.failed++
        if (result.errors.length < 10) result.errors.push((err as Error).message)
      }
    }
  }
  const loops = Array.from({ length: o.concurrency ?? 4 }, loop)
  return {
    stop: async () => {
      stopped = true
      await Promise.all(loops)
      agent.destroy()
      return result
    }
  }
}

/** Sum of the samples of `name` (optionally filtered by a label substring) in Prometheus text. */
export function metricSum (text: string, name: string, labelFilter = ''): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    if (labelFilter !== '' && !line.includes(labelFilter)) continue
    sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

/** What the reload tests share: a CA-signed certificate for two hosts, upstreams `one` and `two`, and a one-API config. */
export interface ReloadFixture {
  tmp: ReturnType<typeof tempDir>
  ca: string
  one: Awaited<ReturnType<typeof startUpstream>>
  two: Awaited<ReturnType<typeof startUpstream>>
  base: GatewayConfig
  close: () => Promise<void>
}

/** Sets up a ReloadFixture; `extra` fields are merged into the base config. */
export async function reloadFixture (extra: Partial<GatewayConfig> = {}): Promise<ReloadFixture> {
  const tmp = tempDir()
  const certs = makeCerts(tmp.dir, ['api.test.localhost', 'new.test.localhost'])
  const one = await startUpstream('one')
  const two = await startUpstream('two')
  const base: GatewayConfig = {
    httpsPort: await freePort(), adminPort: await freePort(), cert: certs.cert, key: certs.key,
    apis: [{ name: 'one', domain: 'api.test.localhost', target: one.url }], ...extra
  }
  return {
    tmp, ca: readFileSync(certs.ca, 'utf8'), one, two, base,
    close: async () => { await one.close(); await two.close(); tmp.cleanup() }
  }
}
