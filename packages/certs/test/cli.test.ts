// The CLI as users run it: `node dist/bin.js …` as a child process. Exit codes
// (0 ok, 1 invalid input, 2 usage), error messages that name the file, files
// written atomically with keys at 0600, refusal to overwrite without --force,
// `inspect --json`, `sign`, and `trust --dry-run`.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { certsCli } from '@gatehouse/certs'
import { cli, cliInProcess, openssl, put, tempDir } from './_helpers.js'

const test = suite('cli')
const tmp = tempDir('cli')
const d = tmp.dir
const caDir = join(d, 'ca')
const passFile = join(d, 'pass.txt')
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra }
  if (!('GATEHOUSE_CA_PASSPHRASE' in extra)) delete e.GATEHOUSE_CA_PASSPHRASE
  return e
}
test.before(() => { writeFileSync(passFile, 'open sesame\n') })
test.after(() => tmp.cleanup())

const mode = (p: string): number => statSync(p).mode & 0o777

test('no arguments: usage on stderr, exit 2; --help: usage on stdout, exit 0', async () => {
  const none = cli([])
  assert.is(none.code, 2)
  assert.match(none.stderr, /usage: gatehouse certs <command>/)
  const help = cli(['--help'])
  assert.is(help.code, 0)
  assert.match(help.stdout, /issue {9}--ca DIR --san NAME/)
  assert.is(await certsCli(['issue', '--help']), 0)
})

test('ca: writes ca.pem and an encrypted ca-key.pem (0600), nothing else; refuses to overwrite without --force', () => {
  const r = cli(['ca', '--out', caDir, '--passphrase-file', passFile, '--cn', 'CLI Test CA', '--name-constraint', 'tyk.localhost', '--name-constraint', '127.0.0.0/8'], { env: env() })
  assert.is(r.code, 0, r.stderr)
  assert.equal(readdirSync(caDir).sort(), ['ca-key.pem', 'ca.pem'])
  assert.is(mode(join(caDir, 'ca-key.pem')), 0o600)
  assert.is(openssl('pkey', '-in', join(caDir, 'ca-key.pem'), '-passin', `file:${passFile}`, '-noout').code, 0)
  const before = readFileSync(join(caDir, 'ca.pem'), 'utf8')
  const again = cli(['ca', '--out', caDir], { env: env() })
  assert.is(again.code, 1)
  assert.is(again.stderr.split('\n')[0], `error: ${join(caDir, 'ca.pem')} already exists`)
  assert.match(again.stderr, /pass --force to overwrite it/)
  assert.is(readFileSync(join(caDir, 'ca.pem'), 'utf8'), before)
})

test('issue: missing --san is a usage error (exit 2)', () => {
  const r = cli(['issue', '--ca', caDir, '--out', join(d, 'x')], { env: env() })
  assert.is(r.code, 2)
  assert.match(r.stderr, /^error: `certs issue` needs at least one --san NAME/)
})

