// deploy/systemd/gatehouse.service: `systemd-analyze verify` accepts it without a single
// warning, `systemd-analyze security --offline` scores it at most 2.0, and the settings
// the gateway's contract depends on (check before start and reload, drain on SIGTERM,
// unprivileged user with only CAP_NET_BIND_SERVICE) are the ones in the file.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readDeploy, requireTool, run } from './tools.js'
import { execArgv, parseUnit, timespanSeconds, value, values } from './unit-file.js'

const UNIT_TEXT = readDeploy('systemd/gatehouse.service')
const unit = parseUnit(UNIT_TEXT)
const BIN = '/usr/local/bin/gatehouse'
const CONFIG = '/etc/gatehouse/gatehouse.yaml'
/** DESIGN.md: shutdown_timeout defaults to 30s. */
const DEFAULT_SHUTDOWN_TIMEOUT_S = 30

const test = suite<{ dir: string }>('systemd unit', { dir: '' })

test.before((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'gatehouse-systemd-'))
})

test.after((ctx) => {
  rmSync(ctx.dir, { recursive: true, force: true })
})

/**
 * Writes the unit into the temp dir with the gatehouse binary path pointing at a real
 * executable there, because verify rejects an ExecStart whose binary does not exist.
 * Nothing outside the temp dir is created.
 */
function stageUnit (dir: string, name: string, text: string): string {
  const bin = join(dir, 'gatehouse')
  writeFileSync(bin, '#!/bin/sh\nexit 0\n')
  chmodSync(bin, 0o755)
  const path = join(dir, name)
  writeFileSync(path, text.replaceAll(BIN, bin))
  return path
}

test('systemd-analyze verify accepts the unit with no warning at all', ({ dir }) => {
  requireTool('systemd-analyze')
  const path = stageUnit(dir, 'gatehouse.service', UNIT_TEXT)
  const r = run('systemd-analyze', ['verify', path])
  assert.is(r.stdout + r.stderr, '', 'verify printed warnings')
  assert.is(r.status, 0)
})

test('the verify check above would catch a misspelled directive or a bad value', ({ dir }) => {
  requireTool('systemd-analyze')
  // verify exits 0 on these ("ignoring"), which is why the test above requires empty output.
  const broken = UNIT_TEXT.replace('KillMode=mixed', 'KillMode=mixd').replace('ProtectHome=yes', 'ProtectHom=yes')
  const path = stageUnit(dir, 'broken.service', broken)
  const r = run('systemd-analyze', ['verify', path])
  assert.match(r.stderr, /Failed to parse kill mode/)
  assert.match(r.stderr, /Unknown key 'ProtectHom'/)
})

test('systemd-analyze security --offline scores the hardening at most 2.0', ({ dir }) => {
  requireTool('systemd-analyze')
  const path = stageUnit(dir, 'gatehouse.service', UNIT_TEXT)
  const r = run('systemd-analyze', ['security', '--offline=yes', '--no-pager', path])
  const m = /Overall exposure level for gatehouse\.service: (\d+\.\d)/.exec(r.stdout + r.stderr)
  assert.ok(m, `no exposure score in:\n${r.stdout}${r.stderr}`)
  assert.ok(Number(m[1]) <= 2.0, `exposure ${m[1]} > 2.0`)
})

test('the config is checked before start and before SIGHUP, on the same file it runs', () => {
  assert.equal(values(unit, 'Service', 'ExecStartPre').map(execArgv), [[BIN, 'check', '-c', CONFIG]])
  assert.equal(execArgv(value(unit, 'Service', 'ExecStart')), [BIN, 'start', '-c', CONFIG])
  // ExecReload lines run in order and stop at the first failure: check, then signal.
  assert.equal(values(unit, 'Service', 'ExecReload').map(execArgv), [
    [BIN, 'check', '-c', CONFIG],
    ['/bin/kill', '-HUP', '$MAINPID']
  ])
  assert.is(value(unit, 'Service', 'Type'), 'exec')
})

test('stop sends SIGTERM to the primary alone and waits longer than shutdown_timeout', () => {
  assert.is(value(unit, 'Service', 'KillSignal'), 'SIGTERM')
  assert.is(value(unit, 'Service', 'KillMode'), 'mixed')
  const stop = timespanSeconds(value(unit, 'Service', 'TimeoutStopSec'))
  assert.ok(stop >= DEFAULT_SHUTDOWN_TIMEOUT_S + 10, `TimeoutStopSec ${stop}s leaves no room above ${DEFAULT_SHUTDOWN_TIMEOUT_S}s`)
  assert.is(value(unit, 'Service', 'Restart'), 'on-failure')
})

test('runs as a dedicated user holding only CAP_NET_BIND_SERVICE', () => {
  const user = value(unit, 'Service', 'User')
  assert.ok(user !== 'root' && user !== '0' && user !== '', `User=${user}`)
  assert.is(value(unit, 'Service', 'AmbientCapabilities'), 'CAP_NET_BIND_SERVICE')
  assert.is(value(unit, 'Service', 'CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE')
  assert.is(value(unit, 'Service', 'NoNewPrivileges'), 'yes')
})

test('file-system hardening, descriptor limit, and nothing that breaks V8', () => {
  for (const [key, expected] of [
    ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'],
    ['PrivateDevices', 'yes'], ['RestrictSUIDSGID', 'yes'], ['LockPersonality', 'yes']
  ] as const) {
    assert.is(value(unit, 'Service', key), expected, `${key}=`)
  }
  // ProtectSystem=strict leaves nothing writable; a ReadWritePaths= would be a hole to explain.
  assert.equal(values(unit, 'Service', 'ReadWritePaths'), [])
  assert.ok(Number(value(unit, 'Service', 'LimitNOFILE')) >= 65536)
  assert.equal(values(unit, 'Service', 'MemoryDenyWriteExecute'), [], 'V8 needs W+X pages')
  assert.equal(values(unit, 'Service', 'PrivateUsers'), [], 'would void CAP_NET_BIND_SERVICE')
})

test('the README installs the paths the unit names', () => {
  const readme = readDeploy('systemd/README.md')
  assert.ok(readme.includes(BIN))
  assert.ok(readme.includes(CONFIG))
  assert.ok(readme.includes('useradd --system'))
  assert.ok(readme.includes(value(unit, 'Service', 'User')))
})

test.run()
