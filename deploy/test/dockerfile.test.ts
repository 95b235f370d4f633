// deploy/docker/Dockerfile, checked statically (no Docker engine runs here): a node:20 build
// stage and a slim runtime stage, production dependencies only, a non-root numeric user
// that matches the Kubernetes securityContext, HEALTHCHECK on /healthz with node (the slim
// image has no curl), STOPSIGNAL SIGTERM, exec-form ENTRYPOINT so node gets the signals,
// and no key, certificate or .gatehouse directory copied, by the instructions or through
// the build context (Dockerfile.dockerignore). The HEALTHCHECK command itself is also run,
// on this host, against a local stand-in for /healthz.
import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parse } from 'yaml'
import { readDeploy } from './tools.js'

interface Instruction { op: string, args: string, line: number }

/** Splits a Dockerfile into instructions: comments dropped, `\` continuations joined. */
function instructions (text: string): Instruction[] {
  const out: Instruction[] = []
  let buf = ''
  let start = 0
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    if (buf === '' && (line === '' || line.startsWith('#'))) return
    if (line.startsWith('#')) return // a comment inside a continued instruction
    if (buf === '') start = i + 1
    if (line.endsWith('\\')) {
      buf += line.slice(0, -1) + ' '
      return
    }
    buf += line
    const m = /^(\w+)\s+([\s\S]*)$/.exec(buf)
    if (!m) throw new Error(`Dockerfile line ${start}: cannot parse ${buf}`)
    out.push({ op: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: start })
    buf = ''
  })
  return out
}

const TEXT = readDeploy('docker/Dockerfile')
const all = instructions(TEXT)
const froms = all.map((ins, i) => [ins, i] as const).filter(([ins]) => ins.op === 'FROM')
const stage = (n: number): Instruction[] => all.slice(froms[n]![1] + 1, froms[n + 1]?.[1] ?? all.length)
const runtime = stage(froms.length - 1)
const build = stage(0)
const only = (list: Instruction[], op: string): Instruction => {
  const found = list.filter((i) => i.op === op)
  assert.is(found.length, 1, `expected one ${op} in the runtime stage, found ${found.length}`)
  return found[0]!
}
const args = Object.fromEntries(all.filter((i) => i.op === 'ARG').map((i) => i.args.split('=') as [string, string]))
const expand = (s: string): string => s.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? `\${${name}}`)

const test = suite('Dockerfile')

test('two stages: node:20 to build, node:20 slim to run', () => {
  assert.is(froms.length, 2)
  assert.match(expand(froms[0]![0].args), /^node:20(\.\d+)*-bookworm AS build$/)
  assert.match(expand(froms[1]![0].args), /^node:20(\.\d+)*-bookworm-slim AS runtime$/)
})

test('production dependencies only: pnpm deploy --prod in the build stage, only its output in the runtime', () => {
  const runs = build.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n')
  assert.match(runs, /pnpm install --offline --frozen-lockfile/)
  assert.match(runs, /pnpm --filter @gatehouse\/gateway deploy --legacy --prod \/out/)
  const copies = runtime.filter((i) => i.op === 'COPY' || i.op === 'ADD')
  assert.equal(copies.map((c) => c.args), ['--from=build /out/ /opt/gatehouse/'])
})

test('runs as a numeric non-root user, the one deployment.yaml expects', () => {
  const user = only(runtime, 'USER').args
  const m = /^(\d+):(\d+)$/.exec(user)
  assert.ok(m, `USER ${user}: numeric uid:gid, so Kubernetes runAsNonRoot can verify it`)
  assert.ok(Number(m[1]) > 0 && Number(m[2]) > 0)
  // The user exists in the image with that uid (useradd in the runtime stage).
  const setup = runtime.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n')
  assert.match(setup, new RegExp(`useradd --system --uid ${m[1]} `))
  assert.match(setup, new RegExp(`groupadd --system --gid ${m[2]} `))
  // USER comes after every RUN: nothing runs as root after the switch, nothing as the user before it.
  assert.ok(runtime.indexOf(only(runtime, 'USER')) > runtime.map((i) => i.op).lastIndexOf('RUN'))
  const pod = (parse(readDeploy('kubernetes/deployment.yaml')) as { spec: { template: { spec: { securityContext: Record<string, number> } } } })
    .spec.template.spec.securityContext
  assert.equal([pod.runAsUser, pod.runAsGroup], [Number(m[1]), Number(m[2])])
})

