#!/usr/bin/env node
// Benchmark (not a test): load + validate + compile a generated estate of
// 5,000 APIs and 500 certificates, the size at which a reload must still feel
// instant (target: under 1 s on one core). Certificates are made once per run
// with the openssl CLI in a temp dir: one CA, one leaf key reused by 500
// CA-signed leaf certificates (each file still parsed, key-matched and hashed
// separately), written as fullchain files. Prints the figures and rewrites the
// `## config` section of bench/RESULTS.md.
//
//   pnpm build && node bench/config/run.mjs [--runs 7] [--apis 5000] [--certs 500] [--no-write]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'

const root = fileURLToPath(new URL('../..', import.meta.url))
const { load, compile, loadAndCompile } = await import(join(root, 'packages/config/dist/index.js'))
const { parseDocument, LineCounter } = await import(join(root, 'packages/config/node_modules/yaml/dist/index.js'))

const args = process.argv.slice(2)
const opt = (name, dflt) => { const i = args.indexOf(name); return i === -1 ? dflt : Number(args[i + 1]) }
const RUNS = opt('--runs', 7)
const APIS = opt('--apis', 5000)
const CERTS = opt('--certs', 500)
const WRITE = !args.includes('--no-write')

// --dir D keeps the generated estate in D and reuses it on the next run (for profiling).
const keepIdx = args.indexOf('--dir')
const keep = keepIdx === -1 ? null : args[keepIdx + 1]
const dir = keep ?? mkdtempSync(join(tmpdir(), 'gh-bench-config-'))
const openssl = (...a) => execFileSync('openssl', a, { cwd: dir, stdio: 'pipe' })

