import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FindBySuffix } from '../parsers/test-diagnostics.js';
import { compareText } from '../util/canonical-json.js';

/** Files indexed at most (a repository's snapshot; past this, suffixes are not looked up). */
const MAX_FILES = 200_000;

/**
 * Finds repository files by the end of their path (a JVM stack frame names `calc/CalcTest.java`, the file is
 * `src/test/java/calc/CalcTest.java`), from one walk of the run's snapshot made on the first lookup. Never follows
 * a link; when several files match, the shortest path wins (then the first in order).
 */
export function suffixFinder(root: string): FindBySuffix {
  // A run's snapshot never changes: every job of the run (and its diagnostics and test summary) shares one walk.
  if (latest?.root === root) return latest.find;
  let byName: Map<string, string[]> | undefined;
  const find: FindBySuffix = (suffix) => {
    byName ??= indexByName(root);
    const name = suffix.slice(suffix.lastIndexOf('/') + 1);
    const candidates = (byName.get(name) ?? []).filter(
      (path) => path === suffix || path.endsWith(`/${suffix}`),
    );
    return candidates.sort((a, b) => a.length - b.length || compareText(a, b))[0];
  };
  latest = { root, find };
  return find;
}

/** The finder of the snapshot looked at last (one run's at a time). */
let latest: { root: string; find: FindBySuffix } | undefined;

function indexByName(root: string): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  const folders = [''];
  let files = 0;
  while (folders.length > 0 && files < MAX_FILES) {
    const folder = folders.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(join(root, folder), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== '.git') folders.push(path);
      } else if (entry.isFile()) {
        byName.set(entry.name, [...(byName.get(entry.name) ?? []), path]);
        if (++files >= MAX_FILES) break;
      }
    }
  }
  return byName;
}
