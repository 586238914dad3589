// Small utilities every record and plan depends on: canonical JSON (plan ids), text order, a concurrency
// limiter (file copies), and the disk numbers the preflight reads.
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatBytes, parseBytes } from '../../src/util/bytes.js';
import { canonicalJson, compareText, sha256 } from '../../src/util/canonical-json.js';
import { describeValue } from '../../src/util/describe.js';
import { diskUsage, freeBytes } from '../../src/util/disk.js';
import { postOrder } from '../../src/util/graph.js';
import { createLimiter } from '../../src/util/limit.js';
import { closestMatch } from '../../src/util/suggest.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-util-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, drops undefined members, keeps null', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, e: undefined })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson([undefined, 'x'])).toBe('[null,"x"]');
    expect(canonicalJson('text')).toBe('"text"');
    expect(canonicalJson({ B: 1, a: 2, _: 3 })).toBe('{"B":1,"_":3,"a":2}');
  });

  it('gives the sha256 of text and bytes alike', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256(Buffer.from('abc'))).toBe(sha256('abc'));
  });

  it('orders text by code units whatever the locale', () => {
    expect(['b', 'B', 'a', 'ä', 'A', 'a'].sort(compareText)).toEqual(['A', 'B', 'a', 'a', 'b', 'ä']);
    expect(compareText('x', 'x')).toBe(0);
    expect(compareText('a', 'b')).toBe(-1);
    expect(compareText('b', 'a')).toBe(1);
  });
});

describe('createLimiter', () => {
  it('runs at most N at once, in the order asked, and frees a slot when a task fails', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates: (() => void)[] = [];
    const task = (index: number) =>
      limit(async () => {
        started.push(index);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        if (index === 1) throw new Error('task 1 failed');
        return index;
      });
    const results = [0, 1, 2, 3, 4].map((index) => task(index).catch((error: Error) => error.message));
    // Let each waiting task through, one at a time, until all have run.
    for (let released = 0; released < 5; released++) {
      while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
      expect(running).toBeLessThanOrEqual(2);
      gates.shift()!();
    }
    expect(await Promise.all(results)).toEqual([0, 'task 1 failed', 2, 3, 4]);
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('disk numbers', () => {
  it('counts the blocks a folder uses (sparse files by what they use) and what is free', async () => {
    writeFileSync(join(folder, 'data'), Buffer.alloc(256 * 1024, 1));
    const used = await diskUsage(folder);
    expect(used).toBeGreaterThanOrEqual(256 * 1024);
    expect(used).toBeLessThan(1024 * 1024);
    expect(used % 1024).toBe(0);
    // Other processes write while this runs: what it reads lies between what statfs said just before and after.
    const before = statfsSync(folder);
    const free = freeBytes(folder);
    const after = statfsSync(folder);
    const bounds = [before.bavail * before.bsize, after.bavail * after.bsize];
    expect(free).toBeGreaterThanOrEqual(Math.min(...bounds));
    expect(free).toBeLessThanOrEqual(Math.max(...bounds));
    expect(free % before.bsize).toBe(0);
    await expect(diskUsage(folder, AbortSignal.abort())).rejects.toThrow(/abort/i);
  });
});

describe('formatBytes and parseBytes', () => {
  it('switches unit at each thousand and stops at TB, whatever the size', () => {
    expect([0, 999, 1000, 1_234_567, 999_949_999, 1e12, 5e15].map(formatBytes)).toEqual([
      '0 bytes',
      '999 bytes',
      '1.0 KB',
      '1.2 MB',
      '999.9 MB',
      '1.0 TB',
      '5000.0 TB',
    ]);
  });

  it('reads sizes with decimals and spaces, and refuses what is not one', () => {
    expect(parseBytes(' 1.25 GB ')).toBe(1.25e9);
    expect(parseBytes('2TiB')).toBe(2 * 2 ** 40);
    for (const bad of ['1.', '.5GB', '1e3', '-1GB', '1 2GB', '10 parsecs', 'GB'])
      expect(parseBytes(bad), bad).toBeUndefined();
  });
});

describe('closestMatch', () => {
  it('suggests the nearest candidate within a third of the word, the first in order on a tie', () => {
    expect(closestMatch('buidl', ['lint', 'build'])).toBe('build');
    expect(closestMatch('cat', ['bat', 'cap'])).toBe('bat');
    expect(closestMatch('cat', ['cap', 'bat'])).toBe('bat');
    expect(closestMatch('timout', ['timeout-minutes', 'env'])).toBe('timeout-minutes');
    expect(closestMatch('zzzzzz', ['build', 'lint'])).toBeUndefined();
    expect(closestMatch('build', ['build'])).toBe('build');
    // A first word of four letters counts ("tset" is two edits from "test", four from "test-unit").
    expect(closestMatch('tset', ['test-unit'])).toBe('test-unit');
    // Shorter first words do not: "abd" is one edit from "abc" but no typo of "abc-file".
    expect(closestMatch('abd', ['abc-file'])).toBeUndefined();
  });
});

describe('createLimiter, after a burst', () => {
  it('starts a task asked for later at once: every finished task gave its slot back', async () => {
    const limit = createLimiter(1);
    expect(await Promise.all([1, 2, 3].map((n) => limit(async () => n)))).toEqual([1, 2, 3]);
    const later = limit(async () => 'ran');
    // A slot never given back would leave it waiting for good.
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise((resolve) => {
      timer = setTimeout(resolve, 5_000, 'still waiting');
    });
    expect(await Promise.race([later, stuck])).toBe('ran');
    clearTimeout(timer);
  });
});

describe('postOrder', () => {
  it('visits dependencies in the order given, each once, before what needs them', () => {
    const graph: Record<string, string[]> = {
      app: ['lib', 'cli', 'lib'],
      cli: ['lib', 'util'],
      lib: ['util'],
      util: [],
    };
    const order: string[] = [];
    postOrder(
      ['app', 'util'],
      (id) => graph[id] ?? [],
      (id) => order.push(id),
    );
    expect(order).toEqual(['util', 'lib', 'cli', 'app']);
  });
});

describe('describeValue', () => {
  it('names what a value is, and quotes strings up to 60 characters whole', () => {
    expect([undefined, null, [], {}, 7, true].map(describeValue)).toEqual([
      'nothing',
      'null',
      'a list',
      'a mapping',
      '7',
      'true',
    ]);
    expect(describeValue('x'.repeat(60))).toBe(`"${'x'.repeat(60)}"`);
    expect(describeValue('x'.repeat(61))).toBe(`"${'x'.repeat(57)}..."`);
  });
});
