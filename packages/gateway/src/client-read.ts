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
// Bytes in SCRATCH that must outlive their callback are copied (`owned`).
//
// A slab counts who holds its regions: the read a region was reserved for,
// then each upstream write of its bytes (released by the write's callback,
// which Writable calls once the kernel has the bytes or the socket is gone).
// A slab whose regions are all handed out and none held goes back on a short
// free list and is written again: fresh memory cost uploads ~10% more CPU per
// MiB than memory still in the cache (page faults, cold copies in and out). A
// holder that is not counted must take a copy (`kept`); one that never releases
// only keeps its slab from being reused, which is the safe way to be wrong.
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
// 512 KiB per worker at most, kept for the next uploads.
const FREE_MAX = 8

/** A body slab: `off` bytes handed out so far, `refs` holders not yet released. */
export interface Slab { readonly buf: Buffer, off: number, refs: number }

const slabs = new WeakMap<ArrayBufferLike, Slab>()
const free: Slab[] = []
let slab = newSlab()
/** Slabs taken from the free list instead of allocated (tests read it). */
export const slabStats = { reused: 0 }

function newSlab (): Slab {
  const s: Slab = { buf: Buffer.allocUnsafeSlow(SLAB_BYTES), off: 0, refs: 0 }
  slabs.set(s.buf.buffer, s)
  return s
}

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

/** A region of a body slab for one read; the caller holds it until `release(slabOf(region))`. */
export function reserve (): Buffer {
  if (SLAB_BYTES - slab.off < RECORD_MAX) slab = nextSlab()
  const region = slab.buf.subarray(slab.off, slab.off + RECORD_MAX)
  slab.off += RECORD_MAX
  slab.refs++
  return region
}

// The full current slab again if every region was released already, else one
// from the free list, else a new one.
function nextSlab (): Slab {
  const s = slab.refs === 0 ? slab : free.pop()
  if (s === undefined) return newSlab()
  s.off = 0
  slabStats.reused++
  return s
}

/** The slab `b` lies in, or null. */
export function slabOf (b: Buffer): Slab | null {
  return slabs.get(b.buffer) ?? null
}

/** One more holder of `s`'s bytes (an upstream write). */
export function hold (s: Slab): void {
  s.refs++
}

/** A holder is done with `s`; once none is left and every region was handed out, it is reused. */
export function release (s: Slab): void {
  // The current slab is taken again in place by `nextSlab`.
  if (--s.refs > 0 || s.off < SLAB_BYTES || s === slab) return
  if (free.length < FREE_MAX) free.push(s)
}

/** `b` itself, or a copy when it lies in SCRATCH (which the next read overwrites). */
export function owned (b: Buffer): Buffer {
  return b.buffer === SCRATCH.buffer ? Buffer.from(b) : b
}

/** `b` itself, or a copy when it lies in SCRATCH or a body slab: for holders that do not count themselves. */
export function kept (b: Buffer): Buffer {
  return b.buffer === SCRATCH.buffer || slabs.has(b.buffer) ? Buffer.from(b) : b
}
