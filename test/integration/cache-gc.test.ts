import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageCache } from '../../src/images/cache.js';
import { listCacheItems } from '../../src/images/cache-gc.js';
import { releaseLeases } from '../../src/util/lease.js';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-cache-gc-'));
const sleepers: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const sleeper of sleepers) sleeper.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

const DAY = 86_400_000;

/** A cache entry folder of `kb` KiB (real blocks, so du counts them), last used `daysAgo`. */
function entry(path: string, kb: number, daysAgo: number, image?: string): string {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'disk'), Buffer.alloc(kb * 1024, 7));
  if (image !== undefined) writeFileSync(join(path, 'entry.json'), JSON.stringify({ image }));
  const when = new Date(Date.now() - daysAgo * DAY);
  utimesSync(path, when, when);
  return path;
}

/** A lease or lock owner file naming a process. */
function holderFile(path: string, pid: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify({ pid, hostname: hostname(), startedAt: new Date().toISOString() }));
}

/** A live process other than this one (a run on the same machine). */
function liveProcess(): number {
  const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
  sleepers.push(sleeper);
  return sleeper.pid!;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

function cacheFolder(name: string) {
  const cache = join(folder, name);
  const images = join(cache, 'images');
  const old = entry(join(images, 'a'.repeat(32)), 300, 20, 'old');
  const used = entry(join(images, 'b'.repeat(32)), 200, 30, 'used');
  const recent = entry(join(images, 'c'.repeat(32)), 100, 1, 'recent');
  const npm = entry(join(cache, 'shared/acme_widgets/trusted/npm'), 400, 10);
  holderFile(join(`${old}.leases`, 'dead.json'), deadPid());
  holderFile(join(`${used}.leases`, 'live.json'), liveProcess());
  // A crashed build's output (no lock), and a build in progress (its key's lock held by a live process).
  const crashed = entry(join(images, `${'d'.repeat(32)}.tmp-0badf00d`), 50, 2);
  const building = entry(join(images, `${'e'.repeat(32)}.tmp-1234abcd`), 50, 0);
  holderFile(join(images, `${'e'.repeat(32)}.lock`, 'owner.json'), liveProcess());
  return { cache, old, used, recent, npm, crashed, building };
}

describe('vmplan gc of the cache folder', () => {
  it('removes least recently used entries to fit --max-size, never one a live run holds; --dry-run removes nothing', async () => {
    const c = cacheFolder('budget');
    const dry = await runVmplan(['gc', '--cache-dir', c.cache, '--max-size', '450KB', '--dry-run'], {
      cwd: folder,
    });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      /^Would delete image old \(key a{32}\): 3\d\d\.\d KB, last used 20 days ago$/m,
    );
    expect(dry.stdout).toMatch(
      /^Would delete cache npm \(acme_widgets, trusted\): 4\d\d\.\d KB, last used 10 days ago$/m,
    );
    expect(dry.stdout).not.toContain('image used');
    for (const path of [c.old, c.npm, c.crashed]) expect(existsSync(path)).toBe(true);

    const real = await runVmplan(['gc', '--cache-dir', c.cache, '--max-size', '450KB'], { cwd: folder });
    expect(real.code, real.stderr).toBe(0);
    expect(existsSync(c.old)).toBe(false);
    expect(existsSync(`${c.old}.leases`)).toBe(false);
    expect(existsSync(c.npm)).toBe(false);
    // In use (a live lease), although the oldest; the newest fits the budget with it.
    expect(existsSync(c.used)).toBe(true);
    expect(existsSync(c.recent)).toBe(true);
    // A crashed build's leftover goes; a running build's output stays.
    expect(existsSync(c.crashed)).toBe(false);
    expect(existsSync(c.building)).toBe(true);
    expect(real.stdout).toMatch(/Cache .*: deleted 2 item\(s\), 3\d\d\.\d KB kept/);
    expect(readdirSync(join(c.cache, 'images')).filter((name) => name.includes('.pruned-'))).toEqual([]);
  });

  it('--json: one document on stdout naming every removed and kept-in-use item; a refusal is a document too', async () => {
    const c = cacheFolder('json');
    const result = await runVmplan(
      ['gc', '--cache-dir', c.cache, '--max-age', '15', '--keep', '0', '--json'],
      {
        cwd: folder,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({ vmplan: 1, command: 'gc', ok: true, dryRun: false });
    expect(document.runs).toEqual({ folder: join(folder, '.vmplan/runs'), deleted: [], kept: 0 });
    expect(document.cache.folder).toBe(c.cache);
    expect(document.cache.removed).toEqual([
      {
        kind: 'image',
        label: `image old (key ${'a'.repeat(32)})`,
        path: c.old,
        bytes: expect.any(Number),
        lastUsed: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        inUse: false,
      },
    ]);
    expect(document.cache.removed[0].bytes).toBeGreaterThanOrEqual(300 * 1024);
    expect(Date.now() - Date.parse(document.cache.removed[0].lastUsed)).toBeGreaterThan(19 * DAY);
    expect(document.cache.skipped).toEqual([]);
    expect(existsSync(c.old)).toBe(false);
    // The human lines went to stderr.
    expect(result.stderr).toMatch(/^Deleted image old/m);

    const refused = await runVmplan(['gc', '--max-size', 'lots', '--json'], { cwd: folder });
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      command: 'gc',
      ok: false,
      problems: [{ message: expect.stringContaining('--max-size: expected a size') }],
    });
  });

  it('removes entries unused for --max-age days', async () => {
    const c = cacheFolder('age');
    const result = await runVmplan(['gc', '--cache-dir', c.cache, '--max-age', '15'], { cwd: folder });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(c.old)).toBe(false); // 20 days
    expect(existsSync(c.used)).toBe(true); // 30 days, but in use
    expect(existsSync(c.npm)).toBe(true); // 10 days
    expect(existsSync(c.recent)).toBe(true);
  });

  it('keeps an image this process is using until its run releases it', async () => {
    const cache = join(folder, 'lease');
    const key = 'f'.repeat(32);
    const images = new ImageCache(join(cache, 'images'));
    const built = await images.getOrBuild(
      key,
      { image: 'leased', type: 'build', inputs: [] },
      async (out) => writeFileSync(join(out, 'kernel'), Buffer.alloc(64 * 1024, 1)),
      { signal: new AbortController().signal, onWait: () => undefined },
    );
    expect(built.cached).toBe(false);
    const held = await runVmplan(['gc', '--cache-dir', cache, '--max-size', '0'], { cwd: folder });
    expect(held.stdout).toContain('deleted 0 item(s)');
    expect(images.lookup(key)).toBeDefined();
    releaseLeases();
    const freed = await runVmplan(['gc', '--cache-dir', cache, '--max-size', '0'], { cwd: folder });
    expect(freed.stdout).toMatch(/^Deleted image leased \(key f{32}\)/m);
    expect(images.lookup(key)).toBeUndefined();
    // The next run finds nothing and builds again, rather than half an entry.
    const again = await images.use(key, { signal: new AbortController().signal, onWait: () => undefined });
    expect(again).toBeUndefined();
  });

  it('says what to give when nothing is named, and refuses bad sizes and counts', async () => {
    const none = await runVmplan(['gc'], { cwd: folder });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'say what to delete: --keep N (runs), --max-size SIZE or --max-age DAYS (caches)',
    );
    const size = await runVmplan(['gc', '--max-size', 'lots'], { cwd: folder });
    expect(size.code).toBe(2);
    expect(size.stderr).toContain('--max-size: expected a size such as 20GB or 500MB, found "lots"');
    const age = await runVmplan(['gc', '--max-age', '2w'], { cwd: folder });
    expect(age.code).toBe(2);
    expect(age.stderr).toContain('--max-age DAYS: expected a whole number ≥ 0, found "2w"');
  });
});

