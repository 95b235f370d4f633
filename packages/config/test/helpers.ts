// Test helpers: temp directories, certificates made with the openssl CLI at
// test time (never committed), and writing config files. Not a test file
// itself (the runner only picks up *.test.ts).

import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatDiagnostic } from '@gatehouse/config'
import type { Diagnostic } from '@gatehouse/config'

/** A fresh temp dir and a function that removes it. */
export function tempDir (prefix = 'gh-config-'): { dir: string, cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface CertOptions { days?: number, keyType?: 'ec' | 'rsa', passphrase?: string }

/** Self-signed leaf with DNS SANs via `openssl req -x509 -addext`; writes NAME.pem and NAME-key.pem. */
export function makeCert (dir: string, name: string, sans: string[], opts: CertOptions = {}): { cert: string, key: string } {
  const cert = join(dir, `${name}.pem`)
  const key = join(dir, `${name}-key.pem`)
  const newkey = opts.keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']
  const enc = opts.passphrase === undefined ? ['-noenc'] : ['-passout', `pass:${opts.passphrase}`]
  const san = sans.map((s) => /^[\d.]+$/.test(s) ? `IP:${s}` : `DNS:${s}`).join(',')
  execFileSync('openssl', ['req', '-x509', ...newkey, ...enc, '-keyout', key, '-out', cert, '-days', String(opts.days ?? 30),
    '-subj', `/CN=${sans[0] ?? name}`, '-addext', `subjectAltName=${san}`], { stdio: 'pipe' })
  return { cert, key }
}

/** Write `text` to DIR/NAME and return the path. */
export function write (dir: string, name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** A minimal valid config around `apis` YAML (indented list items) using cert files in the same dir. */
export function configWith (apisYaml: string, cert = 'site.pem', key = 'site-key.pem'): string {
  return `version: 1
tls:
  certificates:
    - cert_file: ${cert}
      key_file: ${key}
apis:
${apisYaml}`
}

/** Narrow a load/compile result to its ok branch, or fail with every diagnostic formatted. */
export function mustLoad<T extends { ok: true } | { ok: false, errors: Diagnostic[] }> (r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error('expected a valid config:\n' + (r as { errors: Diagnostic[] }).errors.map(formatDiagnostic).join('\n'))
  return r as Extract<T, { ok: true }>
}
