// Bad input never crashes the loader: seeded random mutations of a valid file
// (values swapped for other types, characters deleted, keys misspelt) always
// come back as a result with well-formed diagnostics, never an exception, and
// whatever still loads also compiles.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ERRORS, loadAndCompile, loadText } from '@gatehouse/config'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeCert, tempDir } from './helpers.js'
import { ROBUSTNESS_BASE as BASE, ROBUSTNESS_COMPILE_ROUNDS, ROBUSTNESS_ROUNDS, mutatedConfigs } from './configs.js'

const test = suite('robustness')
let dir = ''
let cleanup = (): void => {}
test.before(() => {
  ({ dir, cleanup } = tempDir())
  makeCert(dir, 'site', ['*.tyk.localhost', 'tyk.localhost'])
})
test.after(() => cleanup())

const ROUNDS = ROBUSTNESS_ROUNDS.rounds

test(`${ROUNDS} seeded mutations: no exception, diagnostics well-formed, valid results compile`, () => {
  const base = loadText(BASE, join(dir, 'base.yaml'), {})
  assert.ok(base.ok, 'the base file is valid')
  let invalid = 0
  const texts = mutatedConfigs(ROBUSTNESS_ROUNDS)
  for (let n = 0; n < ROUNDS; n++) {
    const text = texts[n] as string
    const file = join(dir, `m${n}.yaml`)
    let res
    try {
      res = loadText(text, file, {})
    } catch (err) {
      assert.unreachable(`loadText threw on mutation ${n}: ${(err as Error).stack ?? String(err)}\n${text}`)
      return
    }
    const all = res.ok ? res.warnings : [...res.errors, ...res.warnings]
    for (const d of all) {
      assert.ok(d.code in ERRORS, `unknown code ${d.code}`)
      assert.ok(Number.isInteger(d.line) && d.line >= 1 && Number.isInteger(d.col) && d.col >= 1, `bad position ${d.line}:${d.col}`)
      assert.is(d.file, file)
      assert.ok(d.message.length > 0 && d.hint.length > 0)
    }
    if (!res.ok) {
      invalid++
      assert.ok(res.errors.length > 0)
    }
  }
  assert.ok(invalid > ROUNDS / 2, `most mutations must be caught (${invalid}/${ROUNDS})`)
})

test('whatever loads also compiles (file-based, so compile sees the sources)', () => {
  let compiled = 0
  const texts = mutatedConfigs(ROBUSTNESS_COMPILE_ROUNDS)
  for (let n = 0; n < texts.length; n++) {
    const text = texts[n] as string
    const file = join(dir, `c${n}.yaml`)
    writeFileSync(file, text)
    const res = loadAndCompile(file, {})
    if (res.ok) { compiled++; assert.ok(res.table.apis.length >= 0) }
  }
  assert.ok(compiled > 0)
})

test.run()
