// `gatehouse certs …`: the command line over the library. `certsCli(argv)`
// takes the words after `certs`, writes to stdout/stderr and returns the exit
// code (DESIGN.md: 0 ok, 1 invalid input or failed check, 2 usage). It never
// throws: every error becomes a message that names the file and the fix.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createIntermediate, createRootCa, unlockCa, checkDays } from './ca.js'
import { GatehouseError } from './errors.js'
import { readCaDir, writeCaDir, writeLeafFiles, writeSignedFiles, readText, leafPaths } from './files.js'
import { formatReport, inspectFile, type FileReport } from './inspect.js'
import { parseKeyType, type KeyType } from './keys.js'
import { createLeaf, describeSans, signCsr } from './leaf.js'
import { DEFAULT_P12_PASSWORD } from './pkcs12.js'
import { parseSans } from './san.js'
import { runTrustPlan, shellLine, trustPlan } from './trust.js'

const USAGE = `usage: gatehouse certs <command> [flags]

  ca            --out DIR [--cn NAME] [--key-type T] [--days N] [--path-len N]
                [--passphrase-file F] [--name-constraint DOMAIN|CIDR ...] [--force]
                create a root CA: DIR/ca.pem and DIR/ca-key.pem (0600)
  intermediate  --ca DIR --out DIR [--cn NAME] [--key-type T] [--days N] [--path-len N]
                [--passphrase-file F] [--name-constraint ...] [--force]
                create an intermediate CA signed by --ca (DIR/ca.pem, ca-key.pem, chain.pem)
  issue         --ca DIR --san NAME [--san NAME ...] --out PREFIX [--client] [--days N]
                [--key-type T] [--p12] [--passphrase-file F] [--force]
                issue a leaf: PREFIX.pem, PREFIX-key.pem, PREFIX-fullchain.pem (+ PREFIX.p12)
  sign          --ca DIR --csr FILE --out FILE [--san NAME ...] [--client] [--days N]
                [--passphrase-file F] [--force]
                sign a CSR (its SANs, or the --san list): FILE and FILE-fullchain.pem
  inspect       FILE... [--json] [--ca CAFILE]
                subject, issuer, SANs, validity, key, fingerprint, chain check
  trust         CA.pem [--dry-run]    install into the OS and NSS trust stores
  untrust       CA.pem [--dry-run]    remove from them

  --key-type    ec256 (default) | ec384 | rsa2048 | rsa3072 | rsa4096
  --days        validity: root 3650, intermediate 1825, leaf 397 (warning above 825)
  passphrase    --passphrase-file F, or the GATEHOUSE_CA_PASSPHRASE environment variable;
                \`ca\` encrypts the new key with it, the others unlock --ca with it
                (and \`intermediate\` encrypts its own key with the same one)
  --p12         password '${DEFAULT_P12_PASSWORD}' (PBES2/AES-256-CBC, SHA-256 MAC)

exit codes: 0 ok, 1 invalid input or failed check, 2 usage error
`

interface FlagSpec { readonly value: boolean, readonly repeat?: boolean }

const COMMON_CA: Record<string, FlagSpec> = {
  out: { value: true }, cn: { value: true }, 'key-type': { value: true }, days: { value: true },
  'path-len': { value: true }, 'passphrase-file': { value: true }, 'name-constraint': { value: true, repeat: true }, force: { value: false }
}

const COMMANDS: Record<string, Record<string, FlagSpec>> = {
  ca: COMMON_CA,
  intermediate: { ...COMMON_CA, ca: { value: true } },
  issue: {
    ca: { value: true }, san: { value: true, repeat: true }, out: { value: true }, client: { value: false }, days: { value: true },
    'key-type': { value: true }, p12: { value: false }, 'passphrase-file': { value: true }, force: { value: false }
  },
  sign: {
    ca: { value: true }, csr: { value: true }, out: { value: true }, san: { value: true, repeat: true }, client: { value: false },
    days: { value: true }, 'passphrase-file': { value: true }, force: { value: false }
  },
  inspect: { json: { value: false }, ca: { value: true } },
  trust: { 'dry-run': { value: false } },
  untrust: { 'dry-run': { value: false } }
}

interface Parsed {
  readonly values: Map<string, string[]>
  readonly positionals: string[]
}

function usage (message: string): never {
  throw new GatehouseError('GH_CERTS_USAGE', message)
}

function parseFlags (command: string, argv: readonly string[]): Parsed {
  const specs = COMMANDS[command] ?? {}
  const values = new Map<string, string[]>()
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? ''
    if (!word.startsWith('--') || word === '--') {
      positionals.push(word)
      continue
    }
    const eq = word.indexOf('=')
    const name = word.slice(2, eq === -1 ? undefined : eq)
    const spec = specs[name]
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(', ')
      usage(`unknown flag --${name} for \`certs ${command}\` (flags: ${known})`)
    }
    let value = 'true'
    if (spec.value) {
      if (eq !== -1) {
        value = word.slice(eq + 1)
      } else {
        const next = argv[i + 1]
        if (next === undefined || next.startsWith('--')) usage(`--${name} needs a value`)
        value = next
        i++
      }
    } else if (eq !== -1) {
      usage(`--${name} takes no value`)
    }
    const list = values.get(name) ?? []
    if (list.length > 0 && spec.repeat !== true) usage(`--${name} given twice`)
    list.push(value)
    values.set(name, list)
  }
  return { values, positionals }
}

