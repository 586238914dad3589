import { lstat, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import picomatch from 'picomatch';
import { copyTree } from './copy-tree.js';

/** What was brought back. */
export interface CollectResult {
  /** Relative paths copied (folders count once). */
  paths: string[];
  /** Patterns that matched nothing. */
  unmatched: string[];
}

/**
 * Copies the files and folders of `root` matching any of the globs into `destination`, keeping their
 * relative paths. A glob that names a folder brings the whole folder. Symlinks are copied as symlinks,
 * never followed, so nothing outside `root` can be brought back through them.
 */
export async function collectMatches(
  root: string,
  globs: readonly string[],
  destination: string,
): Promise<CollectResult> {
  const result: CollectResult = { paths: [], unmatched: [] };
  for (const glob of globs) {
    const pattern = glob.replace(/\/+$/, '');
    const matches = picomatch(pattern, { dot: true });
    const base = picomatch.scan(pattern).base;
    const found: string[] = [];
    const walk = async (relative: string): Promise<void> => {
      let info: Awaited<ReturnType<typeof lstat>>;
      try {
        info = await lstat(join(root, relative));
      } catch {
        return;
      }
      if (relative !== '' && matches(relative)) {
        found.push(relative);
        return;
      }
      if (!info.isDirectory()) return;
      for (const name of await readdir(join(root, relative)))
        await walk(relative === '' ? name : `${relative}/${name}`);
    };
    await walk(base);
    if (found.length === 0) result.unmatched.push(glob);
    for (const relative of found) {
      if (result.paths.includes(relative)) continue;
      await mkdir(dirname(join(destination, relative)), { recursive: true });
      await copyTree(join(root, relative), join(destination, relative));
      result.paths.push(relative);
    }
  }
  return result;
}
