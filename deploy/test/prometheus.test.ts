// deploy/prometheus: `promtool check config`, `promtool check rules` and the rule unit tests
// (`promtool test rules`) pass; the unit tests cover every alert both firing and quiet, and
// they fail when a threshold changes; every metric the rules use is one the gateway
// defines; and the Kubernetes scrape job, which Debian's promtool cannot load (it is built
// without Kubernetes discovery), is checked by promtool with its discovery swapped for a
// static target, and its relabelling run against the pod that deployment.yaml describes.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parse, stringify } from 'yaml'
import { deployPath, readDeploy, repoPath, requireTool, run } from './tools.js'

type Obj = Record<string, any>

const rules = parse(readDeploy('prometheus/alerts.yml')) as Obj
const unitTests = parse(readDeploy('prometheus/tests/alerts.test.yml')) as Obj
const alertNames: string[] = rules.groups.flatMap((g: Obj) => g.rules.map((r: Obj) => r.alert))

const test = suite<{ dir: string }>('prometheus config and alert rules', { dir: '' })

test.before((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'gatehouse-prom-'))
})
test.after((ctx) => {
  rmSync(ctx.dir, { recursive: true, force: true })
})

function promtool (...args: string[]): { ok: boolean, out: string } {
  requireTool('promtool')
  const r = run('promtool', args, { cwd: deployPath('prometheus'), timeoutMs: 60_000 })
  return { ok: r.status === 0, out: r.stdout + r.stderr }
}

test('promtool check config: prometheus.yml and the rule file it loads', () => {
  const r = promtool('check', 'config', 'prometheus.yml')
  assert.ok(r.ok, r.out)
  assert.match(r.out, /SUCCESS: 1 rule files found/)
})

test('promtool check rules: every rule valid, no duplicates', () => {
  const r = promtool('check', 'rules', 'alerts.yml')
  assert.ok(r.ok, r.out)
  assert.match(r.out, new RegExp(`SUCCESS: ${alertNames.length} rules found`))
})

test('promtool test rules: the unit tests pass', () => {
  const r = promtool('test', 'rules', 'tests/alerts.test.yml')
  assert.ok(r.ok, r.out)
  assert.match(r.out, /SUCCESS/)
})

test('the issue\'s alerts exist and every alert is tested firing and quiet', () => {
  for (const name of ['GatehouseCertificateExpiringSoon', 'GatehouseConfigReloadFailed', 'GatehouseHighErrorRatio',
    'GatehouseHighLatencyP99', 'GatehouseWorkerRestarts', 'GatehouseDown']) {
    assert.ok(alertNames.includes(name), `missing alert ${name}`)
  }
  const cases: Obj[] = unitTests.tests.flatMap((t: Obj) => t.alert_rule_test ?? [])
  for (const name of alertNames) {
    const mine = cases.filter((c) => c.alertname === name)
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${name} is never tested firing`)
    if (name !== 'GatehouseAllDown') assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${name} is never tested quiet`)
  }
})

test('the unit tests fail when a threshold or a selector changes (controls)', ({ dir }) => {
  requireTool('promtool')
  const mutations: Array<[string, string]> = [
    ['< 14 * 86400', '< 7 * 86400'],
    ['result="failure"}[15m]', 'result="success"}[15m]'],
    [') > 0.05', ') > 0.2'],
    ['histogram_quantile(0.99,', 'histogram_quantile(0.9,']
  ]
  mkdirSync(join(dir, 'tests'), { recursive: true })
  copyFileSync(deployPath('prometheus/tests/alerts.test.yml'), join(dir, 'tests', 'alerts.test.yml'))
  const original = readDeploy('prometheus/alerts.yml')
  for (const [from, to] of mutations) {
    assert.ok(original.includes(from), `control needs "${from}" in alerts.yml`)
    writeFileSync(join(dir, 'alerts.yml'), original.replace(from, to))
    const r = run('promtool', ['test', 'rules', 'tests/alerts.test.yml'], { cwd: dir, timeoutMs: 60_000 })
    assert.is.not(r.status, 0, `unit tests still pass with ${from} -> ${to}`)
  }
})

