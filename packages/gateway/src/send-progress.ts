// The send timeout (timeouts.send, nginx's send_timeout), as both paths keep
// it: the timer is armed once when a client is slow to take an answer and,
// when it fires, waits again if the client took anything meanwhile (a drain,
// or a queued write that completed), so nothing runs per write and a client
// that takes nothing is cut one to two timeouts after the last write it took.
// This is the progress the timer looks at, and the line it logs.
import type { PlaneState } from './proxy.js'

/** A slow client's progress: its drains, and where it stood when the send timer was armed. */
export class SendProgress {
  /** The client's drains so far (its 'drain' handler counts them). */
  drains = 0
  #drains = 0
  #left = 0

  /** Remembers where the client stands (`left`: bytes still queued) as the timer is armed. */
  mark (left: number): void {
    this.#drains = this.drains
    this.#left = left
  }

  /** True if the client took anything since mark(). */
  moved (left: number): boolean {
    return this.drains !== this.#drains || left !== this.#left
  }
}

/** Logs the cut of a client that took nothing for timeouts.send. */
export function logClientStopped (plane: PlaneState, queuedBytes: number, requestId: string | undefined): void {
  plane.log({ level: 'info', msg: 'client stopped reading', timeout_ms: plane.current.table.timeouts.sendMs, queued_bytes: queuedBytes, request_id: requestId })
}
