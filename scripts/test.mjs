#!/usr/bin/env node
// Runs every uvu test file in its own Node process (TypeScript through tsx), two
// at a time, and ends with the one line CI reads: `tests: N passed, N failed`.
// A file that crashes or times out before uvu prints its summary counts as one
// failure, so a broken file can never be mistaken for a passing one.
//
//   node scripts/test.mjs [substring ...]   run only files whose path contains one
//   TEST_JOBS=1 TEST_TIMEOUT=300 node scripts/test.mjs
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const filters = process.argv.slice(2)
const jobs = Number(process.env.TEST_JOBS ?? 2)
const timeoutMs = Number(process.env.TEST_TIMEOUT ?? 300) * 1000

/** Every `*.test.ts` under the test folders of the packages, bench and deploy. */
function findTests () {
  const found = []
  const walk = (dir) => {
    let entries
    try { entries = readdirSync(dir) } catch { return }
    for (const name of entries) {
      if (name === 'node_modules' || name === 'dist') continue
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.test.ts')) found.push(relative(root, path))
    }
  }
  for (const pkg of readdirSync(join(root, 'packages'))) walk(join(root, 'packages', pkg, 'test'))
  walk(join(root, 'bench', 'test'))
  walk(join(root, 'deploy', 'test'))
  return found.sort().filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
}

// uvu prints "Total: N", "Passed: N", "Skipped: N" once per process.
const SUMMARY = /Total:\s+(\d+)\s+Passed:\s+(\d+)\s+Skipped:\s+(\d+)/
const ANSI = /\u001b\[[0-9;]*m/g

function runFile (file) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout also kills the gateways it spawned.
      detached: true
    })
    let out = ''
    child.stdout.on('data', (b) => { out += b })
    child.stderr.on('data', (b) => { out += b })
    const timer = setTimeout(() => {
      out += `\n[test runner] ${file} timed out after ${timeoutMs / 1000}s; killed\n`
      try { process.kill(-child.pid, 'SIGKILL') } catch { child.kill('SIGKILL') }
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      // Whatever the file left running (a gateway whose test crashed) goes too.
      try { process.kill(-child.pid, 'SIGKILL') } catch { /* group already empty */ }
      const text = out.replace(ANSI, '')
      const m = SUMMARY.exec(text)
      let passed = 0
      let failed = 0
      let skipped = 0
      if (m) {
        const total = Number(m[1])
        passed = Number(m[2])
        skipped = Number(m[3])
        failed = total - passed - skipped
        if (failed < 0) failed = 0
        if (code !== 0 && failed === 0) failed = 1
      } else {
        failed = 1
      }
      resolve({ file, passed, failed, skipped, code, signal, text, ms: Date.now() - started })
    })
  })
}

const files = findTests()
if (files.length === 0) {
  console.log('no test files matched')
  console.log('tests: 0 passed, 1 failed')
  process.exit(1)
}

const results = []
let next = 0
async function worker () {
  while (next < files.length) {
    const file = files[next++]
    const r = await runFile(file)
    results.push(r)
    const mark = r.failed === 0 ? 'ok  ' : 'FAIL'
    console.log(`${mark} ${r.file}  (${r.passed} passed, ${r.failed} failed, ${(r.ms / 1000).toFixed(1)}s)`)
    if (r.failed > 0 || process.env.TEST_VERBOSE) console.log(r.text.replace(/^/gm, '    '))
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker))

const passed = results.reduce((n, r) => n + r.passed, 0)
const failed = results.reduce((n, r) => n + r.failed, 0)
const skipped = results.reduce((n, r) => n + r.skipped, 0)
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed === 0 ? 0 : 1)