test('every metric the rules use is one the gateway defines', () => {
  const defined = new Set([...readFileSync(repoPath('packages/gateway/src/metrics.ts'), 'utf8')
    .matchAll(/name: '(gatehouse_[a-z_]+)'/g)].map((m) => m[1]))
  const used = new Set([...readDeploy('prometheus/alerts.yml').matchAll(/\b(gatehouse_[a-z_]+)\{/g)]
    .map((m) => (m[1] ?? '').replace(/_(bucket|count|sum)$/, '')))
  assert.ok(used.size >= 6, `only ${used.size} metrics found`)
  for (const name of used) assert.ok(defined.has(name), `${name} is not defined in packages/gateway/src/metrics.ts`)
})

// ---- the Kubernetes scrape job ----------------------------------------------------------------

const k8sJob = (parse(readDeploy('prometheus/kubernetes-scrape.yml')) as Obj).scrape_configs[0] as Obj

test('kubernetes-scrape.yml: promtool accepts the job with its discovery replaced by a static target', ({ dir }) => {
  requireTool('promtool')
  assert.equal(k8sJob.kubernetes_sd_configs, [{ role: 'pod' }])
  const { kubernetes_sd_configs: _sd, ...rest } = k8sJob
  const config = { scrape_configs: [{ ...rest, static_configs: [{ targets: ['10.0.0.1:9090'] }] }] }
  writeFileSync(join(dir, 'k8s.yml'), stringify(config))
  const r = run('promtool', ['check', 'config', 'k8s.yml'], { cwd: dir })
  assert.is(r.status, 0, r.stdout + r.stderr)
})

/** Prometheus relabelling (keep, drop, replace), with its defaults and fully anchored RE2-style regexes. */
function relabel (labels: Record<string, string>, configs: Obj[]): Record<string, string> | null {
  const out = { ...labels }
  for (const c of configs) {
    const action = c.action ?? 'replace'
    const regex = new RegExp(`^(?:${c.regex ?? '(.*)'})$`)
    const source = (c.source_labels ?? []).map((l: string) => out[l] ?? '').join(c.separator ?? ';')
    const m = regex.exec(source)
    if (action === 'keep' && !m) return null
    if (action === 'drop' && m) return null
    if (action === 'replace' && m) {
      const value = String(c.replacement ?? '$1').replace(/\$\{?(\d+)\}?/g, (_, i: string) => m[Number(i)] ?? '')
      if (value === '') delete out[c.target_label]
      else out[c.target_label] = value
    }
    if (!['keep', 'drop', 'replace'].includes(action)) throw new Error(`relabel action ${action} not simulated`)
  }
  return out
}

test('kubernetes-scrape.yml: deployment.yaml\'s pod yields one target, its admin port, job="gatehouse"', () => {
  const deployment = parse(readDeploy('kubernetes/deployment.yaml')) as Obj
  const template = deployment.spec.template
  const meta = (prefix: string, map: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(map).map(([k, v]) => [`${prefix}${k.replace(/[^a-zA-Z0-9_]/g, '_')}`, v]))
  const targets: Array<Record<string, string>> = []
  // What Kubernetes pod discovery produces: one target per declared container port.
  for (const container of template.spec.containers) {
    for (const port of container.ports) {
      const t = relabel({
        __address__: `10.1.2.3:${port.containerPort}`,
        __metrics_path__: '/metrics',
        job: k8sJob.job_name,
        __meta_kubernetes_namespace: 'edge',
        __meta_kubernetes_pod_name: 'gatehouse-abc12',
        __meta_kubernetes_pod_container_port_name: port.name,
        __meta_kubernetes_pod_container_port_number: String(port.containerPort),
        ...meta('__meta_kubernetes_pod_label_', template.metadata.labels),
        ...meta('__meta_kubernetes_pod_annotation_', template.metadata.annotations)
      }, k8sJob.relabel_configs)
      if (t) targets.push(t)
    }
  }
  assert.is(targets.length, 1)
  const [t] = targets
  assert.is(t?.__address__, `10.1.2.3:${template.metadata.annotations['prometheus.io/port']}`)
  assert.is(t?.__metrics_path__, template.metadata.annotations['prometheus.io/path'])
  assert.is(t?.job, 'gatehouse')
  assert.is(t?.pod, 'gatehouse-abc12')
})

test.run()
