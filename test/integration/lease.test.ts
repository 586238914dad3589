// Locks and leases on cached folders, in this process with real files and real processes: who holds what, what
// a dead holder leaves, and what gc may remove.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  holderAlive,
  isBookkeeping,
  liveLeases,
  lockHolder,
  lockOf,
  processAlive,
  releaseLeases,
  takeLease,
  thisHolder,
  tryLock,
  unlock,
  withLock,
} from '../../src/util/lease.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-lease-'));
const sleepers: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const sleeper of sleepers) sleeper.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

/** A live process other than this one. */
function liveProcess(): number {
  const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
  sleepers.push(sleeper);
  return sleeper.pid!;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

const holderFile = (path: string, pid: number, host = hostname()) =>
  writeFileSync(path, JSON.stringify({ pid, hostname: host, startedAt: '2026-12-03T10:00:00.000Z' }));

const ageFile = (path: string, ms: number) => {
  const when = new Date(Date.now() - ms);
  utimesSync(path, when, when);
};

describe('holders', () => {
  it('a process is alive while it runs, and a holder on another host always counts as alive', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(1)).toBe(true);
    expect(processAlive(deadPid())).toBe(false);
    expect(thisHolder()).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(Date.parse(thisHolder().startedAt)).toBeGreaterThan(Date.now() - 60_000);
    const dead = deadPid();
    expect(holderAlive({ pid: dead, hostname: hostname(), startedAt: '' })).toBe(false);
    expect(holderAlive({ pid: dead, hostname: 'another-mac', startedAt: '' })).toBe(true);
    expect(holderAlive({ pid: 0, hostname: hostname(), startedAt: '' })).toBe(false);
  });
});

describe('locks', () => {
  it('one holder at a time, named in the lock; released, the next may take it', () => {
    const target = join(folder, 'cache/one');
    expect(lockOf(target)).toBe(`${target}.lock`);
    expect(tryLock(target)).toBe(true);
    expect(lockHolder(target)).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(tryLock(target)).toBe(false);
    unlock(target);
    expect(existsSync(lockOf(target))).toBe(false);
    expect(lockHolder(target)).toBeUndefined();
    expect(tryLock(target)).toBe(true);
    unlock(target);
    // Letting go of a lock that is already gone (taken over as dead) is fine.
    expect(() => unlock(target)).not.toThrow();
  });

  it('withLock runs the work holding the lock, and lets it go even when the work throws', async () => {
    const target = join(folder, 'work');
    expect(await withLock(target, () => (existsSync(lockOf(target)) ? 'held' : 'not held'))).toBe('held');
    expect(existsSync(lockOf(target))).toBe(false);
    await expect(
      withLock(target, () => {
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(existsSync(lockOf(target))).toBe(false);
  });

  it('withLock takes over a lock whose holder died here, or that never got a holder within a minute', async () => {
    const dead = join(folder, 'dead-holder');
    mkdirSync(lockOf(dead), { recursive: true });
    holderFile(join(lockOf(dead), 'owner.json'), deadPid());
    expect(await withLock(dead, () => 'ran', { pollMs: 1 })).toBe('ran');

    const orphan = join(folder, 'orphan');
    mkdirSync(lockOf(orphan), { recursive: true });
    ageFile(lockOf(orphan), 61_000);
    expect(await withLock(orphan, () => 'ran', { pollMs: 1 })).toBe('ran');
  });

  it('withLock waits for a live holder (here or on another host) and gives up when aborted', async () => {
    for (const [name, holder] of [
      ['live-here', () => holderFile(join(lockOf(join(folder, 'live-here')), 'owner.json'), liveProcess())],
      [
        'other-host',
        () => holderFile(join(lockOf(join(folder, 'other-host')), 'owner.json'), deadPid(), 'another-mac'),
      ],
      ['young-orphan', () => undefined],
    ] as const) {
      const target = join(folder, name);
      mkdirSync(lockOf(target), { recursive: true });
      holder();
      const controller = new AbortController();
      let polls = 0;
      const waiting = withLock(target, () => 'should not run', {
        pollMs: 1,
        signal: controller.signal,
      }).catch((error: Error) => error.name);
      // Let it poll a few times (each poll re-reads the holder), then abort.
      while (polls < 5) {
        await new Promise((resolve) => setImmediate(resolve));
        polls++;
      }
      controller.abort();
      expect(await waiting).toBe('AbortError');
      expect(existsSync(lockOf(target))).toBe(true);
    }
  });
});

describe('leases', () => {
  it('a lease marks the folder used now, names this process, and goes with releaseLeases', () => {
    const target = join(folder, 'images/entry');
    mkdirSync(target, { recursive: true });
    ageFile(target, 10 * 86_400_000);
    const lease = takeLease(target);
    expect(lease.startsWith(`${target}.leases/${process.pid}-`)).toBe(true);
    expect(JSON.parse(readFileSync(lease, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(Date.now() - statSync(target).mtimeMs).toBeLessThan(60_000);
    expect(liveLeases(target)).toEqual([expect.objectContaining({ pid: process.pid })]);
    const second = takeLease(target);
    expect(second).not.toBe(lease);
    expect(liveLeases(target)).toHaveLength(2);
    rmSync(second); // gone already (a gc of a dead-looking lease, say): releasing it is still fine
    releaseLeases();
    expect(existsSync(lease)).toBe(false);
    expect(existsSync(second)).toBe(false);
    expect(liveLeases(target)).toEqual([]);
  });

  it('counts live holders, removes dead ones and old damaged files, and leaves a lease being written alone', () => {
    const target = join(folder, 'shared/npm');
    const leases = `${target}.leases`;
    mkdirSync(leases, { recursive: true });
    const live = liveProcess();
    holderFile(join(leases, 'live.json'), live);
    holderFile(join(leases, 'remote.json'), deadPid(), 'another-mac');
    holderFile(join(leases, 'dead.json'), deadPid());
    writeFileSync(join(leases, 'old-damaged.json'), '{');
    ageFile(join(leases, 'old-damaged.json'), 61_000);
    writeFileSync(join(leases, 'being-written.json'), '');
    expect(
      liveLeases(target)
        .map((holder) => holder.pid)
        .sort(),
    ).toEqual([live, JSON.parse(readFileSync(join(leases, 'remote.json'), 'utf8')).pid].sort());
    expect(readdirSync(leases).sort()).toEqual(['being-written.json', 'live.json', 'remote.json']);
    expect(liveLeases(join(folder, 'never-leased'))).toEqual([]);
  });

  it('tells bookkeeping names from cache entries', () => {
    for (const name of [
      'a.lock',
      'a.leases',
      'a.lock.stale-1',
      'key.tmp-0badf00d',
      'key.pruned-12',
      'x.nix-result',
    ])
      expect(isBookkeeping(`/cache/images/${name}`), name).toBe(true);
    for (const name of [
      '3f2a9c',
      'npm',
      'lockfile',
      'leases-notes',
      'tmp',
      'x.locks',
      'x.leases2',
      'x.nix-results',
    ])
      expect(isBookkeeping(`/cache/images/${name}`), name).toBe(false);
  });
});