function one (p: Parsed, name: string): string | undefined {
  return p.values.get(name)?.[0]
}

function required (p: Parsed, name: string, command: string, what: string): string {
  const v = one(p, name)
  if (v === undefined || v === '') usage(`\`certs ${command}\` needs --${name} ${what}`)
  return v
}

function intFlag (p: Parsed, name: string): number | undefined {
  const v = one(p, name)
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) {
    if (name === 'days') throw new GatehouseError('GH_CERTS_INVALID_DAYS', v)
    usage(`--${name} must be a whole number, got '${v}'`)
  }
  return name === 'days' ? checkDays(Number(v)) : Number(v)
}

function keyTypeFlag (p: Parsed): KeyType | undefined {
  const v = one(p, 'key-type')
  return v === undefined ? undefined : parseKeyType(v)
}

/** The passphrase from --passphrase-file (first line) or GATEHOUSE_CA_PASSPHRASE. */
function passphrase (p: Parsed): string | undefined {
  const file = one(p, 'passphrase-file')
  if (file !== undefined) {
    let text: string
    try {
      text = readFileSync(resolve(file), 'utf8')
    } catch {
      throw new GatehouseError('GH_CERTS_PASSPHRASE_FILE', resolve(file), 'cannot be read')
    }
    const line = text.split(/\r?\n/)[0] ?? ''
    if (line === '') throw new GatehouseError('GH_CERTS_PASSPHRASE_FILE', resolve(file), 'is empty')
    return line
  }
  const env = process.env.GATEHOUSE_CA_PASSPHRASE
  return env !== undefined && env !== '' ? env : undefined
}

