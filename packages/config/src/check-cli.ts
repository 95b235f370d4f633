// `gatehouse check [-c FILE] [--json]`: load, validate and compile a config
// the way `start` and a SIGHUP reload would, print every error and warning as
// `file:line:col: message (hint)` and one summary line, exit 0 (valid),
// 1 (invalid) or 2 (usage). `--json` prints one JSON object for CI pipelines.
// The gateway's cli.ts dispatches `check` here.

import { resolve } from 'node:path'
import type { Diagnostic } from './errors.js'
import { formatDiagnostic } from './errors.js'
import type { Env } from './load.js'
import { loadAndCompile } from './load.js'

/** Where a CLI command writes and what it reads; tests pass their own. */
export interface CliIo {
  stdout: { write: (s: string) => unknown }
  stderr: { write: (s: string) => unknown }
  env: Env
  cwd: string
}

export const defaultIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() })

const USAGE = 'usage: gatehouse check [-c FILE] [--json]\n  -c, --config FILE  config file (default: $GATEHOUSE_CONFIG or ./gatehouse.yaml)\n  --json             print one JSON object instead of text\n'

function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** Run `gatehouse check`; `argv` is what follows `check`. Resolves to the exit code. */
export async function checkCli (argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let file: string | null = null
  let json = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '-c' || a === '--config') {
      const v = argv[++i]
      if (v === undefined || v === '') { io.stderr.write(`gatehouse check: ${a} needs a file name\n${USAGE}`); return 2 }
      file = v
    } else if (a.startsWith('--config=')) file = a.slice('--config='.length)
    else if (a === '--json') json = true
    else if (a === '-h' || a === '--help') { io.stdout.write(USAGE); return 0 }
    else { io.stderr.write(`gatehouse check: unknown argument '${a}'\n${USAGE}`); return 2 }
  }
  const path = resolve(io.cwd, file ?? io.env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml')

  let errors: Diagnostic[]
  let warnings: Diagnostic[]
  let summary: { apis: number, certificates: number, hosts: number, version: string } | null = null
  try {
    const r = loadAndCompile(path, io.env)
    warnings = r.warnings
    if (r.ok) {
      errors = []
      const t = r.table
      summary = { apis: t.apis.length, certificates: t.tls.certificates.length, hosts: Object.keys(t.hosts).length + Object.keys(t.wildcards).length, version: t.version }
    } else errors = r.errors
  } catch (err) {
    // A bug, not a bad file: still answer in the promised format instead of crashing.
    errors = [{ severity: 'error', code: 'GH_CONFIG_READ', file: path, line: 1, col: 1, path: '', message: `internal error while checking: ${(err as Error).message}`, hint: 'please report this with the config file' }]
    warnings = []
  }

  if (json) {
    io.stdout.write(JSON.stringify({ ok: errors.length === 0, file: path, errors, warnings, summary }) + '\n')
  } else {
    for (const d of [...errors, ...warnings].sort((a, b) => a.line - b.line || a.col - b.col)) io.stdout.write(formatDiagnostic(d) + '\n')
    if (summary !== null) {
      const w = warnings.length > 0 ? ` (${plural(warnings.length, 'warning')})` : ''
      io.stdout.write(`ok: ${plural(summary.apis, 'API')}, ${plural(summary.certificates, 'certificate')}, ${plural(summary.hosts, 'host')}${w}\n`)
    } else {
      io.stdout.write(`${plural(errors.length, 'error')}${warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''}\n`)
    }
  }
  return errors.length === 0 ? 0 : 1
}
