import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InfrastructureError } from '../errors.js';
import { formatBytes } from '../util/bytes.js';
import { compareText } from '../util/canonical-json.js';
import { freeBytes } from '../util/disk.js';
import { holderAlive, isBookkeeping, liveLeases, lockHolder, tryLock, unlock } from '../util/lease.js';

/**
 * The kinds of things vmplan keeps in the cache folder: image cache entries (`images/`), named caches (`shared/`),
 * OCI blobs (`oci-blobs/`), the image builders' package caches and test-guest builds (`debian-guest/`,
 * `test-guest/`), host-job workspaces of runs (`workspaces/`), recorded durations and executor probes.
 */
export const CACHE_KINDS = ['image', 'cache', 'blob', 'packages', 'workspace', 'durations', 'probe'] as const;
/** One kind of thing in the cache folder. */
export type CacheKind = (typeof CACHE_KINDS)[number];

/** One thing in the cache folder gc may remove. */
export interface CacheItem {
  kind: CacheKind;
  /** For people: `image guest (key 3f2a…)`, `cache npm (org_repo, trusted)`, `blob sha256-3f2a…`. */
  label: string;
  path: string;
  /** The folder whose lock and leases guard it: itself, or the store it is part of (blobs, package caches). */
  guard: string;
  bytes: number;
  lastUsedMs: number;
  /** A live run holds a lease on it (or its store), or its lock is held (a build, a pull): never removed. */
  inUse: boolean;
}

/** What the cache may keep: at most `maxBytes` in all, nothing unused for longer than `maxAgeMs`. */
export interface CacheBudget {
  maxBytes?: number;
  maxAgeMs?: number;
}

/**
 * The items to remove to meet a budget, least recently used first: every unused item older than the age limit,
 * then unused items by last use until the rest fits the size. An item in use is never chosen, even when the
 * budget then cannot be met.
 */
export function choosePrunes(items: readonly CacheItem[], budget: CacheBudget, nowMs: number): CacheItem[] {
  const oldestFirst = [...items].sort((a, b) => a.lastUsedMs - b.lastUsedMs || compareText(a.path, b.path));
  const chosen = new Set<CacheItem>();
  if (budget.maxAgeMs !== undefined) {
    for (const item of oldestFirst)
      if (!item.inUse && nowMs - item.lastUsedMs > budget.maxAgeMs) chosen.add(item);
  }
  if (budget.maxBytes !== undefined) {
    let total = items.reduce((sum, item) => sum + (chosen.has(item) ? 0 : item.bytes), 0);
    for (const item of oldestFirst) {
      if (total <= budget.maxBytes) break;
      if (item.inUse || chosen.has(item)) continue;
      chosen.add(item);
      total -= item.bytes;
    }
  }
  return oldestFirst.filter((item) => chosen.has(item));
}

/** Folders of the image builders under the cache folder (guest/build-*-guest.sh --cache): packages and builds. */
export const PACKAGE_FOLDERS = ['debian-guest', 'test-guest'] as const;

/** Everything vmplan keeps in a cache folder, with its size, last use and whether it is in use. */
export async function listCacheItems(cacheDir: string, signal?: AbortSignal): Promise<CacheItem[]> {
  const found: Omit<CacheItem, 'bytes' | 'lastUsedMs' | 'inUse'>[] = [];
  const own = (kind: CacheKind, label: string, path: string) =>
    found.push({ kind, label, path, guard: path });
  const images = join(cacheDir, 'images');
  for (const key of entries(images))
    own('image', `image ${imageName(join(images, key))} (key ${key})`, join(images, key));
  const shared = join(cacheDir, 'shared');
  for (const scope of entries(shared))
    for (const trust of entries(join(shared, scope)))
      for (const name of entries(join(shared, scope, trust)))
        own('cache', `cache ${name} (${scope}, ${trust})`, join(shared, scope, trust, name));
  const blobs = join(cacheDir, 'oci-blobs');
  for (const name of entries(blobs, true))
    found.push({ kind: 'blob', label: `blob ${name}`, path: join(blobs, name), guard: blobs });
  for (const folder of PACKAGE_FOLDERS) {
    const store = join(cacheDir, folder);
    for (const name of entries(store, true))
      found.push({
        kind: 'packages',
        label: `packages ${folder}/${name}`,
        path: join(store, name),
        guard: store,
      });
  }
  const workspaces = join(cacheDir, 'workspaces');
  for (const run of entries(workspaces)) own('workspace', `workspace of run ${run}`, join(workspaces, run));
  for (const [kind, name] of [
    ['durations', 'durations.json'],
    ['probe', 'qemu-accel.json'],
  ] as const)
    if (existsSync(join(cacheDir, name))) own(kind, `${kind} ${name}`, join(cacheDir, name));
  const items: CacheItem[] = [];
  for (const item of found) {
    try {
      const stat = statSync(item.path);
      items.push({
        ...item,
        bytes: stat.isDirectory() ? allocatedBytes(item.path, signal) : stat.blocks * 512,
        lastUsedMs: item.kind === 'packages' ? newestIn(item.path, stat.mtimeMs) : stat.mtimeMs,
        inUse: inUse(item.guard),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      // removed meanwhile
    }
  }
  return items;
}

/**
 * The bytes a folder takes on disk (allocated blocks, as du counts them; links are not followed, a file linked
 * twice counts once), walked in this process: one du process per item cost more than the walk itself.
 */
function allocatedBytes(root: string, signal?: AbortSignal): number {
  let total = 0;
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const path = stack.pop()!;
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(path);
    } catch {
      continue; // removed meanwhile
    }
    if (stat.nlink > 1 && !stat.isDirectory()) {
      const id = `${stat.dev}:${stat.ino}`;
      if (seen.has(id)) continue;
      seen.add(id);
    }
    total += stat.blocks * 512;
    if (!stat.isDirectory()) continue;
    try {
      for (const name of readdirSync(path)) stack.push(join(path, name));
    } catch {
      // unreadable or gone: what was counted stands
    }
  }
  return total;
}

