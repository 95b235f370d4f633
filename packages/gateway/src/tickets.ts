// TLS session-ticket keys. The primary generates one key set and sends it to
// every worker, so a ticket issued by one worker resumes on any other, and
// rotates it on a timer so resumed sessions keep forward secrecy. Keys live
// only in memory and cross to workers over IPC; they are never written to disk.
//
// Node's tls.Server.setTicketKeys() holds exactly one 48-byte key (16 bytes
// name, 16 HMAC, 16 AES), so after a rotation a ticket sealed with the previous
// key cannot be decrypted: that client falls back to one full handshake, it
// does not fail. Rotation is therefore rare (12 h by default).
import { randomBytes } from 'node:crypto'

/** Size of the key block tls.Server.setTicketKeys() takes. */
export const TICKET_KEYS_BYTES = 48

/** Default rotation interval: 12 hours, ms. */
export const TICKET_ROTATION_MS = 12 * 60 * 60 * 1000

/** Fresh random session-ticket keys. */
export function newTicketKeys (): Buffer {
  return randomBytes(TICKET_KEYS_BYTES)
}
