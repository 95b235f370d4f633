// The runner's own section of bench/RESULTS.md: regenerating it must replace
// only what lies between its markers and leave the sections other tools write
// (## certs, ## config, ## dataplane) byte for byte; and the medians/spreads
// it prints must be the usual ones.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error -- plain ESM JavaScript without declarations (the runner runs with no build step)
import { spliceResults, BEGIN, END } from '../lib/report.js'
// @ts-expect-error -- plain ESM JavaScript without declarations
import { median, summarize, fmtSpread, percentile } from '../lib/stats.js'

const test = suite('bench report')
let dir = ''
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'bench-report-')) })
test.after.each(() => { rmSync(dir, { recursive: true, force: true }) })

test('creates the file with the marked section when absent', () => {
  const file = join(dir, 'RESULTS.md')
  spliceResults(file, '## run one\n\nfigures')
  assert.is(readFileSync(file, 'utf8'), `# Benchmark results\n\n## run one\n${BEGIN}\n\nfigures\n${END}\n`)
})

test('replaces only its own section, keeping the others byte for byte', () => {
  const file = join(dir, 'RESULTS.md')
  const before = '# Benchmark results\n\n## certs\n\ncerts table | 1 |\n\n'
  const after = '\n\n## config\n\nconfig table\n\n## dataplane\n\nx\n'
  writeFileSync(file, `${before}## old run\n${BEGIN}\nold figures\n${END}${after}`)
  spliceResults(file, '## new run\n\nfigures')
  assert.is(readFileSync(file, 'utf8'), `${before}## new run\n${BEGIN}\n\nfigures\n${END}${after}`)
  spliceResults(file, '## third run')
  assert.is(readFileSync(file, 'utf8'), `${before}## third run\n${BEGIN}\n${END}${after}`)
})

test('appends the section to a file that has none yet', () => {
  const file = join(dir, 'RESULTS.md')
  writeFileSync(file, '# Benchmark results\n\n## certs\n\nkeep\n')
  spliceResults(file, '## run\nx')
  assert.is(readFileSync(file, 'utf8'), `# Benchmark results\n\n## certs\n\nkeep\n\n## run\n${BEGIN}\nx\n${END}\n`)
})

// Regression: the other tools replace "## their-section up to the next '\n## '". With the
// begin marker above the runner's heading, regenerating the section before it ate the marker.
test('a neighbour that replaces "its ## section up to the next ## " leaves both markers intact', () => {
  const file = join(dir, 'RESULTS.md')
  writeFileSync(file, '# Benchmark results\n\n## dataplane\n\nold\n')
  spliceResults(file, '## Side by side\n\nrun one')
  const text = readFileSync(file, 'utf8')
  const start = text.indexOf('## dataplane')
  const next = text.indexOf('\n## ', start + 1)
  writeFileSync(file, text.slice(0, start) + '## dataplane\n\nnew\n' + text.slice(next + 1))
  spliceResults(file, '## Side by side\n\nrun two')
  assert.is(readFileSync(file, 'utf8'), `# Benchmark results\n\n## dataplane\n\nnew\n## Side by side\n${BEGIN}\n\nrun two\n${END}\n`)
})

test('medians, spreads and percentiles', () => {
  assert.is(median([3, 1, 2]), 2)
  assert.is(median([4, 1, 3, 2]), 2.5)
  assert.ok(Number.isNaN(median([])))
  assert.equal(summarize([5, NaN, 1, 3]), { median: 3, min: 1, max: 5, n: 3 })
  assert.is(fmtSpread(summarize([1000, 1200, 1100])), '1,100 (1,000–1,200)')
  assert.is(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10)
  assert.is(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5)
})

test.run()