test('HEALTHCHECK asks /healthz with node, exec form, bounded in time', () => {
  const hc = only(runtime, 'HEALTHCHECK').args
  assert.match(hc, /--timeout=\d+s/)
  const cmd = JSON.parse(hc.slice(hc.indexOf('CMD') + 3).trim()) as string[]
  assert.is(cmd[0], 'node')
  assert.match(cmd.join(' '), /http:\/\/127\.0\.0\.1:9090\/healthz/)
  assert.not.match(hc, /\b(curl|wget)\b/)
  // The one-liner must at least parse as JavaScript.
  const script = cmd[cmd.indexOf('-e') + 1] ?? ''
  assert.not.throws(() => new Function('require', 'process', script))
})

test('the HEALTHCHECK command exits 0 on a 200 from /healthz and 1 on a 503 or no answer', async () => {
  const hc = only(runtime, 'HEALTHCHECK').args
  const cmd = JSON.parse(hc.slice(hc.indexOf('CMD') + 3).trim()) as string[]
  let status = 200
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/healthz' ? status : 404
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  // Asynchronous: the server answering it lives in this process.
  const check = (): Promise<number | null> => new Promise((resolve) => {
    const [exe, ...rest] = cmd.map((w) => w.replace('127.0.0.1:9090', `127.0.0.1:${port}`))
    const child = execFile(exe === 'node' ? process.execPath : exe ?? '', rest, { timeout: 10_000 })
    child.on('exit', (code) => resolve(code))
  })
  try {
    assert.is(await check(), 0)
    status = 503
    assert.is(await check(), 1)
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  assert.is(await check(), 1, 'nothing listening')
})

test('SIGTERM stops it, and node (not a shell) receives it', () => {
  assert.is(only(runtime, 'STOPSIGNAL').args, 'SIGTERM')
  const entry = JSON.parse(only(runtime, 'ENTRYPOINT').args) as string[]
  assert.equal(entry, ['node', '/opt/gatehouse/dist/cli.js'])
  assert.equal(JSON.parse(only(runtime, 'CMD').args), ['start', '-c', '/etc/gatehouse/gatehouse.yaml'])
  assert.is(only(runtime, 'ENV').args, 'NODE_ENV=production')
})

test('no key, certificate, .gatehouse or secret is copied or baked in', () => {
  for (const ins of all) {
    if (ins.op === 'ADD') assert.unreachable(`line ${ins.line}: ADD (use COPY; ADD fetches URLs and unpacks archives)`)
    if (ins.op === 'COPY') assert.not.match(ins.args, /\.pem|\.key|\.p12|\.pfx|\.crt|\.gatehouse|ca-key|secret/i, `line ${ins.line}`)
    if (ins.op === 'ENV' || ins.op === 'ARG') assert.not.match(ins.args, /PASSPHRASE|PASSWORD|TOKEN|SECRET|KEY/i, `line ${ins.line}`)
  }
})

test('the build context excludes keys, certificates, .gatehouse and local builds', () => {
  const ignore = readDeploy('docker/Dockerfile.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  for (const pattern of ['**/*.pem', '**/*.key', '**/*.p12', '**/*.pfx', '**/.gatehouse', '**/node_modules', '**/dist', '.git']) {
    assert.ok(ignore.includes(pattern), `Dockerfile.dockerignore lacks ${pattern}`)
  }
  // A later `!pattern` would re-include what an earlier line excluded.
  assert.equal(ignore.filter((l) => l.startsWith('!')), [])
  // The build stage copies the whole context, so this file is what keeps keys out.
  assert.ok(build.some((i) => i.op === 'COPY' && i.args === '. .'))
})

test.run()
