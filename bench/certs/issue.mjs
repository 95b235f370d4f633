#!/usr/bin/env node
// Benchmark (not a test): median wall time to issue one leaf certificate with
// @gatehouse/certs — key generation + signing, in Node's OpenSSL — for an
// ec256 and an rsa2048 leaf, signed by an ec256 root that is unlocked once
// (what `gatehouse certs issue` and the gateway's minting do per certificate).
// Runs are sequential, bounded in count and in time.
//
//   pnpm build && node bench/certs/issue.mjs [--runs N] [--write]
//
// --write replaces the `## certs` section of bench/RESULTS.md with the figures.
import { availableParallelism, cpus, loadavg } from 'node:os'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'

const { createRootCa, createLeaf, unlockCa } = await import('../../packages/certs/dist/index.js')

const args = process.argv.slice(2)
const runsArg = args.indexOf('--runs')
const RUNS = runsArg === -1 ? 50 : Number(args[runsArg + 1])
const WRITE = args.includes('--write')
const BUDGET_MS = 60_000

const ca = await unlockCa(await createRootCa({ cn: 'Bench Root' }))

async function measure (keyType) {
  // Warm-up: first calls pay for lazy module and OpenSSL initialisation.
  for (let i = 0; i < 3; i++) await createLeaf(ca, ['warm.bench.localhost'], { keyType })
  const times = []
  const cpu0 = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < RUNS && performance.now() - started < BUDGET_MS; i++) {
    const t0 = performance.now()
    await createLeaf(ca, [`leaf${i}.bench.localhost`, '*.bench.localhost', '127.0.0.1'], { keyType })
    times.push(performance.now() - t0)
  }
  const cpu = process.cpuUsage(cpu0)
  times.sort((a, b) => a - b)
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))]
  // CPU time (user + system, all threads of this process) per issue: less
  // sensitive than wall time to other work on the same cores.
  const cpuMs = (cpu.user + cpu.system) / 1000 / times.length
  return { keyType, runs: times.length, median: at(0.5), p90: at(0.9), min: times[0], max: times[times.length - 1], cpuMs }
}

const loadBefore = loadavg()[0]
const results = [await measure('ec256'), await measure('rsa2048')]
const loadAfter = loadavg()[0]
const fmt = (ms) => `${ms.toFixed(2)} ms`
const nproc = availableParallelism()
const lines = [
  '## certs',
  '',
  'Median wall time to issue one leaf (new key + signature, SANs: 3) with `createLeaf`, signed by an',
  'unlocked ec256 root, sequential runs in one process after 3 warm-up runs.',
  '',
  `Command: \`pnpm build && node bench/certs/issue.mjs --runs ${RUNS} --write\``,
  `Machine: nproc ${nproc} (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)};`,
  `1-minute load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (other work shares these cores).`,
  '',
  '| leaf key | runs | median (wall) | p90 | min | max | CPU per issue |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...results.map((r) => `| ${r.keyType} | ${r.runs} | ${fmt(r.median)} | ${fmt(r.p90)} | ${fmt(r.min)} | ${fmt(r.max)} | ${fmt(r.cpuMs)} |`),
  '',
  'Why these numbers: an ec256 issue is one P-256 key generation, one ECDSA signature (both in',
  "Node's OpenSSL, well under 1 ms together) and ~2-3 ms of JavaScript that encodes the certificate",
  '(asn1js, via @peculiar/asn1-x509), plus a few WebCrypto thread-pool hops; CPU per issue also counts',
  'the GC and thread-pool threads. rsa2048 is dominated by RSA key generation (finding two 1024-bit',
  'primes), whose length is random: hence its wide spread. Medians above the min mean the two cores',
  'were shared with other work during the run: compare the load average.',
  ''
]
const section = lines.join('\n')
process.stdout.write(`${section}\n`)

if (WRITE) {
  const file = fileURLToPath(new URL('../RESULTS.md', import.meta.url))
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n\n'
  // Replace only our section: from `## certs` up to the next `## ` heading.
  const re = /## certs\n[\s\S]*?(?=\n## |$)/
  const next = re.test(old) ? old.replace(re, section.trimEnd() + '\n') : `${old.trimEnd()}\n\n${section}`
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`)
  process.stdout.write(`wrote the certs section of ${file}\n`)
}