function out (text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

function warn (text: string): void {
  process.stderr.write(`warning: ${text}\n`)
}

function day (d: Date): string {
  return d.toISOString().slice(0, 10)
}

async function cmdCa (p: Parsed, command: 'ca' | 'intermediate'): Promise<number> {
  const dir = resolve(required(p, 'out', command, 'DIR'))
  const parentDir = command === 'intermediate' ? required(p, 'ca', command, 'DIR') : null
  const pass = passphrase(p)
  const opts = {
    cn: one(p, 'cn'),
    keyType: keyTypeFlag(p),
    days: intFlag(p, 'days'),
    pathLen: intFlag(p, 'path-len'),
    nameConstraints: p.values.get('name-constraint') ?? [],
    passphrase: pass
  }
  const force = p.values.has('force')
  if (!force) {
    for (const f of ['ca.pem', 'ca-key.pem']) if (existsSync(join(dir, f))) throw new GatehouseError('GH_CERTS_FILE_EXISTS', join(dir, f))
  }
  const ca = parentDir === null
    ? await createRootCa(opts)
    : await createIntermediate(await unlockCa(readCaDir(parentDir, pass)), opts)
  const files = writeCaDir(dir, ca, { force })
  const constraints = opts.nameConstraints.length > 0 ? `, name constraints: ${opts.nameConstraints.join(' ')}` : ''
  out(`created ${command === 'ca' ? 'root' : 'intermediate'} CA (${ca.keyType}, valid until ${day(ca.notAfter)}${constraints})`)
  out(`  ${files.cert}`)
  out(`  ${files.key}  (mode 0600${pass !== undefined ? ', encrypted' : ''})`)
  if (files.chain !== null) out(`  ${files.chain}  (the certificates above it)`)
  if (pass === undefined) warn(`${files.key} is not encrypted; pass --passphrase-file F or set GATEHOUSE_CA_PASSPHRASE to encrypt it`)
  out(`next: gatehouse certs issue --ca ${dir} --san NAME --out PREFIX${command === 'ca' ? `\n      gatehouse certs trust ${files.cert}` : ''}`)
  return 0
}

async function cmdIssue (p: Parsed): Promise<number> {
  const caDir = required(p, 'ca', 'issue', 'DIR')
  const sans = p.values.get('san') ?? []
  if (sans.length === 0) usage('`certs issue` needs at least one --san NAME')
  // Bad SANs are reported before the CA is unlocked: no passphrase needed to learn a typo.
  parseSans(sans)
  const prefix = required(p, 'out', 'issue', 'PREFIX')
  const force = p.values.has('force')
  const wantP12 = p.values.has('p12')
  const paths = leafPaths(prefix)
  if (!force) {
    for (const f of [paths.cert, paths.key, paths.fullchain, ...(wantP12 ? [paths.p12] : [])]) {
      if (existsSync(f)) throw new GatehouseError('GH_CERTS_FILE_EXISTS', f)
    }
  }
  const opts = { keyType: keyTypeFlag(p), days: intFlag(p, 'days'), client: p.values.has('client') }
  const ca = await unlockCa(readCaDir(caDir, passphrase(p)))
  const leaf = await createLeaf(ca, sans, opts)
  const files = writeLeafFiles(prefix, leaf, { force, p12: wantP12 })
  for (const w of leaf.warnings) warn(w)
  out(`issued ${describeSans(leaf.sans)} (${opts.keyType ?? 'ec256'}, valid until ${day(leaf.notAfter)})`)
  for (const f of files) out(`  ${f}${f.endsWith('-key.pem') || f.endsWith('.p12') ? '  (mode 0600)' : ''}`)
  if (wantP12) out(`PKCS#12 password: ${DEFAULT_P12_PASSWORD}`)
  return 0
}

async function cmdSign (p: Parsed): Promise<number> {
  const caDir = required(p, 'ca', 'sign', 'DIR')
  const csrFile = resolve(required(p, 'csr', 'sign', 'FILE'))
  const outFile = required(p, 'out', 'sign', 'FILE')
  const force = p.values.has('force')
  const csrPem = readText(csrFile)
  const ca = await unlockCa(readCaDir(caDir, passphrase(p)))
  const signed = await signCsr(ca, csrPem, { sans: p.values.get('san'), days: intFlag(p, 'days'), client: p.values.has('client'), csrFile })
  const files = writeSignedFiles(outFile, signed, { force })
  for (const w of signed.warnings) warn(w)
  out(`signed ${describeSans(signed.sans)} (valid until ${day(signed.notAfter)})`)
  for (const f of files) out(`  ${f}`)
  return 0
}

async function cmdInspect (p: Parsed): Promise<number> {
  if (p.positionals.length === 0) usage('`certs inspect` needs at least one FILE')
  const caFile = one(p, 'ca')
  const json = p.values.has('json')
  // One unreadable file does not hide the report of the others; it still fails the run.
  const results: Array<FileReport | { file: string, error: { code: string, message: string, hint: string } }> = []
  let failed = false
  for (const f of p.positionals) {
    try {
      const r = await inspectFile(resolve(f), { caFile: caFile === undefined ? undefined : resolve(caFile) })
      if ((r.chain !== null && !r.chain.ok) || (r.csr !== null && !r.csr.signatureValid)) failed = true
      results.push(r)
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err
      failed = true
      results.push({ file: resolve(f), error: { code: err.code, message: err.message, hint: err.hint } })
      if (!json) process.stderr.write(`error: ${err.message}\n  ${err.hint}\n`)
    }
  }
  if (json) out(JSON.stringify(results, null, 2))
  else {
    const text = results.flatMap((r) => ('error' in r ? [] : [formatReport(r)])).join('\n\n')
    if (text !== '') out(text)
  }
  return failed ? 1 : 0
}

function cmdTrust (p: Parsed, action: 'trust' | 'untrust'): number {
  if (p.positionals.length !== 1) usage(`\`certs ${action}\` needs exactly one CA.pem`)
  let file = resolve(p.positionals[0] ?? '')
  try { if (statSync(file).isDirectory()) file = join(file, 'ca.pem') } catch {}
  const plan = trustPlan(file, action)
  if (p.values.has('dry-run')) {
    for (const s of plan.steps) out(shellLine(s.argv))
    for (const n of plan.notes) out(`# ${n}`)
    return 0
  }
  runTrustPlan(plan)
  for (const n of plan.notes) warn(n)
  out(`${action === 'trust' ? 'trusted' : 'removed'} ${file} as ${plan.name} (${[...new Set(plan.steps.map((s) => s.store))].join(' and ')} store${plan.steps.length > 1 ? 's' : ''})`)
  return 0
}

/** Runs `gatehouse certs ARGV…`; returns the exit code (0 ok, 1 invalid input, 2 usage). */
export async function certsCli (argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined) {
    process.stderr.write(USAGE)
    return 2
  }
  if (command === '--help' || command === '-h' || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    out(USAGE)
    return 0
  }
  try {
    if (!(command in COMMANDS)) usage(`unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(', ')})`)
    const parsed = parseFlags(command, rest)
    if (!['inspect', 'trust', 'untrust'].includes(command) && parsed.positionals.length > 0) {
      usage(`unexpected argument '${parsed.positionals[0] ?? ''}' for \`certs ${command}\``)
    }
    switch (command) {
      case 'ca': return await cmdCa(parsed, 'ca')
      case 'intermediate': return await cmdCa(parsed, 'intermediate')
      case 'issue': return await cmdIssue(parsed)
      case 'sign': return await cmdSign(parsed)
      case 'inspect': return await cmdInspect(parsed)
      case 'trust': return cmdTrust(parsed, 'trust')
      default: return cmdTrust(parsed, 'untrust')
    }
  } catch (err) {
    if (err instanceof GatehouseError) {
      process.stderr.write(`error: ${err.message}\n  ${err.hint}\n`)
      return err.code === 'GH_CERTS_USAGE' ? 2 : 1
    }
    process.stderr.write(`error: ${(err as Error).message ?? String(err)}\n`)
    return 1
  }
}
