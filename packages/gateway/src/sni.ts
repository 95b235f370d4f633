// TLS certificate selection for the public listener. Every certificate of a
// table becomes one SecureContext, built once when the table arrives, each with
// its own full chain (ANCHORS: OpenSSL can otherwise send the default context's
// intermediate with another leaf). The SNI callback is two Map lookups: the
// exact name, then the parent of a one-label wildcard, then the default.
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls'
import { constants, createHash } from 'node:crypto'
import type { RoutingTable } from '@gatehouse/config'

/** A table's certificates as SecureContexts, indexed for SNI. */
export interface CertIndex {
  contexts: SecureContext[]
  exact: Map<string, SecureContext>
  wildcard: Map<string, SecureContext>
  defaultContext: SecureContext
  /** Options for the server's own (default) context: the default certificate. */
  defaultOptions: SecureContextOptions
  /** Contexts by the hash of everything that shaped them, so the next table can reuse unchanged ones. */
  byKey: Map<string, SecureContext>
}

// Session id context: any fixed string shared by all workers, so session-id
// resumption is not refused by OpenSSL's context check.
const SESSION_ID_CONTEXT = 'gatehouse'

/** The SecureContext options for one certificate of the table. */
export function contextOptions (table: RoutingTable, index: number, ticketKeys: Buffer): SecureContextOptions {
  const tls = table.tls
  const cert = tls.certificates[index]
  if (cert === undefined) throw new RangeError(`certificate index ${index} is out of range`)
  const opts: SecureContextOptions = {
    cert: cert.certPem,
    key: cert.keyPem,
    minVersion: tls.minVersion,
    ciphers: tls.ciphers,
    honorCipherOrder: true,
    sessionIdContext: SESSION_ID_CONTEXT,
    ticketKeys,
    // Without tickets only TLS 1.2 resumes, by session id from the worker's
    // cache (dataplane.ts). TLS 1.3 does not: Node's resumeSession hook sees
    // the legacy session id, never the identity of a stateful ticket.
    secureOptions: tls.sessionTickets ? 0 : constants.SSL_OP_NO_TICKET
  }
  // The client CA must be in every context: after SNI switches the SSL_CTX,
  // OpenSSL verifies the client chain against the selected context's store.
  if (tls.clientCaPem !== null) opts.ca = tls.clientCaPem
  return opts
}

function contextKey (table: RoutingTable, index: number): string {
  const tls = table.tls
  const cert = tls.certificates[index]
  const h = createHash('sha256')
  h.update(cert?.certPem ?? '').update('\0').update(cert?.keyPem ?? '').update('\0').update(tls.minVersion).update('\0')
  h.update(tls.ciphers).update('\0').update(tls.clientCaPem ?? '').update('\0').update(tls.sessionTickets ? '1' : '0')
  return h.digest('hex')
}

/**
 * Builds every SecureContext of a table once. Contexts whose certificate, key and
 * TLS settings are unchanged since `previous` are reused: a reload with 500
 * certificates then costs a few hashes, not 500 context builds on the event loop.
 */
export function buildCertIndex (table: RoutingTable, ticketKeys: Buffer, previous: CertIndex | null = null): CertIndex {
  const tls = table.tls
  const contexts: SecureContext[] = []
  const byKey = new Map<string, SecureContext>()
  for (let i = 0; i < tls.certificates.length; i++) {
    const key = contextKey(table, i)
    let ctx = byKey.get(key) ?? previous?.byKey.get(key)
    if (ctx === undefined) ctx = createSecureContext(contextOptions(table, i, ticketKeys))
    byKey.set(key, ctx)
    contexts.push(ctx)
  }
  const exact = new Map<string, SecureContext>()
  for (const name of Object.keys(tls.exactCerts)) {
    const ctx = contexts[tls.exactCerts[name] as number]
    if (ctx !== undefined) exact.set(name, ctx)
  }
  const wildcard = new Map<string, SecureContext>()
  for (const parent of Object.keys(tls.wildcardCerts)) {
    const ctx = contexts[tls.wildcardCerts[parent] as number]
    if (ctx !== undefined) wildcard.set(parent, ctx)
  }
  const defaultContext = contexts[tls.defaultCertificate] ?? contexts[0]
  if (defaultContext === undefined) throw new RangeError('the routing table has no TLS certificate')
  return {
    contexts,
    exact,
    wildcard,
    defaultContext,
    defaultOptions: contextOptions(table, contexts[tls.defaultCertificate] !== undefined ? tls.defaultCertificate : 0, ticketKeys),
    byKey
  }
}

/** Picks the context for an SNI name: exact, then one-label wildcard, then default. */
export function selectContext (index: CertIndex, servername: string): SecureContext {
  // OpenSSL hands us the name as sent; DNS names are case-insensitive.
  const name = servername.toLowerCase()
  const exact = index.exact.get(name)
  if (exact !== undefined) return exact
  const dot = name.indexOf('.')
  if (dot > 0) {
    const wild = index.wildcard.get(name.slice(dot + 1))
    if (wild !== undefined) return wild
  }
  return index.defaultContext
}

interface NativeContext { setTicketKeys(keys: Buffer): void }

/** Replaces the ticket keys of every context (the server's own is set by the caller). */
export function setContextTicketKeys (index: CertIndex, keys: Buffer): void {
  for (const ctx of index.contexts) (ctx as unknown as { context: NativeContext }).context.setTicketKeys(keys)
  index.defaultOptions.ticketKeys = keys
}
