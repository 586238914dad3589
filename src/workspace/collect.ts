import { isUtf8 } from 'node:buffer';
import type { Dirent } from 'node:fs';
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import picomatch from 'picomatch';
import { formatBytes } from '../util/bytes.js';
import { maskFileInPlace } from '../util/mask-file.js';
import { copySparse } from './sparse-copy.js';

/**
 * What a job may still bring back: bytes (a file counts what it occupies, so a sparse file counts its data) and
 * files, and the files already brought (device and inode), so a hard link is copied once.
 */
export interface CollectBudget {
  bytes: number;
  files: number;
  /** `dev:ino` of each multiply linked file brought back, with its path. */
  readonly linked: Map<string, string>;
  /** Which jobs-file limits the budget comes from, for the notes (e.g. "limits.artifact-bytes"). */
  readonly names: { bytes: string; files: string };
}

/** A budget for one job's collection. */
export function collectBudget(bytes: number, files: number, names?: CollectBudget['names']): CollectBudget {
  return {
    bytes,
    files,
    linked: new Map(),
    names: names ?? { bytes: 'limits.artifact-bytes', files: 'limits.artifact-files' },
  };
}

/** Why a file is not brought back under the budget (and takes its share of it when it is); undefined: bring it. */
function charge(budget: CollectBudget, info: import('node:fs').Stats, relative: string): string | undefined {
  if (info.nlink > 1) {
    const first = budget.linked.get(`${info.dev}:${info.ino}`);
    if (first !== undefined) return `it is a hard link to ${JSON.stringify(first)}, brought back once`;
  }
  if (budget.files <= 0) return `the job brought back as many files as ${budget.names.files} allows`;
  // What the file occupies: its data, not the holes of a sparse file (the copy keeps them holes).
  const occupied = Math.min(info.size, info.blocks * 512);
  if (info.size > budget.bytes || occupied > budget.bytes)
    return `it is ${formatBytes(info.size)} (${formatBytes(occupied)} on disk), over what ${budget.names.bytes} leaves (${formatBytes(budget.bytes)})`;
  budget.files -= 1;
  budget.bytes -= occupied;
  if (info.nlink > 1) budget.linked.set(`${info.dev}:${info.ino}`, relative);
  return undefined;
}

/** How many left-behind entries of one kind the job's log names. */
const MAX_NOTES = 50;

/** Why an entry whose name is not UTF-8 is left behind: as text its name would name no entry. */
const NOT_UTF8 = 'its name is not UTF-8 (only UTF-8 names are brought back)';

/** An entry's name as text, or undefined when its bytes are not UTF-8. */
function textName(entry: Dirent<Buffer>): string | undefined {
  return isUtf8(entry.name) ? entry.name.toString('utf8') : undefined;
}

/** Notes an entry left behind for its name, once. */
function refuseName(result: CollectResult, path: string): void {
  if (!result.refused.some((entry) => entry.path === path)) result.refused.push({ path, why: NOT_UTF8 });
}

/** What was brought back. */
export interface CollectResult {
  /** Relative paths copied (folders count once). */
  paths: string[];
  /** Patterns that matched nothing. */
  unmatched: string[];
  /** Entries left behind because they are not regular files or folders, with what they were. */
  skipped: { path: string; kind: string }[];
  /** Entries left behind by the budget (over a limit, a hard link already brought) or for a name that is not UTF-8. */
  refused: { path: string; why: string }[];
}