/** The newest modification of a folder or its direct children (apt writes into its subfolders, not the top). */
function newestIn(path: string, ownMs: number): number {
  let newest = ownMs;
  try {
    for (const name of readdirSync(path)) newest = Math.max(newest, statSync(join(path, name)).mtimeMs);
  } catch {
    // a file, or gone: its own time
  }
  return newest;
}

/** What a prune did. */
export interface PruneResult {
  removed: CacheItem[];
  /** Chosen, but a run started using it (or a build locked it) before it could be removed. */
  skipped: CacheItem[];
  /** Bytes the cache folder holds after it (what vmplan keeps there, in use or within the budget). */
  keptBytes: number;
  /** Bytes removed, per kind (every kind, 0 when none). */
  freedBytes: Record<CacheKind, number>;
}

/**
 * Removes the items a budget does not allow (see choosePrunes). Each is removed holding its lock and only while
 * no live lease holds it, so a run never loses an image or cache it is using; it is renamed away first, so a run
 * that comes next builds or fills a fresh one instead of finding half of it. Leftovers of crashed builds go too.
 */
export async function pruneCache(
  cacheDir: string,
  budget: CacheBudget,
  options: { dryRun?: boolean; nowMs?: number; signal?: AbortSignal } = {},
): Promise<PruneResult> {
  const items = await listCacheItems(cacheDir, options.signal);
  const chosen = choosePrunes(items, budget, options.nowMs ?? Date.now());
  const removed: CacheItem[] = [];
  const skipped: CacheItem[] = [];
  if (options.dryRun === true) removed.push(...chosen);
  else {
    // One lock per guard: a store's blobs go together, under its lock taken once.
    const byGuard = new Map<string, CacheItem[]>();
    for (const item of chosen) byGuard.set(item.guard, [...(byGuard.get(item.guard) ?? []), item]);
    for (const [guard, group] of byGuard) {
      const gone = removeUnused(guard, group);
      for (const item of group) (gone ? removed : skipped).push(item);
    }
    // In the order chosen (least recently used first), whatever the grouping.
    removed.sort((a, b) => chosen.indexOf(a) - chosen.indexOf(b));
    skipped.sort((a, b) => chosen.indexOf(a) - chosen.indexOf(b));
  }
  if (options.dryRun !== true) removeLeftovers(cacheDir);
  const keptBytes = items.reduce((sum, item) => sum + (removed.includes(item) ? 0 : item.bytes), 0);
  const freedBytes = Object.fromEntries(CACHE_KINDS.map((kind) => [kind, 0])) as Record<CacheKind, number>;
  for (const item of removed) freedBytes[item.kind] += item.bytes;
  return { removed, skipped, keptBytes, freedBytes };
}

/** What each kind is called, for people. */
const KIND_NAMES: Record<CacheKind, string> = {
  image: 'images',
  cache: 'named caches',
  blob: 'OCI blobs',
  packages: 'package caches',
  workspace: 'workspaces',
  durations: 'durations',
  probe: 'probes',
};

/** What a prune freed per kind, for people: `freed images 1.2 GB, OCI blobs 809 MB` (or `freed nothing`). */
export function describeFreed(freed: Record<CacheKind, number>): string {
  const parts = CACHE_KINDS.filter((kind) => freed[kind] > 0).map(
    (kind) => `${KIND_NAMES[kind]} ${formatBytes(freed[kind])}`,
  );
  return parts.length === 0 ? 'freed nothing' : `freed ${parts.join(', ')}`;
}

/** One line per item, for people: `image guest (key 3f2a…): 1.2 GB, last used 3 days ago`. */
export function describeItem(item: CacheItem, nowMs: number): string {
  const days = Math.floor((nowMs - item.lastUsedMs) / 86_400_000);
  const when = days < 1 ? 'today' : days === 1 ? 'yesterday' : `${days} days ago`;
  return `${item.label}: ${formatBytes(item.bytes)}, last used ${when}${item.inUse ? ' (in use)' : ''}`;
}

