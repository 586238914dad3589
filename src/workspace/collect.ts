import { constants, type Dirent } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import picomatch from 'picomatch';
import { maskFileInPlace } from '../util/mask-file.js';

/** What was brought back. */
export interface CollectResult {
  /** Relative paths copied (folders count once). */
  paths: string[];
  /** Patterns that matched nothing. */
  unmatched: string[];
  /** Entries left behind because they are not regular files or folders, with what they were. */
  skipped: { path: string; kind: string }[];
}

/** What an entry is, in words, when it is neither a regular file nor a folder. */
function specialKind(entry: { isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (entry.isSymbolicLink()) return 'a symbolic link';
  if (entry.isFIFO()) return 'a named pipe';
  if (entry.isSocket()) return 'a socket';
  return 'a device file';
}

/**
 * Copies the files and folders of `root` matching any of the globs into `destination`, keeping their relative
 * paths. A glob that names a folder brings the whole folder. The tree is the guest's (or a job's): no symlink is
 * followed at any component — not `root` itself, not a folder on the way to a match — and only regular files
 * and folders are copied; links, pipes, sockets and devices are skipped and listed. Copies are the runner's
 * files: permission bits only (never setuid, setgid or sticky), with the given secret values masked.
 */
export async function collectMatches(
  root: string,
  globs: readonly string[],
  destination: string,
  secrets: readonly string[] = [],
): Promise<CollectResult> {
  const result: CollectResult = { paths: [], unmatched: [], skipped: [] };
  const rootInfo = await lstat(root).catch(() => undefined);
  if (rootInfo === undefined || !rootInfo.isDirectory()) {
    if (rootInfo !== undefined) result.skipped.push({ path: '.', kind: specialKind(rootInfo) });
    result.unmatched.push(...globs);
    return result;
  }
  for (const glob of globs) {
    const pattern = glob.replace(/\/+$/, '');
    const matches = picomatch(pattern, { dot: true });
    const base = picomatch.scan(pattern).base;
    const found: Dirent[] = [];
    const foundPaths: string[] = [];
    // Only real folders are entered (readdir's types are lstat's), from the root down.
    const walk = async (relative: string): Promise<void> => {
      const entries = await readdir(relative === '' ? root : join(root, relative), { withFileTypes: true });
      for (const entry of entries) {
        const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
        const onTheWay =
          base === '' || base === path || base.startsWith(`${path}/`) || path.startsWith(`${base}/`);
        if (!onTheWay) continue;
        if (matches(path)) {
          found.push(entry);
          foundPaths.push(path);
        } else if (entry.isDirectory()) await walk(path);
      }
    };
    await walk('');
    if (found.length === 0) result.unmatched.push(glob);
    for (const [index, relative] of foundPaths.entries()) {
      // Already brought (or left behind), itself or in a folder brought whole: once is enough.
      const covered = (path: string) => path === relative || relative.startsWith(`${path}/`);
      if (result.paths.some(covered) || result.skipped.some((entry) => entry.path === relative)) continue;
      if (await copyEntry(root, relative, found[index]!, { destination, secrets }, result))
        result.paths.push(relative);
    }
  }
  return result;
}

/** Copies one matched entry (a folder: everything in it) as regular files and folders only; false if skipped. */
async function copyEntry(
  root: string,
  relative: string,
  entry: Dirent,
  into: { destination: string; secrets: readonly string[] },
  result: CollectResult,
): Promise<boolean> {
  const { destination } = into;
  if (entry.isDirectory()) {
    await mkdir(join(destination, relative), { recursive: true });
    for (const child of await readdir(join(root, relative), { withFileTypes: true }))
      await copyEntry(root, `${relative}/${child.name}`, child, into, result);
    return true;
  }
  if (!entry.isFile()) {
    result.skipped.push({ path: relative, kind: specialKind(entry) });
    return false;
  }
  const from = join(root, relative);
  const to = join(destination, relative);
  await mkdir(dirname(to), { recursive: true });
  // Checked again right before the copy: the entry must still be a regular file, not a link put in its place.
  const info = await lstat(from);
  if (!info.isFile()) {
    result.skipped.push({ path: relative, kind: specialKind(info) });
    return false;
  }
  await copyFile(from, to, constants.COPYFILE_FICLONE);
  await chmod(to, info.mode & 0o777);
  // Reports feed annotations, check runs and results.json, and both are uploaded: no secret value stays in them.
  await maskFileInPlace(to, into.secrets);
  return true;
}

/**
 * Brings what a job declared into its folder: what its `artifacts` globs match (under `roots.artifacts`) into
 * artifacts/, what its report globs match (under `roots.reports`) into reports/, and (given only for a job that
 * passed) what its `outputs` globs match into outputs/. Returns notes for the
 * log: patterns that matched nothing, and entries left behind (names quoted, so they stay on one line).
 */
export async function collectJobOutputs(
  roots: { artifacts: string; reports: string; outputs?: string },
  globs: { artifacts: readonly string[]; reports: readonly string[]; outputs?: readonly string[] },
  jobDir: string,
  secrets: readonly string[],
): Promise<string[]> {
  const notes: string[] = [];
  for (const [patterns, folder, what] of [
    [globs.artifacts, 'artifacts', 'artifact'],
    [globs.reports, 'reports', 'report'],
    [globs.outputs ?? [], 'outputs', 'output'],
  ] as const) {
    if (patterns.length === 0) continue;
    // Outputs are build products for the jobs of this run (never uploaded): masking would corrupt them.
    const root = roots[folder] ?? roots.artifacts;
    const collected = await collectMatches(
      root,
      patterns,
      join(jobDir, folder),
      folder === 'outputs' ? [] : secrets,
    );
    if (collected.unmatched.length > 0)
      notes.push(
        `vmplan: no ${what} matched ${collected.unmatched.map((glob) => JSON.stringify(glob)).join(', ')}`,
      );
    for (const skipped of collected.skipped)
      notes.push(
        `vmplan: left ${JSON.stringify(skipped.path)} behind: it is ${skipped.kind}, and only regular files and folders are brought back`,
      );
  }
  return notes;
}