/** What an entry is, in words, when it is not a folder (where one was expected) or not a regular file. */
function specialKind(entry: {
  isFile(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}): string {
  if (entry.isFile()) return 'a file, not a folder';
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
 * files: permission bits only (never setuid, setgid or sticky), with the given secret values masked, holes kept.
 * With a budget, files past its bytes or count, and second links to one file, are left behind and listed.
 */
export async function collectMatches(
  root: string,
  globs: readonly string[],
  destination: string,
  secrets: readonly string[] = [],
  budget?: CollectBudget,
): Promise<CollectResult> {
  const result: CollectResult = { paths: [], unmatched: [], skipped: [], refused: [] };
  const limit = budget ?? collectBudget(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
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
    const found: Dirent<Buffer>[] = [];
    const foundPaths: string[] = [];
    let badNames = false;
    // Only real folders are entered (readdir's types are lstat's), from the root down. Names are read as bytes: a
    // guest's name that is not UTF-8 is left behind, named, instead of failing the whole collection.
    const walk = async (relative: string): Promise<void> => {
      const entries = await readdir(join(root, relative), { withFileTypes: true, encoding: 'buffer' });
      for (const entry of entries) {
        const name = textName(entry);
        const text = name ?? entry.name.toString('utf8');
        const path = relative === '' ? text : `${relative}/${text}`;
        const onTheWay =
          base === '' || base === path || base.startsWith(`${path}/`) || path.startsWith(`${base}/`);
        if (!onTheWay) continue;
        if (name === undefined) {
          if (matches(path)) {
            refuseName(result, path);
            badNames = true;
          }
        } else if (matches(path)) {
          found.push(entry);
          foundPaths.push(path);
        } else if (entry.isDirectory()) await walk(path);
      }
    };
    await walk('');
    if (found.length === 0 && !badNames) result.unmatched.push(glob);
    for (const [index, relative] of foundPaths.entries()) {
      // Already brought (or left behind), itself or in a folder brought whole: once is enough.
      const covered = (path: string) => path === relative || relative.startsWith(`${path}/`);
      if (result.paths.some(covered) || result.skipped.some((entry) => entry.path === relative)) continue;
      if (await copyEntry(root, relative, found[index]!, { destination, secrets, budget: limit }, result))
        result.paths.push(relative);
    }
  }
  return result;
}

/** Copies one matched entry (a folder: everything in it) as regular files and folders only; false if skipped. */
async function copyEntry(
  root: string,
  relative: string,
  entry: Dirent<Buffer>,
  into: { destination: string; secrets: readonly string[]; budget: CollectBudget },
  result: CollectResult,
): Promise<boolean> {
  const { destination } = into;
  if (entry.isDirectory()) {
    await mkdir(join(destination, relative), { recursive: true });
    for (const child of await readdir(join(root, relative), { withFileTypes: true, encoding: 'buffer' })) {
      const name = textName(child);
      if (name === undefined) refuseName(result, `${relative}/${child.name.toString('utf8')}`);
      else await copyEntry(root, `${relative}/${name}`, child, into, result);
    }
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
  const refused = charge(into.budget, info, relative);
  if (refused !== undefined) {
    result.refused.push({ path: relative, why: refused });
    return false;
  }
  await copySparse(from, to);
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
  limits: { artifactBytes: number; artifactFiles: number; reportFiles: number } = {
    artifactBytes: Number.MAX_SAFE_INTEGER,
    artifactFiles: Number.MAX_SAFE_INTEGER,
    reportFiles: Number.MAX_SAFE_INTEGER,
  },
): Promise<string[]> {
  const notes: string[] = [];
  const shared = collectBudget(limits.artifactBytes, limits.artifactFiles);
  for (const [patterns, folder, what] of [
    [globs.artifacts, 'artifacts', 'artifact'],
    [globs.reports, 'reports', 'report'],
    [globs.outputs ?? [], 'outputs', 'output'],
  ] as const) {
    if (patterns.length === 0) continue;
    // Outputs are build products for the jobs of this run (never uploaded): masking would corrupt them.
    const root = roots[folder] ?? roots.artifacts;
    // Reports are read after the job: their count has a cap of its own, within the job's.
    const budget: CollectBudget =
      folder === 'reports'
        ? {
            ...shared,
            files: Math.min(shared.files, limits.reportFiles),
            names: { ...shared.names, files: 'limits.report-files' },
          }
        : shared;
    const filesBefore = budget.files;
    const collected = await collectMatches(
      root,
      patterns,
      join(jobDir, folder),
      folder === 'outputs' ? [] : secrets,
      budget,
    );
    if (budget !== shared) {
      shared.files -= filesBefore - budget.files;
      shared.bytes = budget.bytes;
    }
    if (collected.unmatched.length > 0)
      notes.push(
        `vmplan: no ${what} matched ${collected.unmatched.map((glob) => JSON.stringify(glob)).join(', ')}`,
      );
    const left = [
      ...collected.skipped.map(
        (skipped) =>
          `vmplan: left ${JSON.stringify(skipped.path)} behind: it is ${skipped.kind}, and only regular files and folders are brought back`,
      ),
      ...collected.refused.map(
        (refused) => `vmplan: left ${what} ${JSON.stringify(refused.path)} behind: ${refused.why}`,
      ),
    ];
    // A hostile job can leave millions: the log names the first ones and counts the rest.
    notes.push(...left.slice(0, MAX_NOTES));
    if (left.length > MAX_NOTES)
      notes.push(`vmplan: left ${left.length - MAX_NOTES} more ${what} entries behind (not listed)`);
  }
  return notes;
}
