// Client reads without a new Buffer per TLS record. A TLS socket hands JS each
// decrypted record (up to 16 KiB) in a Buffer of its own: allocated, wrapped,
// pushed through the Readable machinery and later freed by the GC — per
// request on keep-alive traffic, per 16 KiB of an upload. net's `onread`
// option instead reads into memory the caller supplies and calls one function;
// tls.Server's sockets do not take the option, but their handle (TLSWrap, a
// StreamBase) has the same `useUserBuffer`, and net reads the option from
// three symbol-keyed fields, found here by description on a probe socket. Where
// a Node release renamed them, `readInto` says no and the fast path reads
// through 'data' events as before.
//
// Where a read lands is decided after each read, for the next one: a record
// used up within its callback (a request head, parsed into strings) goes to
// SCRATCH, shared by every connection; one that will be kept (a body being
// streamed upstream) goes to a region of a body slab reserved for that read
// alone (after a read of at least 4 KiB: a body sent in small records goes
// through SCRATCH and is copied, rather than pinning a region per record).
// Bytes in SCRATCH that must outlive their callback are copied (`owned`); slab
// regions are never written twice, and a slab is left to the GC once its room
// runs out.
import net from 'node:net'
import type { TLSSocket } from 'node:tls'

interface OnreadKeys { buffer: symbol, callback: symbol, generator: symbol }

function findOnreadKeys (): OnreadKeys | null {
  const buffer = Buffer.alloc(1)
  const probe = new net.Socket({ onread: { buffer: () => buffer, callback: () => true } } as net.SocketConstructorOpts)
  const keys = new Map(Object.getOwnPropertySymbols(probe).map((s) => [s.description, s]))
  const b = keys.get('kBuffer')
  const c = keys.get('kBufferCb')
  const g = keys.get('kBufferGen')
  return b === undefined || c === undefined || g === undefined ? null : { buffer: b, callback: c, generator: g }
}

const KEYS = findOnreadKeys()

// TLSWrap::ClearOut hands JS at most 16 KiB per call: a region that size is
// never split.
const RECORD_MAX = 16 * 1024
// Never from Buffer's shared pool: `owned` tells its bytes by their ArrayBuffer.
const SCRATCH = Buffer.allocUnsafeSlow(RECORD_MAX)
const SLAB_BYTES = 64 * 1024
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
let slabOff = 0

/** Called with each read: `buf` holds the bytes in [0, n) until the call returns. */
export type ClientRead = (this: TLSSocket, n: number, buf: Buffer) => boolean
/** Called after each read; returns where the next one lands (SCRATCH or `reserve()`), or undefined to keep it. */
export type NextRead = () => Buffer | undefined

/** Reads `socket` through `onRead` into SCRATCH from now on; false when this Node cannot (use 'data'). */
export function readInto (socket: TLSSocket, onRead: ClientRead, next: NextRead): boolean {
  const s = socket as unknown as Record<symbol, unknown> & { _handle?: { useUserBuffer?: (b: Buffer) => void } | null }
  const handle = s._handle
  if (KEYS === null || handle == null || typeof handle.useUserBuffer !== 'function') return false
  s[KEYS.buffer] = SCRATCH
  s[KEYS.callback] = onRead
  s[KEYS.generator] = next
  handle.useUserBuffer(SCRATCH)
  return true
}

/** The shared buffer for reads used up within their callback. */
export function scratch (): Buffer {
  return SCRATCH
}

/** A region of the body slab for one read, never handed out again. */
export function reserve (): Buffer {
  if (SLAB_BYTES - slabOff < RECORD_MAX) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    slabOff = 0
  }
  const region = slab.subarray(slabOff, slabOff + RECORD_MAX)
  slabOff += RECORD_MAX
  return region
}

/** `b` itself, or a copy when it lies in SCRATCH (which the next read overwrites). */
export function owned (b: Buffer): Buffer {
  return b.buffer === SCRATCH.buffer ? Buffer.from(b) : b
}
