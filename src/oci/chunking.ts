import { createHash } from 'node:crypto';

// Content-defined chunk boundaries for root disks: a boundary falls where a rolling hash of the last 32 bytes
// has its top bits zero, so it depends on the bytes around it and not on their offset. A file that moves on the
// disk (something was inserted before it) is cut into the same chunks as before, and only the chunks around a
// change are new. Runs of zeros (64 KiB blocks, aligned) end chunks too and are not stored: they are holes.

/** A chunk is at least this long (unless its run of data is shorter)… */
export const MIN_CHUNK = 512 * 1024;
/** …and at most this long; on average about MIN_CHUNK + 1 MiB (a boundary is 1 in 2^20 bytes past the minimum). */
export const MAX_CHUNK = 8 * 1024 * 1024;
/** Zeros are found in aligned blocks of this size. */
export const ZERO_BLOCK = 64 * 1024;
/** 20 top bits: each position past the minimum is a boundary with probability 2^-20. */
const MASK = 0xfffff000 | 0;

/** The gear table: 256 fixed pseudo-random 32-bit numbers (changing them would re-cut every disk). */
const GEAR = (() => {
  const table = new Int32Array(256);
  for (let byte = 0; byte < 256; byte++)
    table[byte] = createHash('sha256').update(`vmplan chunk gear ${byte}`).digest().readInt32LE(0);
  return table;
})();

/**
 * Where the chunk starting at `start` ends in `bytes[start, end)`: the first content-defined boundary past
 * MIN_CHUNK, else MAX_CHUNK, else `end` (the data runs out first).
 */
export function chunkEnd(bytes: Uint8Array, start: number, end: number): number {
  const limit = Math.min(end, start + MAX_CHUNK);
  if (limit - start <= MIN_CHUNK) return limit;
  let hash = 0;
  for (let at = start + MIN_CHUNK; at < limit; at++) {
    hash = ((hash << 1) + GEAR[bytes[at]!]!) | 0;
    if ((hash & MASK) === 0) return at + 1;
  }
  return limit;
}

/** Whether `bytes` are all zeros. */
export function isZero(bytes: Uint8Array): boolean {
  const zeros = ZEROS.subarray(0, bytes.length);
  return Buffer.compare(bytes, zeros) === 0;
}
const ZEROS = Buffer.alloc(MAX_CHUNK);
