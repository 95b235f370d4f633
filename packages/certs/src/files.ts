// The file layout (DESIGN.md "CLI"): a CA directory holds ca.pem and
// ca-key.pem (and chain.pem for an intermediate: the certificates above it, up
// to the root); a leaf `--out PREFIX` writes PREFIX.pem, PREFIX-key.pem,
// PREFIX-fullchain.pem and PREFIX.p12. Every set of files is written all or
// nothing: each file goes to a temporary name first, and only when all are
// written are they renamed into place. Keys (and .p12 files, which hold one)
// are mode 0600; an existing file is refused unless `force` is set.
import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { type CaInput, type CaResult } from './ca.js'
import { GatehouseError } from './errors.js'
import type { LeafResult, SignedLeaf } from './leaf.js'
import { toPkcs12, DEFAULT_P12_PASSWORD } from './pkcs12.js'

/** One file to write. */
export interface FileSpec {
  readonly path: string
  readonly data: string | Uint8Array
  /** 0o600 for secrets, 0o644 otherwise. */
  readonly mode: number
}

/** File names inside a CA directory. */
export const CA_FILES = { cert: 'ca.pem', key: 'ca-key.pem', chain: 'chain.pem' } as const

/** The files of a leaf written with `--out PREFIX`. */
export function leafPaths (prefix: string): { cert: string, key: string, fullchain: string, p12: string } {
  const p = resolve(prefix.replace(/\.pem$/, ''))
  return { cert: `${p}.pem`, key: `${p}-key.pem`, fullchain: `${p}-fullchain.pem`, p12: `${p}.p12` }
}

/** Reads a text file, turning a missing or unreadable file into GH_CERTS_FILE_READ. */
export function readText (path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new GatehouseError('GH_CERTS_FILE_READ', path, e.code === 'ENOENT' ? 'no such file' : e.message)
  }
}

/** Writes every file or none: refuses existing files unless `force`, writes temporaries, then renames them all. */
export function writeFilesAtomic (files: readonly FileSpec[], opts: { force?: boolean | undefined } = {}): string[] {
  if (opts.force !== true) {
    for (const f of files) if (existsSync(f.path)) throw new GatehouseError('GH_CERTS_FILE_EXISTS', f.path)
  }
  const temps: string[] = []
  const renamed: string[] = []
  const existed = files.map((f) => existsSync(f.path))
  try {
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true })
      const tmp = join(dirname(f.path), `.${basename(f.path)}.${randomBytes(6).toString('hex')}.tmp`)
      // 'wx' with the final mode: a key is never readable by others, not even for a moment.
      const fd = openSync(tmp, 'wx', f.mode)
      temps.push(tmp)
      try {
        writeSync(fd, typeof f.data === 'string' ? Buffer.from(f.data) : f.data)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      chmodSync(tmp, f.mode)
    }
    files.forEach((f, i) => {
      renameSync(temps[i] ?? '', f.path)
      if (existed[i] !== true) renamed.push(f.path)
    })
    return files.map((f) => f.path)
  } catch (err) {
    // Leave no temporary behind, and take back the new files of a set that could not be completed.
    for (const t of temps) { try { unlinkSync(t) } catch {} }
    for (const r of renamed) { try { unlinkSync(r) } catch {} }
    if (err instanceof GatehouseError) throw err
    const e = err as NodeJS.ErrnoException
    throw new GatehouseError('GH_CERTS_FILE_WRITE', e.path ?? files[0]?.path ?? '', e.message)
  }
}

/** Writes a CA directory (ca.pem, ca-key.pem 0600, chain.pem for an intermediate). */
export function writeCaDir (dir: string, ca: CaResult, opts: { force?: boolean | undefined } = {}): { cert: string, key: string, chain: string | null } {
  const d = resolve(dir)
  const files: FileSpec[] = [
    { path: join(d, CA_FILES.cert), data: ca.certPem, mode: 0o644 },
    { path: join(d, CA_FILES.key), data: ca.keyPem, mode: 0o600 }
  ]
  if (ca.chainPem !== '') files.push({ path: join(d, CA_FILES.chain), data: ca.chainPem, mode: 0o644 })
  writeFilesAtomic(files, opts)
  return { cert: join(d, CA_FILES.cert), key: join(d, CA_FILES.key), chain: ca.chainPem !== '' ? join(d, CA_FILES.chain) : null }
}

/** Reads a CA directory into a `CaInput` (not yet unlocked), naming the missing piece when there is one. */
export function readCaDir (dir: string, passphrase?: string): CaInput {
  const d = resolve(dir)
  let isDir = false
  try { isDir = statSync(d).isDirectory() } catch {}
  if (!isDir) throw new GatehouseError('GH_CERTS_CA_DIR_MISSING', d)
  const certFile = join(d, CA_FILES.cert)
  const keyFile = join(d, CA_FILES.key)
  if (!existsSync(certFile)) throw new GatehouseError('GH_CERTS_CA_FILE_MISSING', d, CA_FILES.cert)
  if (!existsSync(keyFile)) throw new GatehouseError('GH_CERTS_CA_FILE_MISSING', d, CA_FILES.key)
  const chainFile = join(d, CA_FILES.chain)
  return {
    certPem: readText(certFile),
    keyPem: readText(keyFile),
    chainPem: existsSync(chainFile) ? readText(chainFile) : undefined,
    passphrase,
    certFile,
    keyFile
  }
}

/** Options of `writeLeafFiles`. */
export interface WriteLeafOptions {
  readonly force?: boolean | undefined
  /** Also write PREFIX.p12. */
  readonly p12?: boolean | undefined
  readonly p12Password?: string | undefined
}

/** Writes PREFIX.pem, PREFIX-key.pem (0600), PREFIX-fullchain.pem and, with `p12`, PREFIX.p12 (0600). */
export function writeLeafFiles (prefix: string, leaf: LeafResult, opts: WriteLeafOptions = {}): string[] {
  const p = leafPaths(prefix)
  const files: FileSpec[] = [
    { path: p.cert, data: leaf.certPem, mode: 0o644 },
    { path: p.key, data: leaf.keyPem, mode: 0o600 },
    { path: p.fullchain, data: leaf.fullchainPem, mode: 0o644 }
  ]
  if (opts.p12 === true) {
    const name = leaf.sans[0]?.value
    files.push({ path: p.p12, data: toPkcs12(leaf.fullchainPem, leaf.keyPem, opts.p12Password ?? DEFAULT_P12_PASSWORD, name), mode: 0o600 })
  }
  return writeFilesAtomic(files, opts)
}

/** Writes a CSR-signed certificate: FILE (the leaf) and, next to it, FILE-fullchain.pem. */
export function writeSignedFiles (file: string, leaf: SignedLeaf, opts: { force?: boolean | undefined } = {}): string[] {
  const out = resolve(file)
  const fullchain = out.endsWith('.pem') ? `${out.slice(0, -4)}-fullchain.pem` : `${out}-fullchain.pem`
  return writeFilesAtomic([
    { path: out, data: leaf.certPem, mode: 0o644 },
    { path: fullchain, data: leaf.fullchainPem, mode: 0o644 }
  ], opts)
}
