// deploy/kubernetes: the kustomization lists exactly the manifests that exist, every
// manifest validates against the Kubernetes OpenAPI schemas (ServiceMonitor against the
// Prometheus Operator CRD) with no unknown field, and the objects agree with each other and
// with the gateway's config: selectors, named ports, probes on the admin port, mounts under
// the paths gatehouse.yaml names, grace period above shutdown_timeout, workers from the
// CPU limit.
import { readdirSync } from 'node:fs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parse, parseAllDocuments } from 'yaml'
import { type Manifest, schemaErrors, unknownFieldErrors } from './k8s-schema.js'
import { readDeploy } from './tools.js'

type Obj = Record<string, any>

const DIR = 'kubernetes'
const kustomization = parse(readDeploy(`${DIR}/kustomization.yaml`)) as Obj

/**
 * Parses a manifest file the way Kubernetes does (YAML 1.1, as go-yaml) and requires the
 * same result under YAML 1.2, so no value depends on which rules a tool applies (0440, yes).
 */
function load (file: string): Manifest[] {
  const text = readDeploy(`${DIR}/${file}`)
  const out: Manifest[] = []
  const v11 = parseAllDocuments(text, { version: '1.1' })
  const v12 = parseAllDocuments(text, { version: '1.2' })
  if (!Array.isArray(v11) || !Array.isArray(v12)) throw new Error(`${file}: not a YAML stream`)
  v11.forEach((doc, i) => {
    const problems = [...doc.errors, ...doc.warnings]
    if (problems.length > 0) throw new Error(`${file}: ${problems.map((e) => e.message).join('; ')}`)
    const js = doc.toJS() as Manifest['doc'] | null
    if (js === null) return
    assert.equal(js, v12[i]?.toJS(), `${file}: document ${i} reads differently under YAML 1.1 and 1.2`)
    out.push({ file, doc: js })
  })
  return out
}

/** What `kustomize build` emits for this base: its resources, with the images transform applied. */
function build (): Manifest[] {
  const manifests = (kustomization.resources as string[]).flatMap(load)
  for (const { doc } of manifests) {
    for (const c of (doc as Obj).spec?.template?.spec?.containers ?? []) {
      const rule = (kustomization.images as Obj[]).find((r) => r.name === c.image)
      if (rule) c.image = `${rule.newName ?? rule.name}:${rule.newTag}`
    }
  }
  return manifests
}

const all = build()
function one (kind: string, name?: string): Obj {
  const found = all.filter((m) => m.doc.kind === kind && (name === undefined || m.doc.metadata?.['name' as never] === name))
  assert.is(found.length, 1, `expected one ${kind} ${name ?? ''}, found ${found.length}`)
  return found[0]!.doc
}
const deployment = one('Deployment')
const pod = deployment.spec.template.spec
const container = pod.containers[0]
const configMap = one('ConfigMap')
const gatehouseYaml = parse(configMap.data['gatehouse.yaml']) as Obj

function containerPort (name: string): number {
  const port = (container.ports as Obj[]).find((p) => p.name === name)
  assert.ok(port, `container has no port named ${name}`)
  return port.containerPort
}
function matches (selector: Obj, labels: Obj): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v)
}

const test = suite('kubernetes manifests')

