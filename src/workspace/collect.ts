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

/**
 * Brings a job's declared outputs into its folder: what its `artifacts` globs match (under `roots.artifacts`)
 * into artifacts/, what its JUnit globs match (under `roots.reports`) into reports/. Returns a note per pattern
 * that matched nothing.
 */
export async function collectJobOutputs(
  roots: { artifacts: string; reports: string },
  globs: { artifacts: readonly string[]; reports: readonly string[] },
  jobDir: string,
): Promise<string[]> {
  const notes: string[] = [];
  for (const [patterns, folder, what] of [
    [globs.artifacts, 'artifacts', 'artifact'],
    [globs.reports, 'reports', 'report'],
  ] as const) {
    if (patterns.length === 0) continue;
    const collected = await collectMatches(roots[folder], patterns, join(jobDir, folder));
    if (collected.unmatched.length > 0)
      notes.push(`vmplan: no ${what} matched ${collected.unmatched.join(', ')}`);
  }
  return notes;
}