function makeCertificates () {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-noenc', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=bench CA')
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'leaf-key.pem')
  openssl('req', '-new', '-key', 'leaf-key.pem', '-subj', '/CN=bench leaf', '-out', 'leaf.csr')
  const ca = readFileSync(join(dir, 'ca.pem'), 'utf8')
  for (let i = 0; i < CERTS; i++) {
    writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=DNS:*.t${i}.example.com,DNS:t${i}.example.com\n`)
    openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-days', '30', '-extfile', 'ext.cnf', '-out', `leaf-${i}.pem`)
    writeFileSync(join(dir, `t${i}-fullchain.pem`), readFileSync(join(dir, `leaf-${i}.pem`), 'utf8') + ca)
  }
}

function makeConfig () {
  const lines = ['version: 1', 'workers: auto', 'listen:', '  https: { host: 0.0.0.0, port: 8443 }', 'tls:', '  certificates:']
  for (let i = 0; i < CERTS; i++) lines.push(`    - cert_file: t${i}-fullchain.pem`, '      key_file: leaf-key.pem')
  lines.push('apis:')
  for (let i = 0; i < APIS; i++) {
    const t = i % CERTS
    // A realistic mix: exact hosts, wildcards, domainless; a quarter with policies.
    const domain = i % 10 === 0 ? `"*.t${t}.example.com"` : i % 25 === 1 ? null : `svc${i}.t${t}.example.com`
    lines.push(`  - name: api-${i}`)
    if (domain !== null) lines.push(`    domain: ${domain}`)
    lines.push(`    listen_path: /v${i % 3}/svc${i}`, '    upstream:', `      targets: [http://10.${(i >> 8) & 255}.${i & 255}.1:8080, http://10.${(i >> 8) & 255}.${i & 255}.2:8080]`, '      timeout: 15s')
    if (i % 4 === 0) {
      lines.push('    rate_limit: { rate: 100, per: 1s }',
        '    auth: { type: api_key, header: X-Api-Key, keys: ["${BENCH_KEY:-k1}"] }',
        '    headers: { request: { set: { X-Env: prod }, remove: [X-Debug] }, response: { remove: [Server] } }',
        '    ip_allow: [10.0.0.0/8, 192.168.0.0/16]',
        '    cors: { allowed_origins: ["https://app.example.com"], max_age: 10m }',
        '    size_limit: 10MB')
    }
  }
  const file = join(dir, 'gatehouse.yaml')
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const ms = (x) => `${x.toFixed(0)} ms`

try {
  const t0 = performance.now()
  if (keep === null || !existsSync(join(dir, `t${CERTS - 1}-fullchain.pem`))) execFileSync('mkdir', ['-p', dir]), makeCertificates()
  const certSeconds = (performance.now() - t0) / 1000
  const file = makeConfig()
  const size = statSync(file).size

  // Sanity: the estate is valid and compiles to what was generated.
  const first = loadAndCompile(file, process.env)
  if (!first.ok) throw new Error('generated config is invalid:\n' + first.errors.slice(0, 5).map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`).join('\n'))
  if (first.table.apis.length !== APIS || first.table.tls.certificates.length !== CERTS) throw new Error('table does not hold the generated estate')

  const total = []
  const cpu = []
  const loads = []
  const compiles = []
  const yamlOnly = []
  const text = readFileSync(file, 'utf8')
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage()
    const a = performance.now()
    const l = load(file, process.env)
    const b = performance.now()
    if (!l.ok) throw new Error('load failed')
    compile(l.config, l.sources)
    const c = performance.now()
    const cu = process.cpuUsage(c0)
    loads.push(b - a)
    compiles.push(c - b)
    total.push(c - a)
    cpu.push((cu.user + cu.system) / 1000)
    // Reference floor: the yaml package alone parsing the same text with positions.
    const y = performance.now()
    parseDocument(text, { lineCounter: new LineCounter(), prettyErrors: false })
    yamlOnly.push(performance.now() - y)
  }
  const nproc = execFileSync('nproc').toString().trim()
  const model = cpus()[0]?.model ?? 'unknown CPU'
  const loadavg = (await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')
  const result = {
    apis: APIS, certificates: CERTS, runs: RUNS, configBytes: size,
    medianMs: median(total), minMs: Math.min(...total), maxMs: Math.max(...total),
    medianLoadMs: median(loads), medianCompileMs: median(compiles), certSetupSeconds: certSeconds,
    medianCpuMs: median(cpu), medianYamlMs: median(yamlOnly)
  }
  console.log(`config: ${APIS} APIs, ${CERTS} certificates, ${(size / 1024).toFixed(0)} KiB of YAML`)
  console.log(`load+validate+compile: median ${ms(result.medianMs)} (min ${ms(result.minMs)}, max ${ms(result.maxMs)}, ${RUNS} runs)`)
  console.log(`  of which load+validate ${ms(result.medianLoadMs)}, compile ${ms(result.medianCompileMs)}; process CPU time median ${ms(result.medianCpuMs)}`)
  console.log(`  reference: yaml parseDocument alone on the same text, median ${ms(result.medianYamlMs)}; load average ${loadavg}`)
  console.log(`  (openssl made the certificates in ${certSeconds.toFixed(1)} s, not timed above)`)

  if (WRITE) {
    const section = [
      '## config',
      '',
      `Command: \`pnpm build && node bench/config/run.mjs ${args.join(' ')}\` (\`--dir D\` only keeps the generated certificates for the next run)`,
      `Machine: nproc = ${nproc} (availableParallelism ${availableParallelism()}), ${model}, Node ${process.version}, one process (the work is single-threaded); load average during the run: ${loadavg}.`,
      '',
      `| estate | YAML | load + validate + compile, median (wall) | min / max | CPU time, median | load + validate | compile | yaml parse alone |`,
      `| --- | --- | --- | --- | --- | --- | --- | --- |`,
      `| ${APIS} APIs, ${CERTS} certificates | ${(size / 1024).toFixed(0)} KiB | **${ms(result.medianMs)}** | ${ms(result.minMs)} / ${ms(result.maxMs)} | ${ms(result.medianCpuMs)} | ${ms(result.medianLoadMs)} | ${ms(result.medianCompileMs)} | ${ms(result.medianYamlMs)} |`,
      '',
      `Target: under 1 s on one core. Median of ${RUNS} runs in one process after one untimed sanity run. "load + validate"`,
      'covers reading the YAML with positions, `${VAR}` interpolation, DEFAULTS, every structural check, and for each',
      'certificate reading the file, parsing the leaf with X509Certificate, loading the key (once per key file) and',
      'checking that it matches; "compile" builds the certificate list, routing maps and policies and hashes every file for the',
      `version. Certificates: one CA-signed EC P-256 leaf key shared by ${CERTS} distinct certificate files (leaf + CA`,
      'in each file), made with the openssl CLI before timing.',
      '',
      `The \`yaml\` package parsing the same ${(size / 1024).toFixed(0)} KiB with positions takes ${ms(result.medianYamlMs)} on its own`,
      `(${(100 * result.medianYamlMs / result.medianMs).toFixed(0)}% of the median), so it sets the floor: everything Gatehouse adds (interpolation,`,
      'defaults, validation, the certificate/key checks, compile, hashing) is the difference. On these shared, loaded cores the',
      'target is ' + (result.medianMs < 1000 ? 'met.' : 'not met; the next steps are walking yaml\'s CST directly (its Composer, which builds a Document that is then converted, is roughly a quarter of the parse) or a faster parser with positions, which DESIGN.md would have to allow.'),
      ''
    ].join('\n')
    const resultsPath = join(root, 'bench/RESULTS.md')
    let text = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n\nEach section is rewritten by its own script; see the command in each.\n\n'
    const start = text.search(/^## config\s*$/m)
    if (start === -1) text = text.trimEnd() + '\n\n' + section
    else {
      const rest = text.slice(start + 1)
      const next = rest.search(/^## /m)
      text = text.slice(0, start) + section + (next === -1 ? '' : '\n' + rest.slice(next))
    }
    writeFileSync(resultsPath, text.replace(/\n{3,}/g, '\n\n'))
    console.log(`wrote the ## config section of ${resultsPath}`)
  }
} finally {
  if (keep === null) rmSync(dir, { recursive: true, force: true })
}
