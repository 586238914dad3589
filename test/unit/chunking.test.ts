// Content-defined chunk boundaries: sizes within bounds, the same cuts for the same bytes wherever they sit.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkEnd, isZero, MAX_CHUNK, MIN_CHUNK } from '../../src/oci/chunking.js';
import { seededBytes as bytes } from '../support/seeded-bytes.js';

/** The chunks of `data`, as sha256 hex of each. */
function chunks(data: Buffer): string[] {
  const out: string[] = [];
  for (let start = 0; start < data.length; ) {
    const end = chunkEnd(data, start, data.length);
    out.push(createHash('sha256').update(data.subarray(start, end)).digest('hex'));
    start = end;
  }
  return out;
}

describe('chunkEnd', () => {
  it('cuts between the minimum and the maximum, about 1.5 MiB on average; short data is one chunk', () => {
    const data = bytes(48 * 1024 * 1024, 0x9e3779b9);
    const sizes: number[] = [];
    for (let start = 0; start < data.length; ) {
      const end = chunkEnd(data, start, data.length);
      sizes.push(end - start);
      start = end;
    }
    for (const size of sizes.slice(0, -1)) {
      expect(size).toBeGreaterThan(MIN_CHUNK);
      expect(size).toBeLessThanOrEqual(MAX_CHUNK);
    }
    const average = data.length / sizes.length;
    expect(average).toBeGreaterThan(1024 * 1024);
    expect(average).toBeLessThan(2.5 * 1024 * 1024);
    expect(chunkEnd(data, 0, 1000)).toBe(1000);
    expect(chunkEnd(data, 100, MIN_CHUNK + 100)).toBe(MIN_CHUNK + 100);
  });

  it('zeros have no boundary: they are cut at the maximum', () => {
    expect(chunkEnd(Buffer.alloc(3 * MAX_CHUNK), 0, 3 * MAX_CHUNK)).toBe(MAX_CHUNK);
    expect(isZero(Buffer.alloc(100))).toBe(true);
    expect(isZero(Buffer.from([0, 0, 1]))).toBe(false);
  });

  it('bytes inserted near the start change the chunks around them only', () => {
    const data = bytes(40 * 1024 * 1024, 12345);
    const before = chunks(data);
    const after = chunks(
      Buffer.concat([data.subarray(0, 3_000_000), bytes(4096, 777), data.subarray(3_000_000)]),
    );
    const kept = after.filter((digest) => before.includes(digest)).length;
    expect(before.length).toBeGreaterThan(15);
    expect(after.length - kept).toBeLessThanOrEqual(2);
  });

  it('cuts the same bytes at the same places from one vmplan version to the next, to the byte (a pushed chunk is reused, not re-sent)', () => {
    // Pinned: a change to the gear table, the mask, the minimum or where the boundary byte goes re-cuts every disk,
    // and a push after it sends every chunk of an image again.
    const data = bytes(16 * 1024 * 1024, 0x2545f491);
    const ends: number[] = [];
    for (let start = 0; start < data.length; start = ends.at(-1)!)
      ends.push(chunkEnd(data, start, data.length));
    expect(ends).toEqual([
      1346031, 3093096, 4649365, 9196669, 10575195, 11961652, 14336392, 16022269, 16777216,
    ]);
  });
});
