// Paths into deploy/ and the external tools the deployment tests drive (systemd-analyze,
// promtool, openssl). A missing tool is a test failure with the install command in the
// message, never a silent skip: CI installs them in .ci/run.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Absolute path of a file under deploy/. */
export function deployPath (relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url))
}

/** Absolute path of a file under the repository root. */
export function repoPath (relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url))
}

/** Text of a file under deploy/. */
export function readDeploy (relative: string): string {
  return readFileSync(deployPath(relative), 'utf8')
}

const DEBIAN_PACKAGE: Record<string, string> = {
  'systemd-analyze': 'systemd',
  promtool: 'prometheus',
  openssl: 'openssl'
}

/** Throws, naming the Debian package to install, when `tool` is not on PATH. */
export function requireTool (tool: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' })
  if (found.status !== 0) {
    const pkg = DEBIAN_PACKAGE[tool] ?? tool
    throw new Error(`${tool} is not installed: this test needs it. Install it with ` +
      `\`apt-get install -y --no-install-recommends ${pkg}\` (.ci/run does this in CI).`)
  }
}

export interface RunResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs a command to completion (bounded by `timeoutMs`) and returns its exit status and output. */
export function run (cmd: string, args: readonly string[], options: { cwd?: string, timeoutMs?: number, env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env })
  })
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