/** Removes items sharing a guard unless it is in use (a live lease, its lock held); true when they are gone. */
function removeUnused(guard: string, items: readonly CacheItem[]): boolean {
  if (!tryLock(guard)) return false;
  const away: string[] = [];
  try {
    if (liveLeases(guard).length > 0) return false;
    for (const { path } of items) {
      const to = `${path}.pruned-${randomBytes(4).toString('hex')}`;
      try {
        renameSync(path, to);
        away.push(to);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  } finally {
    unlock(guard);
  }
  for (const path of away) rmSync(path, { recursive: true, force: true });
  if (items.length === 1 && items[0]!.path === guard)
    rmSync(`${guard}.leases`, { recursive: true, force: true });
  return true;
}

/** Half-built image entries and half-removed items whose process died (no lock guards them). */
function removeLeftovers(cacheDir: string): void {
  const shared = join(cacheDir, 'shared');
  // Each folder, and whether its entries guard themselves (or the folder guards them all: a store).
  const folders: [string, boolean][] = [
    [join(cacheDir, 'images'), true],
    [join(cacheDir, 'workspaces'), true],
    [join(cacheDir, 'oci-blobs'), false],
    ...PACKAGE_FOLDERS.map((name): [string, boolean] => [join(cacheDir, name), false]),
  ];
  for (const scope of entries(shared))
    for (const trust of entries(join(shared, scope))) folders.push([join(shared, scope, trust), true]);
  for (const [folder, selfGuarded] of folders) {
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder)) {
      if (selfGuarded && name.endsWith('.leases'))
        removeOrphanLeases(join(folder, name.slice(0, -'.leases'.length)));
      const match = /^(.+)\.(?:tmp|pruned)-[0-9a-f]+$/.exec(name);
      if (match === null) continue;
      const owner = selfGuarded ? join(folder, match[1]!) : folder;
      if (!tryLock(owner)) continue; // a build of that key is running: its output is not a leftover
      try {
        rmSync(join(folder, name), { recursive: true, force: true });
      } finally {
        unlock(owner);
      }
    }
  }
}

/** The leases folder of an entry that is gone (a finished run's workspace), once no live process holds a lease. */
function removeOrphanLeases(owner: string): void {
  if (existsSync(owner) || !tryLock(owner)) return;
  try {
    if (liveLeases(owner).length === 0) rmSync(`${owner}.leases`, { recursive: true, force: true });
  } finally {
    unlock(owner);
  }
}

function inUse(path: string): boolean {
  const holder = lockHolder(path);
  return (holder !== undefined && holderAlive(holder)) || liveLeases(path).length > 0;
}

/** Names in a folder that are entries (folders; with `files`, files too), not bookkeeping. */
function entries(folder: string, files = false): string[] {
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((entry) => (entry.isDirectory() || (files && entry.isFile())) && !isBookkeeping(entry.name))
      .map((entry) => entry.name)
      .sort(compareText);
  } catch {
    return [];
  }
}

function imageName(entry: string): string {
  try {
    return String((JSON.parse(readFileSync(join(entry, 'entry.json'), 'utf8')) as { image?: unknown }).image);
  } catch {
    return '(unfinished)';
  }
}

/**
 * Refuses a run that cannot fit before it starts: when a folder it writes to (state, cache) has less than
 * `minFreeBytes` free, an InfrastructureError says how much is free and which cache items `vmplan gc` would remove
 * (least recently used first, never one in use) to make room.
 */
export async function checkFreeSpace(
  folders: readonly { what: string; path: string }[],
  cacheDir: string,
  minFreeBytes: number,
): Promise<void> {
  for (const folder of folders) {
    const free = freeBytes(folder.path);
    if (free >= minFreeBytes) continue;
    const items = await listCacheItems(cacheDir);
    const total = items.reduce((sum, item) => sum + item.bytes, 0);
    const now = Date.now();
    const sameDisk = statSync(folder.path).dev === statSync(cacheDir).dev;
    const prunes = sameDisk
      ? choosePrunes(items, { maxBytes: Math.max(0, total - (minFreeBytes - free)) }, now)
      : [];
    const freed = prunes.reduce((sum, item) => sum + item.bytes, 0);
    const advice =
      prunes.length === 0
        ? 'vmplan gc cannot free enough there: free space on that disk'
        : `vmplan gc --max-size ${formatBytes(total - freed).replace(/ /g, '')} would free ${formatBytes(freed)} by removing ${prunes.map((item) => describeItem(item, now)).join('; ')}${free + freed < minFreeBytes ? ' (still not enough)' : ''}`;
    throw new InfrastructureError(
      `only ${formatBytes(free)} free for the ${folder.what} ${folder.path}; a run needs ${formatBytes(minFreeBytes)} (--min-free, input min-free). ${advice}`,
    );
  }
}
