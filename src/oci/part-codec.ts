import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

// How image parts travel: gzip (RFC 1952), which every registry tool and every Node since 0.x reads and writes
// without a dependency (zstd would be smaller and faster, but Node 20's zlib has none). The bytes are made
// reproducible: zlib leaves the header's time at 0, and the operating-system byte (which macOS builds of zlib
// write as 19) is set to 3 here, so one input compresses to one digest on a Mac and on Linux alike.

/** The compression level: close to level 9's size on disk images at a third of its time. */
const LEVEL = 6;
/** Offset of the operating-system byte in a gzip header (RFC 1952 §2.3). */
const OS_BYTE = 9;
/** RFC 1952's "Unix" operating-system code. */
const OS_UNIX = 3;

/** `bytes` gzipped, the same bytes on every platform for the same zlib. */
export function gzipPart(bytes: Uint8Array): Buffer {
  const out = gzipSync(bytes, { level: LEVEL });
  out[OS_BYTE] = OS_UNIX;
  return out;
}

/**
 * The bytes a gzipped part holds, which must be exactly `size` bytes with sha256 `digest` (the manifest's word
 * for them): a larger stream stops at `size` + 1 bytes and is refused, so a hostile blob cannot fill memory.
 */
export function gunzipPart(compressed: Uint8Array, size: number, digest: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = gunzipSync(compressed, { maxOutputLength: Math.max(1, size + 1) });
  } catch (error) {
    const tooBig = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new Error(
      tooBig
        ? `${what} unpacks to more than the ${size} bytes its manifest says`
        : `${what} is not valid gzip`,
    );
  }
  if (bytes.length !== size)
    throw new Error(`${what} unpacks to ${bytes.length} bytes, not the ${size} its manifest says`);
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== digest) throw new Error(`${what} unpacks to digest ${actual}, not ${digest}: refused`);
  return bytes;
}
