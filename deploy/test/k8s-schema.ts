// Offline validation of Kubernetes manifests against the API's OpenAPI schemas, in two
// passes because neither is enough alone:
//  1. kubernetes-models' validators (ajv, compiled from the Kubernetes OpenAPI document and,
//     for ServiceMonitor, from the Prometheus Operator CRD): types, required fields, enums,
//     formats. They accept unknown fields, as the OpenAPI schema does not forbid them.
//  2. The same package's TypeScript interfaces, which list every field: each manifest is
//     written into a virtual .ts file as a typed object literal and compiled, so a field the
//     API does not know (`securityContxt`) is an excess-property error. This is what
//     `kubectl apply` (field validation Strict, the default since 1.27) would reject.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Service } from 'kubernetes-models/v1/Service'
import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor'

export interface Manifest {
  file: string
  doc: Record<string, unknown> & { apiVersion: string, kind: string }
}

interface Kind {
  /** Validates with the OpenAPI-derived schema; throws on the first invalid document. */
  validate: (doc: Record<string, unknown>) => void
  /** Module and interface that type the object, for the strict-field pass. */
  module: string
  type: string
}

function kind (Model: new (data: never) => { validate: () => void }, module: string, type: string): Kind {
  return { validate: (doc) => { new Model(doc as never).validate() }, module, type }
}

/** Every kind the deploy manifests may use, keyed by `apiVersion kind`. */
export const KINDS: Record<string, Kind> = {
  'v1 ServiceAccount': kind(ServiceAccount, 'kubernetes-models/v1/ServiceAccount', 'IServiceAccount'),
  'v1 ConfigMap': kind(ConfigMap, 'kubernetes-models/v1/ConfigMap', 'IConfigMap'),
  'v1 Service': kind(Service, 'kubernetes-models/v1/Service', 'IService'),
  'apps/v1 Deployment': kind(Deployment, 'kubernetes-models/apps/v1/Deployment', 'IDeployment'),
  'policy/v1 PodDisruptionBudget': kind(PodDisruptionBudget, 'kubernetes-models/policy/v1/PodDisruptionBudget', 'IPodDisruptionBudget'),
  'monitoring.coreos.com/v1 ServiceMonitor': kind(ServiceMonitor,
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor', 'IServiceMonitor')
}

function kindOf (m: Manifest): Kind {
  const k = KINDS[`${m.doc.apiVersion} ${m.doc.kind}`]
  if (k === undefined) throw new Error(`${m.file}: no schema for ${m.doc.apiVersion} ${m.doc.kind}`)
  return k
}

/** Pass 1: the OpenAPI validators. Returns one message per invalid manifest. */
export function schemaErrors (manifests: readonly Manifest[]): string[] {
  const errors: string[] = []
  for (const m of manifests) {
    try {
      kindOf(m).validate(m.doc)
    } catch (err) {
      errors.push(`${m.file} (${m.doc.kind}): ${(err as Error).message}`)
    }
  }
  return errors
}

// The virtual file sits in deploy/test so that module resolution finds deploy/node_modules.
const HERE = dirname(fileURLToPath(import.meta.url))
const VIRTUAL = join(HERE, '__manifests__.ts')

/** Pass 2: compiles each manifest as a typed literal. Returns the compiler's errors, located by manifest. */
export function unknownFieldErrors (manifests: readonly Manifest[]): string[] {
  const imports = new Set<string>()
  const lines: string[] = []
  const owner: string[] = [] // line index -> manifest that produced it
  for (const m of manifests) {
    const k = kindOf(m)
    imports.add(`import type { ${k.type} } from '${k.module}'`)
    const body = `export const m${owner.length}: ${k.type} = ${JSON.stringify(m.doc, null, 2)}`
    for (const line of body.split('\n')) {
      lines.push(line)
      owner.push(`${m.file} (${m.doc.kind} ${String((m.doc.metadata as { name?: string } | undefined)?.name ?? '')})`)
    }
  }
  const header = [...imports]
  const source = [...header, ...lines].join('\n')
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: true,
    types: []
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  const readFile = host.readFile.bind(host)
  host.getSourceFile = (name, lang, ...rest) =>
    name === VIRTUAL ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest)
  host.fileExists = (name) => name === VIRTUAL || fileExists(name)
  host.readFile = (name) => name === VIRTUAL ? source : readFile(name)
  const program = ts.createProgram([VIRTUAL], options, host)
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    if (d.file?.fileName !== VIRTUAL || d.start === undefined) return text
    const line = d.file.getLineAndCharacterOfPosition(d.start).line - header.length
    const where = owner[line] ?? 'imports'
    return `${where}: ${text} (at \`${(lines[line] ?? '').trim()}\`)`
  })
}
