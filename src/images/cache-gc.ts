import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InfrastructureError } from '../errors.js';
import { formatBytes } from '../util/bytes.js';
import { compareText } from '../util/canonical-json.js';
import { diskUsage, freeBytes } from '../util/disk.js';
import { holderAlive, isBookkeeping, liveLeases, lockHolder, tryLock, unlock } from '../util/lease.js';

/** One thing in the cache folder gc may remove: an image cache entry or a named cache. */
export interface CacheItem {
  kind: 'image' | 'cache';
  /** For people: `image guest (key 3f2a…)`, `cache npm (org_repo, trusted)`. */
  label: string;
  path: string;
  bytes: number;
  lastUsedMs: number;
  /** A live run holds a lease on it, or its lock is held (a build): never removed. */
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

/** The image cache entries and named caches in a cache folder, with their size, last use and whether in use. */
export async function listCacheItems(cacheDir: string, signal?: AbortSignal): Promise<CacheItem[]> {
  const found: Omit<CacheItem, 'bytes' | 'lastUsedMs' | 'inUse'>[] = [];
  const images = join(cacheDir, 'images');
  for (const key of entries(images))
    found.push({
      kind: 'image',
      label: `image ${imageName(join(images, key))} (key ${key})`,
      path: join(images, key),
    });
  const shared = join(cacheDir, 'shared');
  for (const scope of entries(shared))
    for (const trust of entries(join(shared, scope)))
      for (const name of entries(join(shared, scope, trust)))
        found.push({
          kind: 'cache',
          label: `cache ${name} (${scope}, ${trust})`,
          path: join(shared, scope, trust, name),
        });
  const items: CacheItem[] = [];
  for (const item of found) {
    try {
      items.push({
        ...item,
        bytes: await diskUsage(item.path, signal),
        lastUsedMs: statSync(item.path).mtimeMs,
        inUse: inUse(item.path),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      // removed meanwhile
    }
  }
  return items;
}

/** What a prune did. */
export interface PruneResult {
  removed: CacheItem[];
  /** Chosen, but a run started using it (or a build locked it) before it could be removed. */
  skipped: CacheItem[];
  /** Bytes the cache folder holds after it. */
  keptBytes: number;
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
  for (const item of chosen) {
    if (options.dryRun === true || removeUnused(item.path)) removed.push(item);
    else skipped.push(item);
  }
  if (options.dryRun !== true) removeLeftovers(cacheDir);
  const keptBytes = items.reduce((sum, item) => sum + (removed.includes(item) ? 0 : item.bytes), 0);
  return { removed, skipped, keptBytes };
}

/** One line per item, for people: `image guest (key 3f2a…): 1.2 GB, last used 3 days ago`. */
export function describeItem(item: CacheItem, nowMs: number): string {
  const days = Math.floor((nowMs - item.lastUsedMs) / 86_400_000);
  const when = days < 1 ? 'today' : days === 1 ? 'yesterday' : `${days} days ago`;
  return `${item.label}: ${formatBytes(item.bytes)}, last used ${when}${item.inUse ? ' (in use)' : ''}`;
}

/** Removes one entry unless it is in use; true when it is gone. */
function removeUnused(path: string): boolean {
  if (!tryLock(path)) return false;
  let away: string | undefined;
  try {
    if (liveLeases(path).length > 0) return false;
    away = `${path}.pruned-${randomBytes(4).toString('hex')}`;
    renameSync(path, away);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  } finally {
    unlock(path);
  }
  if (away !== undefined) rmSync(away, { recursive: true, force: true });
  rmSync(`${path}.leases`, { recursive: true, force: true });
  return true;
}

/** Half-built image entries and half-removed items whose process died (no lock guards them). */
function removeLeftovers(cacheDir: string): void {
  const shared = join(cacheDir, 'shared');
  const folders = [join(cacheDir, 'images')];
  for (const scope of entries(shared))
    for (const trust of entries(join(shared, scope))) folders.push(join(shared, scope, trust));
  for (const folder of folders) {
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder)) {
      const match = /^(.+)\.(?:tmp|pruned)-[0-9a-f]+$/.exec(name);
      if (match === null) continue;
      const owner = join(folder, match[1]!);
      if (!tryLock(owner)) continue; // a build of that key is running: its output is not a leftover
      try {
        rmSync(join(folder, name), { recursive: true, force: true });
      } finally {
        unlock(owner);
      }
    }
  }
}

function inUse(path: string): boolean {
  const holder = lockHolder(path);
  return (holder !== undefined && holderAlive(holder)) || liveLeases(path).length > 0;
}

/** Folder names in a folder that are entries, not bookkeeping. */
function entries(folder: string): string[] {
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !isBookkeeping(entry.name))
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