describe('the disk-space preflight', () => {
  it('refuses a run that cannot fit before it starts, saying how much is free and what gc would remove', async () => {
    const project = testProject(
      'version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: "echo ran" }\n',
    );
    const c = cacheFolder('preflight');
    const result = await runVmplan(['run', '--cache-dir', c.cache, '--min-free', '1000000TB'], {
      cwd: project.root,
    });
    expect(result.code, result.stdout + result.stderr).toBe(3);
    expect(result.stderr).toMatch(
      /only [\d.]+ [KMGT]?B free for the state folder .*\.vmplan; a run needs 1000000\.0 TB \(--min-free, input min-free\)\. vmplan gc --max-size 2\d\d\.\dKB would free [\d.]+ KB by removing image old \(key a{32}\): .*, last used 20 days ago; cache npm .*; image recent .* \(still not enough\)/,
    );
    expect(result.stdout + result.stderr).not.toContain('ran');
    const runs = join(project.root, '.vmplan/runs');
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
    // Nothing was pruned on its own: the preflight only says what gc would do.
    expect(existsSync(c.old)).toBe(true);
  });

  it('refuses a --min-free that is not a size', async () => {
    const project = testProject('version: 1\njobs:\n  one: { run: "true", executor: host }\n');
    const result = await runVmplan(['run', '--min-free', 'plenty'], { cwd: project.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--min-free: expected a size such as 5GB or 500MB, found "plenty"');
  });
});

describe('what an item of the cache folder costs', () => {
  it('counts a file linked twice once, as du does: gc would otherwise remove what fits', async () => {
    const cache = join(folder, 'linked-cache');
    const key = join(cache, 'images', 'k1');
    entry(key, 256, 0, 'guest');
    linkSync(join(key, 'disk'), join(key, 'disk-again'));
    const single = statSync(join(key, 'disk')).blocks * 512;
    const [item] = await listCacheItems(cache);
    expect(item?.path).toBe(key);
    // The folder's own blocks and entry.json's, plus the disk's blocks once.
    expect(item!.bytes).toBeLessThan(2 * single);
    expect(item!.bytes).toBeGreaterThanOrEqual(single);
  });
});

describe('leases folders whose entry is gone', () => {
  it('removes one only once no live run holds a lease in it: a run starting its workspace keeps its lease', async () => {
    const cache = join(folder, 'orphans');
    const workspaces = join(cache, 'workspaces');
    // A run that has taken its lease but not yet made its workspace folder; and a finished run whose process died.
    const starting = join(workspaces, '20261207T090000Z-aaaaaaaa');
    const finished = join(workspaces, '20261207T080000Z-bbbbbbbb');
    holderFile(join(`${starting}.leases`, 'live.json'), liveProcess());
    holderFile(join(`${finished}.leases`, 'dead.json'), deadPid());
    const result = await runVmplan(['gc', '--cache-dir', cache, '--max-age', '1000'], { cwd: folder });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(`${starting}.leases`, 'live.json'))).toBe(true);
    expect(existsSync(`${finished}.leases`)).toBe(false);
  });
});
