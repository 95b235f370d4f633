// `certs trust` / `certs untrust`: install a CA into (or remove it from) the
// stores clients read: the system store (Debian/Ubuntu update-ca-certificates,
// RHEL/Fedora update-ca-trust, macOS security) and, when certutil is present,
// the NSS databases Chrome and Firefox use on Linux (mkcert#6/#12 show this is
// where hand setups break). The plan is plain data: `--dry-run` prints exactly
// the argv lists that a real run executes, nothing else is done.
import { execFileSync } from 'node:child_process'
import { X509Certificate as NodeCert } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { homedir, platform } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { GatehouseError } from './errors.js'
import { readText } from './files.js'
import { certificateBlocks } from './pem.js'

/** One command of a trust plan. */
export interface TrustStep {
  readonly argv: readonly string[]
  /** Which store this step updates. */
  readonly store: 'system' | 'nss'
  /** Removing from an NSS database that never had the CA fails harmlessly. */
  readonly mayFail: boolean
}

/** What `trust`/`untrust` will do for one CA. */
export interface TrustPlan {
  readonly action: 'trust' | 'untrust'
  readonly caFile: string
  /** File name / nickname the CA gets in the stores: unique per CA (fingerprint). */
  readonly name: string
  readonly steps: readonly TrustStep[]
  /** Stores skipped and why (no certutil, no NSS database). */
  readonly notes: readonly string[]
}

/** Where to look; tests and other platforms override these. */
export interface TrustEnv {
  readonly platform?: NodeJS.Platform
  readonly home?: string
  readonly root?: boolean
  /** Returns true when a command is on PATH. */
  readonly has?: (cmd: string) => boolean
}

function onPath (cmd: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter)
  return dirs.some((d) => d !== '' && existsSync(join(d, cmd)))
}

function nssDatabases (home: string): string[] {
  const dbs: string[] = []
  const chrome = join(home, '.pki', 'nssdb')
  if (existsSync(join(chrome, 'cert9.db'))) dbs.push(chrome)
  for (const base of [join(home, '.mozilla', 'firefox'), join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox')]) {
    let entries: string[] = []
    try { entries = readdirSync(base) } catch {}
    for (const e of entries) if (existsSync(join(base, e, 'cert9.db'))) dbs.push(join(base, e))
  }
  return dbs
}

/** Builds the trust or untrust plan for a CA file without running anything. */
export function trustPlan (caFile: string, action: 'trust' | 'untrust', env: TrustEnv = {}): TrustPlan {
  const file = resolve(caFile)
  const pem = certificateBlocks(readText(file))[0]
  if (pem === undefined) throw new GatehouseError('GH_CERTS_BAD_CERT', file)
  const cert = new NodeCert(pem)
  const fp = cert.fingerprint256.replace(/:/g, '').toLowerCase()
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? 'ca'
  const slug = cn.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'ca'
  const name = `gatehouse-${slug}-${fp.slice(0, 12)}`
  const os = env.platform ?? platform()
  const has = env.has ?? onPath
  const root = env.root ?? (process.getuid?.() === 0)
  const sudo = (argv: string[]): string[] => (root || os === 'darwin' ? argv : ['sudo', ...argv])
  const steps: TrustStep[] = []
  const notes: string[] = []
  if (os === 'darwin') {
    steps.push(action === 'trust'
      ? { argv: ['sudo', 'security', 'add-trusted-cert', '-d', '-r', 'trustRoot', '-k', '/Library/Keychains/System.keychain', file], store: 'system', mayFail: false }
      : { argv: ['sudo', 'security', 'remove-trusted-cert', '-d', file], store: 'system', mayFail: false })
    if (action === 'untrust') {
      const sha1 = cert.fingerprint.replace(/:/g, '')
      steps.push({ argv: ['sudo', 'security', 'delete-certificate', '-Z', sha1, '/Library/Keychains/System.keychain'], store: 'system', mayFail: true })
    }
  } else if (os === 'linux' && has('update-ca-certificates')) {
    const dest = `/usr/local/share/ca-certificates/${name}.crt`
    steps.push(action === 'trust'
      ? { argv: sudo(['install', '-m', '0644', file, dest]), store: 'system', mayFail: false }
      : { argv: sudo(['rm', '-f', dest]), store: 'system', mayFail: false })
    // On removal, plain update-ca-certificates rebuilds the bundle but leaves the
    // /etc/ssl/certs hash links dangling (it only sweeps orphans when it adds
    // something); --fresh rebuilds the links too.
    steps.push({ argv: sudo(action === 'trust' ? ['update-ca-certificates'] : ['update-ca-certificates', '--fresh']), store: 'system', mayFail: false })
  } else if (os === 'linux' && has('update-ca-trust')) {
    const dest = `/etc/pki/ca-trust/source/anchors/${name}.pem`
    steps.push(action === 'trust'
      ? { argv: sudo(['install', '-m', '0644', file, dest]), store: 'system', mayFail: false }
      : { argv: sudo(['rm', '-f', dest]), store: 'system', mayFail: false })
    steps.push({ argv: sudo(['update-ca-trust', 'extract']), store: 'system', mayFail: false })
  } else {
    notes.push(`no system trust store tool found for ${os} (looked for update-ca-certificates, update-ca-trust, security)`)
  }
  if (os === 'linux') {
    const dbs = nssDatabases(env.home ?? homedir())
    if (!has('certutil')) {
      notes.push('certutil not found: Chrome and Firefox (NSS) not updated; install libnss3-tools (Debian) or nss-tools (RHEL)')
    } else if (dbs.length === 0) {
      notes.push('no NSS database found (~/.pki/nssdb, Firefox profiles): Chrome and Firefox not updated')
    }
    if (has('certutil')) {
      for (const db of dbs) {
        steps.push(action === 'trust'
          ? { argv: ['certutil', '-A', '-d', `sql:${db}`, '-t', 'C,,', '-n', name, '-i', file], store: 'nss', mayFail: false }
          : { argv: ['certutil', '-D', '-d', `sql:${db}`, '-n', name], store: 'nss', mayFail: true })
      }
    }
  }
  if (steps.length === 0) {
    throw new GatehouseError('GH_CERTS_TRUST_UNSUPPORTED', os)
  }
  return { action, caFile: file, name, steps, notes }
}

/** One command as a shell would read it (for --dry-run and error messages). */
export function shellLine (argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ')
}

/** Runs a plan's commands in order; a failing required step throws GH_CERTS_TRUST_FAILED. */
export function runTrustPlan (plan: TrustPlan): void {
  for (const step of plan.steps) {
    const [cmd = '', ...args] = step.argv
    try {
      execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 })
    } catch (err) {
      if (step.mayFail) continue
      const e = err as { stderr?: Buffer, message: string }
      const why = e.stderr && e.stderr.length > 0 ? e.stderr.toString().trim().split('\n').slice(-1)[0] ?? e.message : e.message
      throw new GatehouseError('GH_CERTS_TRUST_FAILED', shellLine(step.argv), why)
    }
  }
}
