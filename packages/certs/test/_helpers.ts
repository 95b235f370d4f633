// Shared by the certs tests: temp directories, and the real openssl and curl
// binaries run as child processes (never a shell).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The built CLI entry (`gatehouse certs` as its own process). */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

/** A fresh temp directory and a function that removes it. */
export function tempDir (label: string): { dir: string, cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `gatehouse-certs-${label}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Result of a child process. */
export interface Run { code: number, stdout: string, stderr: string }

/** Runs a program with arguments (no shell), 60 s at most. */
export function run (cmd: string, args: readonly string[], opts: { input?: string, env?: NodeJS.ProcessEnv, cwd?: string } = {}): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, input: opts.input, env: opts.env ?? process.env, cwd: opts.cwd })
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

/** Runs `openssl ARGS…`. */
export function openssl (...args: string[]): Run {
  return run('openssl', args)
}

/** Runs the certs CLI as a child process: `node dist/bin.js ARGS…`. */
export function cli (args: readonly string[], opts: { env?: NodeJS.ProcessEnv, cwd?: string } = {}): Run {
  return run(process.execPath, [BIN, ...args], opts)
}

/** Writes a file and returns its path. */
export function put (dir: string, name: string, data: string): string {
  const p = join(dir, name)
  writeFileSync(p, data)
  return p
}

/** Awaits `work`, which must throw a CertsError with this code (and this exact message, when given). */
export async function rejectsWith (work: Promise<unknown> | (() => unknown), code: string, message?: string): Promise<void> {
  let caught: unknown = null
  try {
    await (typeof work === 'function' ? work() : work)
  } catch (err) {
    caught = err
  }
  if (caught === null) throw new Error(`expected ${code}, nothing was thrown`)
  const e = caught as { code?: string, message?: string, name?: string }
  if (e.name !== 'GatehouseError' || e.code !== code) throw new Error(`expected ${code}, got ${e.code ?? e.name ?? ''}: ${e.message ?? String(caught)}`)
  if (message !== undefined && e.message !== message) throw new Error(`expected message ${JSON.stringify(message)}, got ${JSON.stringify(e.message)}`)
}

/** Like `run`, without blocking the event loop (needed when this process also serves the request). */
export async function runAsync (cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const { execFile } = await import('node:child_process')
  return await new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 30_000, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

/** The environment for curl and openssl: no proxies and no CA overrides, so the system store decides. */
export function plainEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const k of Object.keys(env)) {
    if (/^(https?|all|no)_proxy$/i.test(k) || k === 'CURL_CA_BUNDLE' || k === 'SSL_CERT_FILE' || k === 'SSL_CERT_DIR') delete env[k]
  }
  return env
}

/**
 * Runs `certsCli` in this process with stdout/stderr captured and the given
 * environment overrides (undefined = unset): the same code path as the bin
 * without a process start, for the many error-path checks.
 */
export async function cliInProcess (args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const { certsCli } = await import('@gatehouse/certs')
  let stdout = ''
  let stderr = ''
  const saved = { out: process.stdout.write, err: process.stderr.write }
  const savedEnv = new Map(Object.keys(env).map((k) => [k, process.env[k]]))
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  process.stdout.write = ((chunk: string | Uint8Array) => { stdout += String(chunk); return true }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => { stderr += String(chunk); return true }) as typeof process.stderr.write
  try {
    const code = await certsCli(args)
    return { code, stdout, stderr }
  } finally {
    process.stdout.write = saved.out
    process.stderr.write = saved.err
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}
