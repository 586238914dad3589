import { realpath, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Plan } from '../plan/schema.js';
import { formatBytes } from '../util/bytes.js';
import { diskUsage } from '../util/disk.js';
import { type CopyStats, copyTree } from './copy-tree.js';
import { createExcluder } from './exclude.js';
import { addGitHead } from './git-head.js';
import { gitView, gitViewExcluder, isGitWorkTree } from './git-view.js';

/** Snapshots above this size get a hint about what to leave out. */
const LARGE_SNAPSHOT_BYTES = 1024 ** 3;
/** Ignored entries named in the snapshot line; the rest are counted. */
const IGNORED_NAMED = 5;

/** What to snapshot and where. */
export interface SnapshotRequest {
  /** The folder jobs see as their workspace. */
  root: string;
  target: string;
  settings: Plan['workspace'];
  /** The commit the plan names: the snapshot's own `.git` has it as HEAD (see git-head.ts). */
  commit?: string | null | undefined;
  /**
   * Only what git tracks (an untrusted run): untracked files of the runner's checkout — whatever earlier steps
   * wrote there — stay out even when the pull request's .gitignore does not ignore them.
   */
  trackedOnly?: boolean;
  /** The state folder: never part of the snapshot, even when it is inside the workspace. */
  stateRoot: string;
  signal: AbortSignal;
  note: (line: string) => void;
}

/** What a snapshot holds, and what git's view left out. */
export interface SnapshotResult {
  stats: CopyStats;
  /** How the contents were chosen: git's view of the work tree, or every file of a folder that is not one. */
  source: 'git' | 'folder';
  /** Paths git ignores that were left out (folders end in "/"). */
  ignored: string[];
}

/**
 * Copies the workspace for a run. In a git work tree: what git would commit (tracked files and untracked files
 * that are not ignored), plus `include-ignored`, minus `exclude` (`trackedOnly`: tracked files minus `exclude`); elsewhere every file minus `exclude`. `.git`
 * and the state folder are always left out. Says what it left out and how big the snapshot is.
 */
export async function makeSnapshot(request: SnapshotRequest): Promise<SnapshotResult> {
  const { root, settings } = request;
  const exclude = ['.git', ...settings.exclude];
  // The folder the user named may be a link to their checkout (--workspace link): the snapshot copies the folder
  // it leads to. Copied as a link, every job's workspace would be that link, and jobs would write into the checkout.
  const source = await realpath(root);
  const stateRoot = await realpath(request.stateRoot).catch(() => request.stateRoot);
  const stateRelative = relative(source, stateRoot).split(sep).join('/');
  // Inside unless it is the workspace itself or climbs out of it ("..", "../x"; a folder named "..x" is inside).
  const stateInside = stateRelative !== '' && stateRelative !== '..' && !stateRelative.startsWith('../');
  if (stateInside) exclude.push(`/${stateRelative}/`);
  const userExcluded = createExcluder(exclude);
  const git = isGitWorkTree(root);
  const trackedOnly = request.trackedOnly === true;
  const includeIgnored = trackedOnly ? [] : (settings.includeIgnored ?? []);
  const view = git ? await gitView(root, includeIgnored, request.signal, { trackedOnly }) : undefined;
  const outsideView = view === undefined ? undefined : gitViewExcluder(view);
  const what = trackedOnly ? 'the files git tracks (untrusted run)' : 'the files git would commit';
  request.note(
    git
      ? `Snapshotting ${root}: ${what}${describeList(' plus ignored', includeIgnored)}, excluding ${exclude.join(', ')}`
      : `Snapshotting ${root} (not a git work tree: every file, excluding ${exclude.join(', ')})`,
  );
  const stats = await copyTree(source, request.target, {
    exclude: (path, isDirectory) =>
      userExcluded(path, isDirectory) || outsideView?.(path, isDirectory) === true,
    signal: request.signal,
  });
  const gitNote = git ? await giveGitHead(request) : undefined;
  const bytes = await diskUsage(request.target, request.signal);
  // The state folder is never in a snapshot; naming it among the ignored would only confuse.
  const ignored = (view?.ignored ?? []).filter(
    (path) => !stateInside || !path.startsWith(`${stateRelative}/`),
  );
  request.note(snapshotLine(stats, bytes, ignored));
  if (gitNote !== undefined) request.note(gitNote);
  const hint = largeSnapshotHint(bytes);
  if (hint !== undefined) request.note(hint);
  return { stats, source: git ? 'git' : 'folder', ignored };
}

/** Gives the snapshot its `.git` (HEAD at the plan's commit); the line saying what jobs see, or why no .git. */
async function giveGitHead(request: SnapshotRequest): Promise<string> {
  try {
    const head = await addGitHead(request.root, request.target, request.commit, request.signal);
    return head === undefined
      ? 'The repository has no commit yet: jobs get no .git'
      : `Jobs see a git checkout of ${head.commit.slice(0, 12)}${head.branch === undefined ? ' (detached)' : ` on ${head.branch}`}, with this snapshot's changes uncommitted`;
  } catch (error) {
    if (request.signal.aborted) throw error;
    await rm(join(request.target, '.git'), { recursive: true, force: true });
    return `Jobs get no .git: git could not copy the commit (${gitWords(error)})`;
  }
}

/**
 * git's own words, on one line: its first three lines of stderr. Its processes write them concurrently (a fetch
 * prints the serving side's lines as they arrive), so the line that names the cause is not always the first.
 */
function gitWords(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : String((error as Error).message);
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(0, 3)
    .join('; ');
}

/** "Snapshot: 812 files, 14.2 MB in 120 ms (copy-on-write clones); left out as ignored by git: node_modules/, ..." */
export function snapshotLine(stats: CopyStats, bytes: number, ignored: readonly string[]): string {
  const how = stats.method === 'clone' ? 'copy-on-write clones' : 'copied';
  const line = `Snapshot: ${stats.files} files, ${formatBytes(bytes)} in ${stats.ms} ms (${how})`;
  if (ignored.length === 0) return line;
  const named = ignored.slice(0, IGNORED_NAMED).join(', ');
  const more = ignored.length > IGNORED_NAMED ? ` and ${ignored.length - IGNORED_NAMED} more` : '';
  return `${line}; left out as ignored by git: ${named}${more} (workspace.include-ignored brings paths back)`;
}

/** For a snapshot of 1 GiB or more, what to do about its size; undefined for a smaller one. */
export function largeSnapshotHint(bytes: number): string | undefined {
  if (bytes < LARGE_SNAPSHOT_BYTES) return undefined;
  return `The snapshot is ${formatBytes(bytes)}: every job starts from it. Leave out what jobs do not need with workspace.exclude in the jobs file.`;
}

function describeList(prefix: string, items: readonly string[]): string {
  return items.length === 0 ? '' : `${prefix} ${items.join(', ')}`;
}
