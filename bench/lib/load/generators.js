// The load generators behind one shape of result. Closed-loop throughput runs
// (keepalive, stream, reload) use wrk when installed and autocannon otherwise;
// everything wrk cannot do — fixed-rate latency with µs resolution, a new TLS
// connection per request with full (or deliberately resumed) handshakes,
// 10,000 held connections, per-connection SNI — goes to the built-in client
// (client.js). Each generator runs as its own process on the load core.
//
// A closed-loop result: { tool, requests, durationS, rps, errors, non2xx, bytes,
//                         latency: { p50, p90, p99, p999, max } (µs) }
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pinned, shellLine, which } from '../sys.js'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const WRK_LUA = here('./wrk-report.lua')
const CLIENT = here('./client.js')
const AUTOCANNON = here('../../node_modules/autocannon/autocannon.js')

/** 'wrk' or 'autocannon' (forced with BENCH_GENERATOR=autocannon). */
export function closedLoopTool () {
  if (process.env.BENCH_GENERATOR === 'autocannon') return 'autocannon'
  return which('wrk') !== null ? 'wrk' : 'autocannon'
}

/** Runs a command to completion; resolves { code, stdout, stderr }. */
function exec (cmd, args, { timeoutMs, input } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-8000) })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs ?? 120000)
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    if (input !== undefined) child.stdin.end(input)
    else child.stdin.end()
  })
}

/**
 * A closed-loop run: `conns` keep-alive connections for `seconds`.
 * target = { url, hostHeader }. upload = body bytes to POST (else GET).
 */
export async function closedLoop ({ target, path = '/', conns, seconds, upload = 0, cpu, tmpDir, log }) {
  const tool = closedLoopTool()
  const url = target.url + path
  const host = target.hostHeader ? ['-H', `Host: ${target.hostHeader}`] : []
  if (tool === 'wrk') {
    const wrkArgs = ['-t1', `-c${conns}`, `-d${seconds}s`, '--timeout', '10s', ...host, '-s', WRK_LUA, url, ...(upload ? ['--', 'upload', String(upload)] : [])]
    const [cmd, args] = pinned(cpu, 'wrk', wrkArgs)
    log?.(shellLine(cmd, args))
    const r = await exec(cmd, args, { timeoutMs: (seconds + 30) * 1000 })
    const line = r.stdout.split('\n').find((l) => l.startsWith('WRKJSON '))
    if (!line) throw new Error(`wrk failed (exit ${r.code}): ${r.stdout.slice(-1500)} ${r.stderr.slice(-1500)}`)
    const j = JSON.parse(line.slice(8))
    const durationS = j.duration_us / 1e6
    return {
      tool,
      command: shellLine(cmd, args),
      requests: j.requests,
      durationS,
      rps: j.requests / durationS,
      errors: j.connect + j.read + j.write + j.timeout,
      non2xx: j.status,
      bytes: j.bytes,
      latency: { p50: j.p50, p90: j.p90, p99: j.p99, p999: j.p999, max: j.max }
    }
  }
  const acArgs = [AUTOCANNON, '--json', '-c', String(conns), '-d', String(seconds), '-t', '10', ...host]
  if (upload) {
    const file = join(tmpDir, `upload-${upload}.bin`)
    writeFileSync(file, Buffer.alloc(upload, 120))
    acArgs.push('-m', 'POST', '-i', file, '-H', 'Content-Type: application/octet-stream')
  }
  acArgs.push(url)
  const [cmd, args] = pinned(cpu, process.execPath, acArgs)
  log?.(shellLine(cmd, args))
  const r = await exec(cmd, args, { timeoutMs: (seconds + 60) * 1000 })
  let j
  try { j = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) } catch {
    throw new Error(`autocannon failed (exit ${r.code}): ${r.stdout.slice(-1500)} ${r.stderr.slice(-1500)}`)
  }
  const ms = (v) => v * 1000 // autocannon reports ms (whole ms: its histogram stores integers)
  return {
    tool,
    command: shellLine(cmd, args),
    requests: j.requests.total,
    durationS: j.duration,
    rps: j.requests.total / j.duration,
    errors: j.errors + j.timeouts,
    non2xx: j.non2xx,
    bytes: j.throughput.total,
    latency: { p50: ms(j.latency.p50), p90: ms(j.latency.p90), p99: ms(j.latency.p99), p999: ms(j.latency.p99_9 ?? NaN), max: ms(j.latency.max) }
  }
}

/** Runs the built-in client in `mode` to completion; resolves its RESULT object (+ command). */
export async function builtin (opts, { cpu, timeoutMs = 120000, log } = {}) {
  const [cmd, args] = pinned(cpu, process.execPath, [CLIENT, JSON.stringify(opts)])
  log?.(`${shellLine(cmd, [CLIENT.replace(/.*\/bench\//, 'bench/')])} '{"mode":"${opts.mode}",…}'`)
  const r = await exec(cmd, args, { timeoutMs })
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) throw new Error(`built-in client (${opts.mode}) failed (exit ${r.code}): ${r.stdout.slice(-1500)} ${r.stderr.slice(-1500)}`)
  return JSON.parse(line.slice(7))
}

/**
 * Opens `count` idle connections with the built-in client. Resolves
 * { opened: {…OPEN}, close(): Promise<RESULT> } once they are open (or the open timeout passed).
 */
export function holdIdle (opts, { cpu }) {
  const [cmd, args] = pinned(cpu, process.execPath, [CLIENT, JSON.stringify({ ...opts, mode: 'idle' })])
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000) })
  return new Promise((resolve, reject) => {
    let opened = null
    child.stdout.on('data', (d) => {
      stdout += d
      if (opened === null) {
        const line = stdout.split('\n').find((l) => l.startsWith('OPEN '))
        if (line) {
          opened = JSON.parse(line.slice(5))
          resolve({
            opened,
            close: () => new Promise((resolveClose) => {
              child.on('close', () => {
                const done = stdout.split('\n').find((l) => l.startsWith('RESULT '))
                resolveClose(done ? JSON.parse(done.slice(7)) : null)
              })
              child.stdin.end('close\n')
            })
          })
        }
      }
    })
    child.on('close', (code) => { if (opened === null) reject(new Error(`idle client exited (${code}): ${stderr}`)) })
  })
}
