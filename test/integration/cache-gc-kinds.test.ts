// `vmplan gc` covers every kind of thing vmplan keeps in the cache folder — image entries, named caches, the OCI
// blob store (filled by a real pull from a real registry), the image builders' package caches and builds, host
// workspaces of runs, recorded durations and executor probes — and `--max-size 0` leaves only what a live run holds.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-gc-kinds-'));
const sleepers: ReturnType<typeof spawn>[] = [];
let registry: TestRegistry;
const available = prerequisite(
  'docker-registry (the docker-registry package)',
  commandWorks('docker-registry', ['--version']),
);
beforeAll(async () => {
  if (available) registry = await startRegistry();
});
afterAll(async () => {
  for (const sleeper of sleepers) sleeper.kill('SIGKILL');
  await registry?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const DAY = 86_400_000;

/** A folder of `kb` KiB of real blocks, last used `daysAgo`. */
function entry(path: string, kb: number, daysAgo: number, image?: string): string {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'data'), Buffer.alloc(kb * 1024, 7));
  if (image !== undefined) writeFileSync(join(path, 'entry.json'), JSON.stringify({ image }));
  const when = new Date(Date.now() - daysAgo * DAY);
  utimesSync(join(path, 'data'), when, when);
  utimesSync(path, when, when);
  return path;
}

/** A lease of a live process other than this one (a run on the same machine) on `target`. */
function liveLease(target: string): void {
  const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
  sleepers.push(sleeper);
  mkdirSync(`${target}.leases`, { recursive: true });
  writeFileSync(
    join(`${target}.leases`, 'live.json'),
    JSON.stringify({ pid: sleeper.pid, hostname: hostname(), startedAt: new Date().toISOString() }),
  );
}

/** Every file under a folder, relative, sorted. */
function filesUnder(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((name) => statSync(join(root, name)).isFile())
    .sort();
}

/** An image folder for the registry: kernel and initrd of random bytes. */
function imageFolder(): string {
  const dir = join(folder, 'image');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kernel'), Buffer.alloc(300_000, 1));
  writeFileSync(join(dir, 'initrd'), Buffer.alloc(200_000, 2));
  return dir;
}

describe.skipIf(!available)('vmplan gc over every kind in the cache folder', () => {
  it('--max-size 0 leaves only what a live run holds, and says what it freed per kind', async () => {
    const cache = join(folder, 'cache');
    const env = { VMPLAN_CACHE_DIR: cache };
    // The OCI blob store, filled by a real pull (as a run pulling an oci: image fills it).
    const pushed = await runVmplan(['image', 'push', imageFolder(), `${registry.host}/acme/gc:1`], {
      cwd: folder,
      env,
    });
    expect(pushed.code, pushed.stderr).toBe(0);
    const pulled = await runVmplan(['image', 'pull', pushed.stdout.trim(), '--out', 'pulled'], {
      cwd: folder,
      env,
    });
    expect(pulled.code, pulled.stderr).toBe(0);
    const blobs = readdirSync(join(cache, 'oci-blobs'));
    expect(blobs).toHaveLength(3); // config, kernel, initrd
    const blobBytes = blobs.reduce(
      (sum, name) => sum + statSync(join(cache, 'oci-blobs', name)).blocks * 512,
      0,
    );

    entry(join(cache, 'images', 'a'.repeat(32)), 300, 5, 'old');
    const held = entry(join(cache, 'images', 'b'.repeat(32)), 200, 9, 'held');
    liveLease(held);
    entry(join(cache, 'shared/acme_widgets/trusted/npm'), 100, 2);
    entry(join(cache, 'debian-guest/apt-amd64'), 200, 3);
    // A test-guest build running now: its whole package folder is held.
    entry(join(cache, 'test-guest/apt-arm64'), 100, 30);
    entry(join(cache, 'test-guest/arm64-0123456789abcdef'), 50, 30);
    liveLease(join(cache, 'test-guest'));
    entry(join(cache, 'workspaces/20261207T080000Z-1a2b3c4d'), 20, 0);
    writeFileSync(join(cache, 'durations.json'), '{"build": 1000}\n');
    writeFileSync(join(cache, 'qemu-accel.json'), '{}\n');

    const dry = await runVmplan(['gc', '--max-size', '0', '--dry-run'], { cwd: folder, env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      /^Cache .*: would delete 10 item\(s\), [\d.]+ KB would be kept; would have freed images 8\d\d\.\d KB, named caches 1\d\d\.\d KB, OCI blobs [\d.]+ KB, package caches 2\d\d\.\d KB, workspaces [\d.]+ KB, durations [\d.]+ KB, probes [\d.]+ KB$/m,
    );
    expect(dry.stdout).not.toMatch(/image held|test-guest/);

    const result = await runVmplan(['gc', '--max-size', '0', '--json'], { cwd: folder, env });
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout);
    // What remains is what the live leases hold, and nothing else.
    expect(filesUnder(cache)).toEqual([
      `images/${'b'.repeat(32)}.leases/live.json`,
      `images/${'b'.repeat(32)}/data`,
      `images/${'b'.repeat(32)}/entry.json`,
      'test-guest.leases/live.json',
      'test-guest/apt-arm64/data',
      'test-guest/arm64-0123456789abcdef/data',
    ]);
    const { freedBytes, keptBytes } = document.cache;
    expect(Object.keys(freedBytes)).toEqual([
      'image',
      'cache',
      'blob',
      'packages',
      'workspace',
      'durations',
      'probe',
    ]);
    expect(freedBytes.blob).toBe(blobBytes);
    expect(freedBytes.image).toBeGreaterThanOrEqual(300 * 1024);
    expect(freedBytes.packages).toBeGreaterThanOrEqual(200 * 1024);
    for (const kind of ['cache', 'workspace', 'durations', 'probe'])
      expect(freedBytes[kind]).toBeGreaterThan(0);
    // Kept: the held image and the held package folder's two entries.
    expect(keptBytes).toBeGreaterThanOrEqual(350 * 1024);
    expect(keptBytes).toBeLessThan(400 * 1024);
    expect(document.cache.removed.map((item: { kind: string }) => item.kind).sort()).toEqual(
      [
        'blob',
        'blob',
        'blob',
        'cache',
        'durations',
        'image',
        'image',
        'packages',
        'probe',
        'workspace',
      ].sort(),
    );
    // Once the build and the run are over, nothing holds anything: the rest goes too.
    for (const sleeper of sleepers) sleeper.kill('SIGKILL');
    await Promise.all(
      sleepers.map((sleeper) =>
        sleeper.exitCode !== null || sleeper.signalCode !== null
          ? undefined
          : new Promise((resolve) => sleeper.once('exit', resolve)),
      ),
    );
    const rest = await runVmplan(['gc', '--max-size', '0'], { cwd: folder, env });
    expect(rest.stdout).toMatch(
      /deleted 3 item\(s\), 0 bytes kept; freed images 2\d\d\.\d KB, package caches 1\d\d\.\d KB$/m,
    );
    expect(filesUnder(cache)).toEqual([]);
  });
});
