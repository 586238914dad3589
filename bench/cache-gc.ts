// The cache folder under its size: a cache of every kind vmplan keeps (image entries, named caches, an OCI blob
// store of many chunks, package caches, host workspaces, durations, probes) pruned by `pruneCache` to a limit, with
// one image held by a live lease. Reported: the folder's real size (du) before and after against the limit, what
// was freed per kind, and gc's time against a plain `du -sk` of the same folder (its floor: gc measures every item).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_KINDS, pruneCache } from '../src/images/cache-gc.js';
import { formatBytes } from '../src/util/bytes.js';
import { leaseFolder, releaseLeases } from '../src/util/lease.js';
import { median, table } from './support.js';

const MB = 1024 * 1024;
const LIMIT = 64 * MB;

/** A file of `bytes` real blocks, last used `minutesAgo`. */
function file(path: string, bytes: number, minutesAgo: number): void {
  writeFileSync(path, Buffer.alloc(bytes, 1));
  const when = new Date(Date.now() - minutesAgo * 60_000);
  utimesSync(path, when, when);
}

/** A folder holding one file, last used `minutesAgo`. */
function folder(path: string, bytes: number, minutesAgo: number): string {
  mkdirSync(path, { recursive: true });
  file(join(path, 'data'), bytes, minutesAgo);
  const when = new Date(Date.now() - minutesAgo * 60_000);
  utimesSync(path, when, when);
  return path;
}

/** Fills a cache folder with about 300 MB of every kind; returns the image entry a live run holds. */
async function fill(cache: string): Promise<void> {
  for (let i = 0; i < 12; i++) folder(join(cache, 'images', `${i}`.padStart(32, '0')), 8 * MB, 100 + i);
  for (let i = 0; i < 6; i++) folder(join(cache, 'shared/acme_widgets/trusted', `cache${i}`), 4 * MB, 50 + i);
  mkdirSync(join(cache, 'oci-blobs'));
  for (let i = 0; i < 120; i++) file(join(cache, 'oci-blobs', `sha256-${`${i}`.padStart(64, '0')}`), MB, i);
  folder(join(cache, 'debian-guest/apt-amd64'), 40 * MB, 300);
  folder(join(cache, 'test-guest/apt-arm64'), 10 * MB, 200);
  folder(join(cache, 'workspaces/20261207T080000Z-1a2b3c4d'), 2 * MB, 400);
  file(join(cache, 'durations.json'), 4096, 10);
  file(join(cache, 'qemu-accel.json'), 512, 10);
  // The newest image entry is in use by a live run (this process): never removed.
  await leaseFolder(join(cache, 'images', `${0}`.padStart(32, '0')));
}

const du = (path: string) =>
  Number.parseInt(execFileSync('du', ['-sk', path], { encoding: 'utf8' }), 10) * 1024;

const base = mkdtempSync(join(tmpdir(), 'vmplan-bench-gc-'));
try {
  const rows: string[][] = [];
  const gcMs: number[] = [];
  const duMs: number[] = [];
  let freedRow: string[] = [];
  for (let run = 0; run < 3; run++) {
    const cache = join(base, `cache-${run}`);
    await fill(cache);
    const before = du(cache);
    let started = performance.now();
    du(cache);
    duMs.push(performance.now() - started);
    started = performance.now();
    const result = await pruneCache(cache, { maxBytes: LIMIT });
    gcMs.push(performance.now() - started);
    const after = du(cache);
    releaseLeases();
    rows.push([
      `${run + 1}`,
      formatBytes(before),
      formatBytes(after),
      formatBytes(LIMIT),
      after <= LIMIT ? 'yes' : 'NO',
      `${result.removed.length}`,
      formatBytes(result.keptBytes),
    ]);
    freedRow = CACHE_KINDS.map((kind) => formatBytes(result.freedBytes[kind]));
  }
  console.log('### gc brings the cache folder under its limit (pruneCache, --max-size 64 MiB)\n');
  console.log(
    table(['run', 'du before', 'du after', 'limit', 'under it', 'items removed', 'kept (counted)'], rows),
  );
  console.log('\nFreed per kind (last run):\n');
  console.log(table([...CACHE_KINDS], [freedRow]));
  const ratio = median(gcMs) / median(duMs);
  console.log(
    `\ngc took ${median(gcMs).toFixed(0)} ms (median of 3); du -sk of the same folder ${median(duMs).toFixed(0)} ms: ratio ${ratio.toFixed(1)}`,
  );
} finally {
  rmSync(base, { recursive: true, force: true });
}
