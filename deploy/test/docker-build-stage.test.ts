// The Dockerfile's build stage, run without Docker: its own RUN lines, in order, on a clean
// export of the committed tree (`git archive HEAD`, as `COPY . .` would see a fresh clone),
// with `/out` moved into a temp dir. Then the runtime stage's whole content, that /out
// tree, must hold production dependencies only and run `gatehouse check` by itself.
// The one RUN line not executed installs pnpm globally: the test checks instead that the
// pnpm in use is the version that line would install.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { selfSignedCert } from './gateway-run.js'
import { readDeploy, repoPath, run } from './tools.js'

/** RUN lines of the first stage, continuations joined. */
function buildStageRuns (text: string): string[] {
  const joined = text.replace(/\\\n/g, ' ')
  const firstStage = joined.split(/^FROM /m)[1] ?? ''
  return [...firstStage.matchAll(/^RUN\s+(.+)$/gm)].map((m) => (m[1] ?? '').replace(/\s+/g, ' ').trim())
}

const test = suite<{ dir: string }>('Dockerfile build stage, run without Docker', { dir: '' })

test.before((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'gatehouse-image-'))
})
test.after((ctx) => {
  rmSync(ctx.dir, { recursive: true, force: true })
})

test('the build stage\'s RUN lines produce an /out tree with production dependencies only', ({ dir }) => {
  const src = join(dir, 'src')
  const out = join(dir, 'out')
  mkdirSync(src)
  execFileSync('sh', ['-c', `git -C "${repoPath('.')}" archive HEAD | tar -x -C "${src}"`], { stdio: ['ignore', 'ignore', 'pipe'] })
  const runs = buildStageRuns(readDeploy('docker/Dockerfile'))
  assert.is(runs.length, 3)
  assert.match(runs[0] ?? '', /^npm install --global .*"pnpm@\$\(node -p "require\('\.\/package\.json'\)\.packageManager\.split\('@'\)\[1\]"\)"$/)
  const pinned = (JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { packageManager: string }).packageManager.split('@')[1]
  assert.is(run('pnpm', ['--version']).stdout.trim(), pinned, 'pnpm in use differs from the version the Dockerfile installs')
  for (const line of runs.slice(1)) {
    const r = run('sh', ['-c', line.replaceAll(' /out', ` ${out}`)], {
      cwd: src, timeoutMs: 180_000, env: { ...process.env, CI: 'true' }
    })
    assert.is(r.status, 0, `RUN ${line}\n${r.stdout}${r.stderr}`)
  }
  const modules = readdirSync(join(out, 'node_modules'))
  const gatewayPkg = JSON.parse(readFileSync(join(src, 'packages/gateway/package.json'), 'utf8')) as { dependencies: Record<string, string>, devDependencies?: Record<string, string> }
  for (const dep of ['@gatehouse', ...Object.keys(gatewayPkg.dependencies).filter((d) => !d.startsWith('@gatehouse/'))]) assert.ok(modules.includes(dep.split('/')[0] ?? dep), `${dep} missing`)
  assert.equal(readdirSync(join(out, 'node_modules', '@gatehouse')).sort(), ['certs', 'config'])
  // Dev dependencies of the workspace and the gateway must not be there, hoisted or not.
  const all = readdirSync(join(out, 'node_modules', '.pnpm'))
  // Read from the package files, so moving a package between the lists cannot make this stale.
  const rootPkg = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> }
  const devNames = [...Object.keys(rootPkg.devDependencies ?? {}), ...Object.keys(gatewayPkg.devDependencies ?? {})]
    .filter((d) => !(d in gatewayPkg.dependencies))
    .map((d) => d.startsWith('@types/') ? '@types+' : `${d.replace('/', '+')}@`)
  assert.ok(devNames.includes('typescript@') && devNames.includes('uvu@'))
  for (const dev of new Set(devNames)) {
    assert.equal(all.filter((d) => d.startsWith(dev)), [], `dev dependency ${dev} in the image`)
  }
  assert.ok(existsSync(join(out, 'dist', 'cli.js')), 'no dist/cli.js in /out: the ENTRYPOINT would fail')
})

test('the /out tree runs by itself: gatehouse check on a config', ({ dir }) => {
  const out = join(dir, 'out')
  assert.ok(existsSync(join(out, 'dist', 'cli.js')), 'the previous test did not produce /out')
  const { cert, key } = selfSignedCert(dir)
  const config = join(dir, 'gatehouse.yaml')
  writeFileSync(config, [
    'version: 1',
    'listen: { https: { host: 127.0.0.1, port: 8443 } }',
    'tls:',
    `  certificates: [{ cert_file: ${cert}, key_file: ${key} }]`,
    'apis:',
    '  - { name: api, listen_path: /, upstream: { targets: [http://127.0.0.1:9000] } }',
    ''
  ].join('\n'))
  // cwd outside the repository, so nothing resolves from the workspace's node_modules.
  const r = run(process.execPath, [join(out, 'dist', 'cli.js'), 'check', '-c', config], { cwd: dir, timeoutMs: 30_000 })
  assert.is(r.status, 0, r.stdout + r.stderr)
})

test.run()
