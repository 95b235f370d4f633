// The messages the primary and its workers exchange over the cluster IPC
// channel (serialization: 'advanced', so Buffers cross intact). One typed
// union per direction, dispatched through a table of named handlers on each
// side, so an unknown `act` is ignored rather than misread.
import type { RoutingTable } from '@gatehouse/config'
import type { MetricObjectWithValues, MetricValue } from 'prom-client'

/** A registry snapshot as prom-client's getMetricsAsJSON() returns it. */
export type MetricsSnapshot = Array<MetricObjectWithValues<MetricValue<string>>>

/** Primary -> worker. */
export type ToWorker =
  | { act: 'table', table: RoutingTable, ticketKeys: Buffer | null }
  | { act: 'keys', ticketKeys: Buffer }
  | { act: 'drain', timeoutMs: number }
  | { act: 'metrics', id: number }

/** Worker -> primary. */
export type ToPrimary =
  | { act: 'hello' }
  | { act: 'listening', https: number, http: number | null }
  | { act: 'swapped', version: string }
  | { act: 'swap-failed', version: string, message: string }
  | { act: 'metrics', id: number, snapshot: MetricsSnapshot }
  | { act: 'log', entry: Record<string, unknown> }
  | { act: 'fatal', message: string }

/** Whether a value received over IPC is one of our messages (prom-client and node send others). */
export function isGatehouseMessage (msg: unknown): msg is { act: string } {
  return typeof msg === 'object' && msg !== null && typeof (msg as { act?: unknown }).act === 'string'
}
