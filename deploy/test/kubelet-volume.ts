// A ConfigMap or Secret volume updated the way the kubelet does it (AtomicWriter): the files
// live in a hidden timestamped directory, `..data` is a symlink to it, each visible name is a
// symlink through `..data`, and an update writes a new directory and renames a new `..data`
// symlink over the old one, so readers see either all old or all new files.
import { existsSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

let generation = 0

/** Publishes `files` (name -> content) into the volume at `dir`, replacing the previous version. */
export function publishVolume (dir: string, files: Record<string, string>, mode = 0o644): void {
  mkdirSync(dir, { recursive: true })
  const stamp = `..${new Date().toISOString().replace(/[-:.]/g, '_')}.${process.pid}${generation++}`
  mkdirSync(join(dir, stamp))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, stamp, name), content, { mode })
  const data = join(dir, '..data')
  const previous = existsSync(data) ? readlinkSync(data) : null
  symlinkSync(stamp, join(dir, '..data_tmp'))
  renameSync(join(dir, '..data_tmp'), data)
  for (const name of Object.keys(files)) {
    if (!existsSync(join(dir, name))) symlinkSync(join('..data', name), join(dir, name))
  }
  if (previous !== null) rmSync(join(dir, previous), { recursive: true, force: true })
}
