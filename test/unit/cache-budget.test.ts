import { describe, expect, it } from 'vitest';
import { type CacheItem, choosePrunes, describeItem } from '../../src/images/cache-gc.js';
import { parseBytes } from '../../src/util/bytes.js';
import { defaultCacheDir } from '../../src/util/state-dir.js';

const DAY = 86_400_000;
const NOW = 100 * DAY;

function item(name: string, gb: number, daysAgo: number, inUse = false): CacheItem {
  return {
    kind: 'image',
    label: name,
    path: `/c/images/${name}`,
    guard: `/c/images/${name}`,
    bytes: gb * 1e9,
    lastUsedMs: NOW - daysAgo * DAY,
    inUse,
  };
}

describe('choosing what the cache folder gives up', () => {
  const items = [item('a', 3, 1), item('b', 2, 10), item('c', 4, 5), item('d', 1, 30, true)];

  it('removes the least recently used first, only until the rest fits the size', () => {
    // 10 GB in all; 6 GB allowed: b (10 days) goes, then c (5 days); d is older but in use.
    expect(choosePrunes(items, { maxBytes: 6e9 }, NOW).map((x) => x.label)).toEqual(['b', 'c']);
    expect(choosePrunes(items, { maxBytes: 8e9 }, NOW).map((x) => x.label)).toEqual(['b']);
    expect(choosePrunes(items, { maxBytes: 10e9 }, NOW)).toEqual([]);
  });

  it('never removes an item in use, even when the budget cannot be met', () => {
    const chosen = choosePrunes(items, { maxBytes: 0 }, NOW).map((x) => x.label);
    expect(chosen).toEqual(['b', 'c', 'a']);
    expect(chosen).not.toContain('d');
  });

  it('removes whatever was not used within the age limit, then applies the size to the rest', () => {
    expect(choosePrunes(items, { maxAgeMs: 7 * DAY }, NOW).map((x) => x.label)).toEqual(['b']);
    // b goes by age (8 GB left), then c by size to fit 5 GB.
    expect(choosePrunes(items, { maxAgeMs: 7 * DAY, maxBytes: 5e9 }, NOW).map((x) => x.label)).toEqual([
      'b',
      'c',
    ]);
    expect(choosePrunes(items, { maxAgeMs: 0 }, NOW).map((x) => x.label)).toEqual(['b', 'c', 'a']);
  });

  it('describes an item with its size and last use', () => {
    expect(describeItem(item('a', 1.2, 3), NOW)).toBe('a: 1.2 GB, last used 3 days ago');
    expect(describeItem(item('d', 1, 0.5, true), NOW)).toBe('d: 1.0 GB, last used today (in use)');
  });
});

describe('sizes people write', () => {
  it('reads SI and binary units, with or without a space', () => {
    expect(parseBytes('20GB')).toBe(20e9);
    expect(parseBytes('500 MB')).toBe(500e6);
    expect(parseBytes('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseBytes('0')).toBe(0);
    expect(parseBytes('64k')).toBe(64_000);
    expect(parseBytes('7')).toBe(7);
    // What formatBytes prints reads back.
    expect(parseBytes('812 bytes')).toBe(812);
  });

  it('refuses what is not a size', () => {
    for (const text of ['', 'GB', '-1GB', '20 parsecs', '1e9', '20GB!'])
      expect(parseBytes(text)).toBeUndefined();
  });
});

describe('the per-user cache folder', () => {
  it('is ~/Library/Caches/vmplan on macOS, XDG_CACHE_HOME or ~/.cache elsewhere, VMPLAN_CACHE_DIR above all', () => {
    expect(defaultCacheDir({}, 'darwin', '/Users/ci')).toBe('/Users/ci/Library/Caches/vmplan');
    expect(defaultCacheDir({}, 'linux', '/home/ci')).toBe('/home/ci/.cache/vmplan');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/ci' }, 'linux', '/home/ci')).toBe(
      '/var/cache/ci/vmplan',
    );
    // A relative XDG_CACHE_HOME is invalid by the spec, and ignored.
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'cache' }, 'linux', '/home/ci')).toBe('/home/ci/.cache/vmplan');
    expect(defaultCacheDir({ VMPLAN_CACHE_DIR: '/srv/vmplan' }, 'darwin', '/Users/ci')).toBe('/srv/vmplan');
    expect(defaultCacheDir({ VMPLAN_CACHE_DIR: '' }, 'darwin', '/Users/ci')).toBe(
      '/Users/ci/Library/Caches/vmplan',
    );
  });
});
