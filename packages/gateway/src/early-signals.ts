// Signals that arrive before the primary can act on them. Without a handler,
// SIGHUP terminates a Node process, so a `systemctl reload` right after start
// (or Ctrl-C during a large compile) would kill the gateway. The CLI holds the
// signals from its first line; the primary takes them over once its workers
// exist and replays what came in meanwhile.

const HELD = ['SIGHUP', 'SIGTERM', 'SIGINT'] as const
const pending: NodeJS.Signals[] = []
let holding = false

function record (signal: NodeJS.Signals): void {
  pending.push(signal)
}

/** Starts recording SIGHUP/SIGTERM/SIGINT instead of letting them act (idempotent). */
export function holdSignals (): void {
  if (holding) return
  holding = true
  for (const s of HELD) process.on(s, record)
}

/** Stops recording and returns the signals received meanwhile, in order. */
export function releaseSignals (): NodeJS.Signals[] {
  if (holding) for (const s of HELD) process.off(s, record)
  holding = false
  return pending.splice(0)
}
