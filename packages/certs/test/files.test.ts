// The file layer: all-or-nothing writes with final modes, refusal to
// overwrite, and no temporary or partial file left when a write fails.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { leafPaths, writeFilesAtomic } from '@gatehouse/certs'
import { rejectsWith, tempDir } from './_helpers.js'

const test = suite('files')
const tmp = tempDir('files')
test.after(() => tmp.cleanup())

test('writes every file with its mode, creating the directory', () => {
  const dir = join(tmp.dir, 'a', 'b')
  writeFilesAtomic([
    { path: join(dir, 'x.pem'), data: 'cert', mode: 0o644 },
    { path: join(dir, 'x-key.pem'), data: 'key', mode: 0o600 }
  ])
  assert.equal(readdirSync(dir).sort(), ['x-key.pem', 'x.pem'])
  assert.is(statSync(join(dir, 'x-key.pem')).mode & 0o777, 0o600)
  assert.is(readFileSync(join(dir, 'x.pem'), 'utf8'), 'cert')
})

test('an existing file refuses the whole set before anything is written; force replaces', async () => {
  const dir = join(tmp.dir, 'exists')
  mkdirSync(dir)
  writeFileSync(join(dir, 'b.pem'), 'old')
  const set = [{ path: join(dir, 'a.pem'), data: 'new a', mode: 0o644 }, { path: join(dir, 'b.pem'), data: 'new b', mode: 0o644 }]
  await rejectsWith(() => writeFilesAtomic(set), 'GH_CERTS_FILE_EXISTS', `${join(dir, 'b.pem')} already exists`)
  assert.equal(readdirSync(dir), ['b.pem'])
  writeFilesAtomic(set, { force: true })
  assert.is(readFileSync(join(dir, 'b.pem'), 'utf8'), 'new b')
})

test('a failure part-way leaves neither temporaries nor the new files of the set', async () => {
  const dir = join(tmp.dir, 'fail')
  mkdirSync(join(dir, 'b.pem'), { recursive: true })
  // b.pem is a directory: the rename onto it fails after a.pem is in place.
  await rejectsWith(() => writeFilesAtomic([
    { path: join(dir, 'a.pem'), data: 'a', mode: 0o644 },
    { path: join(dir, 'b.pem'), data: 'b', mode: 0o644 }
  ], { force: true }), 'GH_CERTS_FILE_WRITE')
  assert.equal(readdirSync(dir), ['b.pem'])
})

test('leafPaths: PREFIX.pem, PREFIX-key.pem, PREFIX-fullchain.pem, PREFIX.p12 (a trailing .pem is dropped)', () => {
  const p = leafPaths(join(tmp.dir, 'tyk.local.pem'))
  assert.equal(p, {
    cert: join(tmp.dir, 'tyk.local.pem'),
    key: join(tmp.dir, 'tyk.local-key.pem'),
    fullchain: join(tmp.dir, 'tyk.local-fullchain.pem'),
    p12: join(tmp.dir, 'tyk.local.p12')
  })
})

test.run()