test('kustomization.yaml lists exactly the manifests in the directory, with known keys only', () => {
  const known = new Set(['apiVersion', 'kind', 'resources', 'images'])
  for (const key of Object.keys(kustomization)) assert.ok(known.has(key), `unexpected kustomization key ${key}`)
  assert.is(kustomization.apiVersion, 'kustomize.config.k8s.io/v1beta1')
  assert.is(kustomization.kind, 'Kustomization')
  const onDisk = readdirSync(new URL(`../${DIR}/`, import.meta.url)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  assert.equal([...kustomization.resources].sort(), onDisk.sort())
  assert.is(new Set(all.map((m) => `${m.doc.kind}/${m.doc.metadata?.['name' as never]}`)).size, all.length, 'duplicate objects')
})

test('every manifest validates against the OpenAPI schema', () => {
  assert.equal(schemaErrors(all), [])
  assert.equal(all.map((m) => m.doc.kind).sort(),
    ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceAccount', 'ServiceMonitor'])
})

test('no manifest has a field the API does not know', () => {
  assert.equal(unknownFieldErrors(all), [])
})

test('both validation passes catch what they are for (controls)', () => {
  const broken = structuredClone(deployment)
  broken.spec.replicas = 'two'
  assert.match(schemaErrors([{ file: 'control', doc: broken as Manifest['doc'] }])[0] ?? '', /replicas must be integer/)
  const typo = structuredClone(deployment)
  typo.spec.template.spec.containers[0].securityContxt = { runAsNonRoot: true }
  const errors = unknownFieldErrors([{ file: 'control', doc: typo as Manifest['doc'] }])
  assert.is(errors.length, 1)
  assert.match(errors[0] ?? '', /"securityContxt"' does not exist in type 'IContainer'/)
  const monitor = structuredClone(one('ServiceMonitor'))
  monitor.spec.endpoints[0].intervall = '15s'
  assert.match(unknownFieldErrors([{ file: 'control', doc: monitor as Manifest['doc'] }])[0] ?? '', /"intervall"' does not exist/)
})

test('Deployment: two replicas, probes on the admin port, drain before the grace period ends', () => {
  assert.is(deployment.spec.replicas, 2)
  assert.is(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0)
  const admin = containerPort('admin')
  assert.is(admin, gatehouseYaml.admin.port)
  assert.is(gatehouseYaml.admin.host, '0.0.0.0', 'probes and scrapes come from outside the pod')
  assert.equal(container.readinessProbe.httpGet, { path: '/readyz', port: 'admin' })
  assert.equal(container.livenessProbe.httpGet, { path: '/healthz', port: 'admin' })
  assert.equal(container.startupProbe.httpGet, { path: '/healthz', port: 'admin' })
  const preStop = container.lifecycle.preStop.exec.command as string[]
  assert.is(preStop[0], 'sleep')
  const pause = Number(preStop[1])
  const drain = Number(/^(\d+)s$/.exec(gatehouseYaml.shutdown_timeout)?.[1])
  assert.ok(pause >= 3 && drain > 0)
  assert.ok(pod.terminationGracePeriodSeconds >= pause + drain + 5,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} < preStop ${pause}s + shutdown_timeout ${drain}s + 5s`)
})

test('Deployment: GATEHOUSE_WORKERS comes from the CPU limit of this container', () => {
  const env = (container.env as Obj[]).find((e) => e.name === 'GATEHOUSE_WORKERS')
  assert.equal(env?.valueFrom.resourceFieldRef, { containerName: container.name, resource: 'limits.cpu', divisor: '1' })
  assert.ok(container.resources.limits.cpu, 'no CPU limit to size the workers by')
  assert.ok(container.resources.limits.memory)
  assert.equal(container.resources.requests, container.resources.limits, 'Guaranteed QoS')
})

test('Deployment: non-root, read-only root file system, no capabilities, no API token', () => {
  const sc = container.securityContext
  assert.is(sc.readOnlyRootFilesystem, true)
  assert.is(sc.allowPrivilegeEscalation, false)
  assert.equal(sc.capabilities.drop, ['ALL'])
  assert.is(sc.capabilities.add, undefined)
  assert.is(pod.securityContext.runAsNonRoot, true)
  assert.ok(pod.securityContext.runAsUser > 0)
  assert.is(pod.securityContext.seccompProfile.type, 'RuntimeDefault')
  assert.is(pod.automountServiceAccountToken, false)
  assert.is(pod.serviceAccountName, one('ServiceAccount').metadata.name)
  assert.ok(containerPort('https') > 1024, 'an unprivileged user cannot bind below 1024 without a capability')
  assert.is(container.image, 'gatehouse:0.1.0', 'kustomize images transform applied')
})

test('Deployment: config and TLS mounted as directories at the paths gatehouse.yaml names', () => {
  const mount = (volume: string): Obj => (container.volumeMounts as Obj[]).find((m) => m.name === volume) ?? {}
  const volume = (name: string): Obj => (pod.volumes as Obj[]).find((v) => v.name === name) ?? {}
  // A subPath mount is never updated by the kubelet: reload.watch would see nothing.
  for (const m of container.volumeMounts as Obj[]) {
    assert.is(m.subPath, undefined, `${m.name} uses subPath`)
    assert.is(m.readOnly ?? false, m.name !== 'tmp')
  }
  assert.is(volume('config').configMap.name, configMap.metadata.name)
  assert.equal(container.args, ['start', '-c', `${mount('config').mountPath}/gatehouse.yaml`])
  const tlsDir = mount('tls').mountPath as string
  assert.is(volume('tls').secret.secretName, 'gatehouse-tls')
  assert.is(volume('tls').secret.defaultMode, 0o440)
  for (const c of gatehouseYaml.tls.certificates as Obj[]) {
    assert.equal([c.cert_file, c.key_file], [`${tlsDir}/tls.crt`, `${tlsDir}/tls.key`])
  }
  assert.equal(gatehouseYaml.reload, { watch: true })
  assert.is(gatehouseYaml.listen.https.port, containerPort('https'))
})

test('Services: 443 -> the https port; the admin port only on the headless metrics Service', () => {
  const podLabels = deployment.spec.template.metadata.labels
  assert.ok(matches(deployment.spec.selector.matchLabels, podLabels))
  const pub = one('Service', 'gatehouse')
  assert.ok(matches(pub.spec.selector, podLabels))
  assert.equal(pub.spec.ports.map((p: Obj) => [p.port, p.targetPort]), [[443, 'https']])
  const admin = one('Service', 'gatehouse-admin')
  assert.ok(matches(admin.spec.selector, podLabels))
  assert.is(admin.spec.clusterIP, 'None')
  assert.equal(admin.spec.ports.map((p: Obj) => [p.name, p.targetPort]), [['metrics', 'admin']])
})

test('PodDisruptionBudget keeps one pod of the two', () => {
  const pdb = one('PodDisruptionBudget')
  assert.ok(matches(pdb.spec.selector.matchLabels, deployment.spec.template.metadata.labels))
  assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < deployment.spec.replicas)
})

test('Prometheus: pod annotations and a ServiceMonitor both point at /metrics on the admin port', () => {
  const a = deployment.spec.template.metadata.annotations
  assert.is(a['prometheus.io/scrape'], 'true')
  assert.is(Number(a['prometheus.io/port']), containerPort('admin'))
  assert.is(a['prometheus.io/path'], '/metrics')
  const sm = one('ServiceMonitor')
  const admin = one('Service', 'gatehouse-admin')
  assert.ok(matches(sm.spec.selector.matchLabels, admin.metadata.labels))
  assert.not.ok(matches(sm.spec.selector.matchLabels, one('Service', 'gatehouse').metadata.labels), 'would select the public Service too')
  assert.equal(sm.spec.endpoints.map((e: Obj) => [e.port, e.path]), [['metrics', '/metrics']])
  assert.is(admin.metadata.labels[sm.spec.jobLabel], 'gatehouse', 'the alert rules expect job="gatehouse"')
})

test.run()
