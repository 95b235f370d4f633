// Operational log lines of the primary and workers (not the access log): one
// JSON object per line on stdout, so systemd's journal, Kubernetes and any log
// shipper read them as they are; a short human form when stdout is a terminal.
import { hostname } from 'node:os'

/** Severity of an operational log line. */
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal'

const LEVELS: ReadonlySet<unknown> = new Set<Level>(['debug', 'info', 'warn', 'error', 'fatal'])

/** True if `value` names a Level. */
export function isLevel (value: unknown): value is Level {
  return LEVELS.has(value)
}

/** A structured operational logger. */
export type Logger = (level: Level, msg: string, fields?: Record<string, unknown>) => void

const HOST = hostname()

/** Creates a logger that writes JSON lines (or a readable form on a TTY) to `out`. */
export function createLogger (component: string, out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Logger {
  const human = out.isTTY === true && process.env.GATEHOUSE_LOG_FORMAT !== 'json'
  const base = `"pid":${process.pid},"hostname":${JSON.stringify(HOST)},"component":${JSON.stringify(component)}`
  return function log (level, msg, fields) {
    if (human) {
      const extra = fields === undefined ? '' : ' ' + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
      out.write(`${new Date().toISOString().slice(11, 19)} ${level.toUpperCase().padEnd(5)} ${component}: ${msg}${extra}\n`)
      return
    }
    const rest = fields === undefined ? '' : ',' + JSON.stringify(fields).slice(1, -1)
    out.write(`{"time":${JSON.stringify(new Date().toISOString())},"level":"${level}",${base},"msg":${JSON.stringify(msg)}${rest === ',' ? '' : rest}}\n`)
  }
}
