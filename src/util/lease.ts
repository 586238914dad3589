import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { writeJsonAtomic } from './atomic-write.js';

// A cached folder (an image cache entry, a named cache) is "in use" while a live process holds a lease on it: a
// file in `<folder>.leases/`. Leases are taken, and gc removes folders, only while holding `<folder>.lock` (an
// exclusive mkdir), so gc never removes a folder between a run's check and its use.

/** Who holds a lock or a lease. */
export const HolderSchema = z.strictObject({
  pid: z.number().int(),
  hostname: z.string(),
  startedAt: z.string(),
});
/** Who holds a lock or a lease. */
export type Holder = z.infer<typeof HolderSchema>;

/** Whether a process exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process, as a lock or lease holder. */
export function thisHolder(): Holder {
  return { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
}

/** Whether a holder may still be using what it holds: alive here, or on another host (which cannot be asked). */
export function holderAlive(holder: Holder): boolean {
  return holder.hostname !== hostname() || (holder.pid > 0 && processAlive(holder.pid));
}

/** The lock folder that guards `target`. */
export function lockOf(target: string): string {
  return `${target}.lock`;
}

/** Takes `target`'s lock if it is free (an exclusive mkdir, then who holds it); false when someone holds it. */
export function tryLock(target: string): boolean {
  const lock = lockOf(target);
  mkdirSync(dirname(lock), { recursive: true });
  try {
    mkdirSync(lock);
  } catch {
    return false;
  }
  writeJsonAtomic(join(lock, 'owner.json'), thisHolder());
  return true;
}

/** Releases a lock this process took. */
export function unlock(target: string): void {
  rmSync(lockOf(target), { recursive: true, force: true });
}

/** Who holds `target`'s lock, when it is readable. */
export function lockHolder(target: string): Holder | undefined {
  try {
    return HolderSchema.parse(JSON.parse(readFileSync(join(lockOf(target), 'owner.json'), 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` holding `target`'s lock, waiting while another process holds it. A lock whose holder died on this
 * machine (or that never got a holder within a minute) is removed; the locks this module takes are held for
 * milliseconds, so waiting is rare.
 */
export async function withLock<T>(
  target: string,
  work: () => T,
  options: { signal?: AbortSignal; pollMs?: number } = {},
): Promise<T> {
  for (;;) {
    options.signal?.throwIfAborted();
    if (tryLock(target)) break;
    const holder = lockHolder(target);
    if (holder === undefined ? fileAgeMs(lockOf(target)) > 60_000 : !holderAlive(holder)) unlock(target);
    else await sleep(options.pollMs ?? 100);
  }
  try {
    return work();
  } finally {
    unlock(target);
  }
}

function fileAgeMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Leases this process holds, released together at the end of a run (or when the process exits). */
const held = new Set<string>();
let releaseOnExit = false;

/**
 * Marks `target` in use by this process and as just used (its mtime: gc removes the least recently used first).
 * Call it holding `target`'s lock. Returns the lease file.
 */
export function takeLease(target: string): string {
  const folder = `${target}.leases`;
  mkdirSync(folder, { recursive: true });
  const lease = join(folder, `${process.pid}-${randomBytes(4).toString('hex')}.json`);
  writeJsonAtomic(lease, thisHolder());
  const now = new Date();
  utimesSync(target, now, now);
  held.add(lease);
  if (!releaseOnExit) {
    releaseOnExit = true;
    process.once('exit', releaseLeases);
  }
  return lease;
}

/**
 * Takes a lease on a folder (created if missing) holding its lock, waiting for the lock: for stores whose entries
 * gc removes one by one (the OCI blob store, the image builders' package caches, a run's host workspaces).
 */
export async function leaseFolder(target: string, signal?: AbortSignal): Promise<void> {
  mkdirSync(target, { recursive: true });
  await withLock(target, () => takeLease(target), signal === undefined ? {} : { signal });
}

/** Releases every lease this process holds (a run is over: what it used may be pruned). */
export function releaseLeases(): void {
  for (const lease of held) rmSync(lease, { force: true });
  held.clear();
}

/** The live leases on `target`; leases of processes that died on this machine are removed on the way. */
export function liveLeases(target: string): Holder[] {
  const folder = `${target}.leases`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const live: Holder[] = [];
  for (const name of names) {
    const path = join(folder, name);
    let holder: Holder | undefined;
    try {
      holder = HolderSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    } catch {
      holder = undefined; // being written, or damaged: a damaged lease holds nothing
    }
    if (holder !== undefined && holderAlive(holder)) live.push(holder);
    else if (holder !== undefined || fileAgeMs(path) > 60_000) rmSync(path, { force: true });
  }
  return live;
}

/** Whether a name in a cache folder is bookkeeping (a lock, leases, a build or removal in progress), not an entry. */
export function isBookkeeping(name: string): boolean {
  return /\.(lock|leases)$|\.lock\.stale-|\.tmp-|\.pruned-|\.nix-result$/.test(basename(name));
}
