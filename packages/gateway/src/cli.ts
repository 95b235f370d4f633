#!/usr/bin/env node
// The `gatehouse` command. It only parses words and dispatches: each command
// lives in the package that owns it (certs -> @gatehouse/certs, check and
// import -> @gatehouse/config, start and demo -> this package). Exit codes: 0
// ok, 1 invalid input or failed check, 2 usage error.
import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { holdSignals } from './early-signals.js'

const USAGE = `gatehouse — TLS-terminating API gateway

Usage:
  gatehouse start  [-c gatehouse.yaml] [--workers N]   run the gateway (JSON logs on stdout)
  gatehouse check  [-c gatehouse.yaml] [--json]        validate; errors as file:line:col: message
  gatehouse demo   [--port 8443] [--dir .gatehouse]    zero-config HTTPS gateway in front of an embedded httpbin
  gatehouse certs  ca|intermediate|issue|sign|inspect|trust|untrust ...   (gatehouse certs --help)
  gatehouse import tyk FILE|DIR... [--strict]          Tyk API definitions -> Gatehouse YAML on stdout
  gatehouse version

Environment: GATEHOUSE_CONFIG (default config path), GATEHOUSE_WORKERS, GATEHOUSE_SCHEDULING=round_robin|os,
GATEHOUSE_BUFFER_GC_MB (MiB of Buffer growth before a worker scavenges; default 4, 0 = off),
GATEHOUSE_FAST_PATH=off (every connection through node:http instead of the byte-level fast path),
GATEHOUSE_CA_PASSPHRASE (certs).
`

function usage (message: string): number {
  process.stderr.write(`gatehouse: ${message}\n\n${USAGE}`)
  return 2
}

function version (): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

// The primary serves no traffic: it compiles the config, forwards IPC and
// answers the admin port. V8's optimizing compilers bring it nothing but
// memory (their code pages of the node binary, optimized code, feedback):
// turning them off in this process only keeps the primary about 5 MiB
// smaller (README "Memory"). Workers are separate processes started with
// process.execArgv, which a runtime flag does not touch, so the data path
// keeps every tier. An operator's own JIT flag wins.
const OPERATOR_JIT_FLAG = /--(?:no[-_])?(?:turbofan|opt|maglev|lite[-_]mode|jitless)\b/

function primaryWithoutOptimizers (): void {
  if (OPERATOR_JIT_FLAG.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)) return
  setFlagsFromString('--no-turbofan')
  setFlagsFromString('--no-maglev')
}

async function start (argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, workers: { type: 'string' } },
    strict: true
  })
  let workers: number | undefined
  if (values.workers !== undefined) {
    workers = Number(values.workers)
    if (!Number.isInteger(workers) || workers < 1) return usage(`--workers takes a whole number >= 1, not '${values.workers}'`)
  }
  primaryWithoutOptimizers()
  const { runPrimary } = await import('./primary.js')
  return await runPrimary({
    configPath: values.config ?? process.env.GATEHOUSE_CONFIG ?? 'gatehouse.yaml',
    ...(workers !== undefined ? { workers } : {})
  })
}

/** Runs the CLI with the words after `gatehouse`; resolves with the exit code. */
export async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'start':
      return await start(rest)
    case 'demo': {
      const { runDemo } = await import('./demo.js')
      return await runDemo(rest)
    }
    case 'check': {
      const { checkCli } = await import('@gatehouse/config')
      return await checkCli(rest)
    }
    case 'import': {
      const [kind, ...files] = rest
      if (kind !== 'tyk') return usage(`import takes 'tyk' (the only supported source), not '${kind ?? ''}'`)
      const { importTykCli } = await import('@gatehouse/config')
      return await importTykCli(files)
    }
    case 'certs': {
      const { certsCli } = await import('@gatehouse/certs')
      return await certsCli(rest)
    }
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`gatehouse ${version()} (node ${process.version})\n`)
      return 0
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    default:
      return usage(`unknown command '${command}'`)
  }
}

// Before anything slow is imported: see early-signals.ts.
if (process.argv[2] === 'start' || process.argv[2] === 'demo') holdSignals()

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code
  // The primary closed its pools, watchers and admin server; exit promptly even
  // if a third-party timer lingers.
  if (process.argv[2] === 'start' || process.argv[2] === 'demo') setImmediate(() => process.exit(code))
}, (err: unknown) => {
  const e = err as { code?: string, message?: string }
  if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS_')) {
    process.exitCode = usage(e.message ?? 'bad arguments')
    return
  }
  process.stderr.write(`gatehouse: ${e.message ?? String(err)}\n`)
  process.exitCode = 1
})
