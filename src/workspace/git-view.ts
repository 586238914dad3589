import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createExcluder } from './exclude.js';

const execFileAsync = promisify(execFile);

/**
 * What git would commit in a folder: tracked files plus untracked files that are not ignored (.gitignore,
 * .git/info/exclude, the global excludes file — git decides, vmplan does not reimplement its rules), with ignored
 * paths brought back by `workspace.include-ignored`. Paths are relative to the folder, with "/".
 */
export interface GitView {
  /** Files (and symlinks) to copy. Tracked files missing on disk are listed; the copy skips what is not there. */
  files: ReadonlySet<string>;
  /** Folders copied whole (nested repositories, submodules, ignored folders brought back). */
  wholeFolders: ReadonlySet<string>;
  /** Ignored paths left out, as git reports them (folders collapsed, ending in "/"), sorted. */
  ignored: string[];
}

/** True when `folder` is inside a git work tree (and git is installed). */
export function isGitWorkTree(folder: string): boolean {
  const result = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: folder, encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim() === 'true';
}

/**
 * Asks git what it would commit in `folder`; `includeIgnored` patterns (gitignore-style) bring ignored paths back.
 * `trackedOnly`: what git tracks, nothing untracked (includeIgnored is not read).
 */
export async function gitView(
  folder: string,
  includeIgnored: readonly string[],
  signal: AbortSignal,
  options: { trackedOnly?: boolean } = {},
): Promise<GitView> {
  const trackedOnly = options.trackedOnly === true;
  const patterns = trackedOnly ? [] : includeIgnored;
  const [kept, ignoredEntries] = await Promise.all([
    listPaths(folder, trackedOnly ? ['--cached'] : ['--cached', '--others', '--exclude-standard'], signal),
    listPaths(folder, ['--others', '--ignored', '--exclude-standard', '--directory'], signal),
  ]);
  const files = new Set<string>();
  const wholeFolders = new Set<string>();
  for (const path of kept) {
    // git lists an untracked nested repository as "name/"; a submodule is a tracked entry that is a folder on
    // disk — the copy treats a listed folder as whole.
    if (path.endsWith('/')) wholeFolders.add(path.slice(0, -1));
    else files.add(path);
  }
  const bringBack = createExcluder(patterns);
  const ignored: string[] = [];
  for (const entry of ignoredEntries) {
    const isFolder = entry.endsWith('/');
    const path = isFolder ? entry.slice(0, -1) : entry;
    if (matchesWithAncestors(bringBack, path, isFolder)) {
      (isFolder ? wholeFolders : files).add(path);
    } else if (isFolder && patterns.some((pattern) => mayMatchInside(pattern, path))) {
      // A pattern names something inside this collapsed ignored folder: ask git for its files one by one.
      const inside = await listPaths(
        folder,
        ['--others', '--ignored', '--exclude-standard', '--', entry],
        signal,
      );
      for (const inner of inside) {
        if (matchesWithAncestors(bringBack, inner, false)) files.add(inner);
      }
      ignored.push(entry);
    } else {
      ignored.push(entry);
    }
  }
  // git lists paths sorted, and they were read in its order.
  return { files, wholeFolders, ignored };
}

/**
 * The copy's filter for a git view: a path is left out unless it is a kept file, a folder on the way to one, or
 * inside a folder kept whole.
 */
export function gitViewExcluder(view: GitView): (relativePath: string, isDirectory: boolean) => boolean {
  const onTheWay = new Set<string>();
  for (const path of [...view.files, ...view.wholeFolders]) {
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      onTheWay.add(path.slice(0, slash));
    }
  }
  const insideWhole = (path: string): boolean => {
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      if (view.wholeFolders.has(path.slice(0, slash))) return true;
    }
    return false;
  };
  return (path, isDirectory) => {
    if (isDirectory) return !(onTheWay.has(path) || view.wholeFolders.has(path) || insideWhole(path));
    return !(view.files.has(path) || insideWhole(path));
  };
}

/** `git ls-files -z` with `args`, in `folder`; throws with git's message when git fails. Stops git on abort. */
async function listPaths(folder: string, args: string[], signal: AbortSignal): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync('git', ['ls-files', '-z', ...args], {
      cwd: folder,
      encoding: 'utf8',
      maxBuffer: 1024 * 1024 * 1024,
      signal,
    }));
  } catch (error) {
    signal.throwIfAborted();
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(
      `git ls-files in ${folder} failed: ${stderr.split('\n').pop() || (error as Error).message}`,
    );
  }
  return stdout.split('\0').filter((path) => path !== '');
}

/** A gitignore-style match of the path itself or any folder above it. */
function matchesWithAncestors(
  matches: (path: string, isDirectory: boolean) => boolean,
  path: string,
  isDirectory: boolean,
): boolean {
  if (matches(path, isDirectory)) return true;
  for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
    if (matches(path.slice(0, slash), true)) return true;
  }
  return false;
}

/** True when a pattern could match something below `folder`: unanchored names can match at any depth. */
function mayMatchInside(pattern: string, folder: string): boolean {
  const trimmed = pattern.replace(/\/+$/, '').replace(/^\//, '');
  if (!pattern.replace(/\/+$/, '').includes('/')) return true;
  return trimmed.startsWith(`${folder}/`) || /[*?[{]/.test(trimmed.split('/')[0] ?? '');
}