test('issue: bad CA directories and passphrases name the file', async () => {
  const missing = await cliInProcess(['issue', '--ca', join(d, 'nope'), '--san', 'a.tyk.localhost', '--out', join(d, 'x')], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(missing.code, 1)
  assert.is(missing.stderr.split('\n')[0], `error: CA directory ${join(d, 'nope')} does not exist`)
  mkdirSync(join(d, 'half'))
  put(join(d, 'half'), 'ca.pem', readFileSync(join(caDir, 'ca.pem'), 'utf8'))
  const half = await cliInProcess(['issue', '--ca', join(d, 'half'), '--san', 'a.tyk.localhost', '--out', join(d, 'x')], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(half.code, 1)
  assert.is(half.stderr.split('\n')[0], `error: CA directory ${join(d, 'half')} has no ca-key.pem`)
  const noPass = await cliInProcess(['issue', '--ca', caDir, '--san', 'a.tyk.localhost', '--out', join(d, 'x')], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(noPass.code, 1)
  assert.is(noPass.stderr.split('\n')[0], `error: ${join(caDir, 'ca-key.pem')} is encrypted and no passphrase was given`)
  const wrong = await cliInProcess(['issue', '--ca', caDir, '--san', 'a.tyk.localhost', '--out', join(d, 'x')], { GATEHOUSE_CA_PASSPHRASE: 'wrong' })
  assert.is(wrong.code, 1)
  assert.is(wrong.stderr.split('\n')[0], `error: wrong passphrase for ${join(caDir, 'ca-key.pem')}`)
  assert.not.ok(existsSync(join(d, 'x.pem')))
})

test('issue: invalid SANs and SANs outside the name constraints are refused, and nothing is written', async () => {
  for (const [san, line] of [
    ['*.*.com', "error: invalid SAN '*.*.com': a wildcard must be the whole leftmost label, once (*.example.localhost)"],
    ['foo..bar', "error: invalid SAN 'foo..bar': empty label (two dots in a row, or a leading dot)"],
    ['*', "error: invalid SAN '*': a bare * matches nothing; write *.example.localhost"],
    ['999.1.1.1', "error: invalid SAN '999.1.1.1': not a valid IPv4 address (each part is 0-255)"],
    ['www.example.com', "error: SAN 'www.example.com' is outside the name constraints of CA 'CLI Test CA' (permitted DNS: tyk.localhost)"]
  ] as const) {
    const r = await cliInProcess(['issue', '--ca', caDir, '--san', 'ok.tyk.localhost', '--san', san, '--out', join(d, 'bad')], { GATEHOUSE_CA_PASSPHRASE: 'open sesame' })
    assert.is(r.code, 1, san)
    assert.is(r.stderr.split('\n')[0], line)
  }
  assert.equal(readdirSync(d).filter((f) => f.startsWith('bad')), [])
})

test('issue --p12: four files, keys 0600, no temp files left; fullchain verifies; p12 reads in openssl', () => {
  const prefix = join(d, 'out', 'api')
  const r = cli(['issue', '--ca', caDir, '--san', 'api.tyk.localhost', '--san', '127.0.0.1', '--out', prefix, '--p12', '--passphrase-file', passFile], { env: env() })
  assert.is(r.code, 0, r.stderr)
  assert.equal(readdirSync(join(d, 'out')).sort(), ['api-fullchain.pem', 'api-key.pem', 'api.p12', 'api.pem'])
  assert.is(mode(`${prefix}-key.pem`), 0o600)
  assert.is(mode(`${prefix}.p12`), 0o600)
  assert.is(mode(`${prefix}.pem`), 0o644)
  const v = openssl('verify', '-CAfile', join(caDir, 'ca.pem'), `${prefix}-fullchain.pem`)
  assert.is(v.code, 0, v.stderr)
  assert.is(openssl('pkcs12', '-info', '-in', `${prefix}.p12`, '-passin', 'pass:changeit', '-noout').code, 0)
  assert.match(r.stdout, /PKCS#12 password: changeit/)
})

test('issue: an existing output file is refused before anything is written; --force overwrites', () => {
  const prefix = join(d, 'exists')
  writeFileSync(`${prefix}.p12`, 'keep me')
  const r = cli(['issue', '--ca', caDir, '--san', 'e.tyk.localhost', '--out', prefix, '--p12'], { env: env({ GATEHOUSE_CA_PASSPHRASE: 'open sesame' }) })
  assert.is(r.code, 1)
  assert.is(r.stderr.split('\n')[0], `error: ${prefix}.p12 already exists`)
  assert.not.ok(existsSync(`${prefix}.pem`))
  assert.is(readFileSync(`${prefix}.p12`, 'utf8'), 'keep me')
  const f = cli(['issue', '--ca', caDir, '--san', 'e.tyk.localhost', '--out', prefix, '--p12', '--force'], { env: env({ GATEHOUSE_CA_PASSPHRASE: 'open sesame' }) })
  assert.is(f.code, 0, f.stderr)
  assert.is.not(readFileSync(`${prefix}.p12`, 'utf8'), 'keep me')
})

test('intermediate: issue from it; the fullchain carries the intermediate and verifies with openssl -untrusted', async () => {
  const interDir = join(d, 'inter')
  const e = env({ GATEHOUSE_CA_PASSPHRASE: 'open sesame' })
  const r = cli(['intermediate', '--ca', caDir, '--out', interDir, '--cn', 'CLI Intermediate'], { env: e })
  assert.is(r.code, 0, r.stderr)
  assert.equal(readdirSync(interDir).sort(), ['ca-key.pem', 'ca.pem', 'chain.pem'])
  const prefix = join(d, 'via-inter')
  const i = cli(['issue', '--ca', interDir, '--san', 'i.tyk.localhost', '--out', prefix], { env: e })
  assert.is(i.code, 0, i.stderr)
  assert.is([...readFileSync(`${prefix}-fullchain.pem`, 'utf8').matchAll(/BEGIN CERTIFICATE/g)].length, 2)
  const v = openssl('verify', '-CAfile', join(caDir, 'ca.pem'), '-untrusted', `${prefix}-fullchain.pem`, `${prefix}.pem`)
  assert.is(v.code, 0, v.stderr)
  // Name constraints of the root still apply below the intermediate.
  const out = await cliInProcess(['issue', '--ca', interDir, '--san', 'example.org', '--out', join(d, 'nope')], { GATEHOUSE_CA_PASSPHRASE: 'open sesame' })
  assert.is(out.code, 1)
  assert.match(out.stderr, /outside the name constraints of CA 'CLI Test CA'/)
})

test('usage errors: unknown command, unknown flag, flag without value (exit 2); bad --days and --key-type (exit 1)', async () => {
  assert.is((await cliInProcess(['mint'])).code, 2)
  const flag = await cliInProcess(['issue', '--ca', caDir, '--sans', 'x'], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(flag.code, 2)
  assert.match(flag.stderr, /unknown flag --sans for `certs issue`/)
  assert.is((await cliInProcess(['issue', '--ca'])).code, 2)
  const days = await cliInProcess(['ca', '--out', join(d, 'c2'), '--days', 'ten'], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(days.code, 1)
  assert.is(days.stderr.split('\n')[0], "error: invalid validity 'ten' days")
  const kt = await cliInProcess(['ca', '--out', join(d, 'c2'), '--key-type', 'dsa'], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(kt.code, 1)
  assert.is(kt.stderr.split('\n')[0], "error: unknown key type 'dsa'")
})

test('sign: an openssl CSR is signed; a garbage CSR is refused naming the file', async () => {
  const csr = join(d, 'req.csr')
  assert.is(openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(d, 'req-key.pem'), '-out', csr, '-subj', '/CN=csr.tyk.localhost').code, 0)
  const r = cli(['sign', '--ca', caDir, '--csr', csr, '--out', join(d, 'signed.pem')], { env: env({ GATEHOUSE_CA_PASSPHRASE: 'open sesame' }) })
  assert.is(r.code, 0, r.stderr)
  assert.is(openssl('verify', '-CAfile', join(caDir, 'ca.pem'), join(d, 'signed.pem')).code, 0)
  assert.ok(existsSync(join(d, 'signed-fullchain.pem')))
  const garbage = put(d, 'garbage.csr', 'not a csr')
  const g = await cliInProcess(['sign', '--ca', caDir, '--csr', garbage, '--out', join(d, 'g.pem')], { GATEHOUSE_CA_PASSPHRASE: 'open sesame' })
  assert.is(g.code, 1)
  assert.is(g.stderr.split('\n')[0], `error: cannot read the certificate request in ${garbage}: no -----BEGIN CERTIFICATE REQUEST----- block`)
})

test('inspect --json: SANs, days left, key type, fingerprint as openssl computes it, chain verdict', async () => {
  const prefix = join(d, 'out', 'api')
  const r = await cliInProcess(['inspect', '--json', `${prefix}-fullchain.pem`, '--ca', join(caDir, 'ca.pem')], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(r.code, 0, r.stderr)
  const [report] = JSON.parse(r.stdout) as Array<{ certificates: Array<Record<string, unknown>>, chain: { ok: boolean, anchor: string } }>
  const leaf = report?.certificates[0] ?? {}
  assert.equal(leaf.sans, [{ type: 'dns', value: 'api.tyk.localhost' }, { type: 'ip', value: '127.0.0.1' }])
  assert.is(leaf.keyType, 'ec256')
  assert.is(leaf.keyBits, 256)
  assert.ok(leaf.daysLeft === 396 || leaf.daysLeft === 397, String(leaf.daysLeft))
  const fp = openssl('x509', '-in', `${prefix}.pem`, '-noout', '-fingerprint', '-sha256').stdout.trim().split('=')[1]
  assert.is(leaf.fingerprintSha256, fp)
  assert.equal(report?.chain, { ok: true, anchor: 'ca-file', problems: [] })
  const text = await cliInProcess(['inspect', `${prefix}.pem`], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(text.code, 1, 'the root is in neither the file nor the system store')
  assert.match(text.stdout, /chain: does NOT verify/)
  assert.match(text.stdout, /SANs: {8}DNS:api.tyk.localhost, IP Address:127.0.0.1/)
  assert.match(text.stdout, /\(39[67] days left\)/)
  // A bad file among good ones: the others are still reported, the run fails.
  const junk = put(d, 'junk.txt', 'hello')
  const mixed = await cliInProcess(['inspect', `${prefix}-key.pem`, junk], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(mixed.code, 1)
  assert.match(mixed.stdout, /private key: ec256/)
  assert.is(mixed.stderr.split('\n')[0], `error: no readable certificate in ${junk}`)
})

test('trust --dry-run prints the exact commands and changes nothing', async () => {
  const r = await cliInProcess(['trust', join(caDir, 'ca.pem'), '--dry-run'], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.is(r.code, 0, r.stderr)
  const lines = r.stdout.trim().split('\n').filter((l) => !l.startsWith('#'))
  assert.match(lines[0] ?? '', new RegExp(`^install -m 0644 ${join(caDir, 'ca.pem')} /usr/local/share/ca-certificates/gatehouse-cli-test-ca-[0-9a-f]{12}\\.crt$`))
  assert.is(lines[1], 'update-ca-certificates')
  const name = /(gatehouse-cli-test-ca-[0-9a-f]{12})/.exec(lines[0] ?? '')?.[1] ?? ''
  assert.not.ok(existsSync(`/usr/local/share/ca-certificates/${name}.crt`))
  const u = await cliInProcess(['untrust', caDir, '--dry-run'], { GATEHOUSE_CA_PASSPHRASE: undefined })
  assert.match(u.stdout, new RegExp(`rm -f /usr/local/share/ca-certificates/${name}\\.crt\nupdate-ca-certificates --fresh`))
})

test.run()
