import { isUtf8 } from 'node:buffer';
import { execFile, spawnSync } from 'node:child_process';
import { constants, type Dirent } from 'node:fs';
import {
  chmod,
  copyFile,
  lstat,
  lutimes,
  mkdir,
  readdir,
  readlink,
  rm,
  symlink,
  utimes,
} from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { createLimiter } from '../util/limit.js';

const execFileAsync = promisify(execFile);

/** What a tree copy did. `method` tells whether files were cloned (copy-on-write) or copied byte by byte. */
export interface CopyStats {
  files: number;
  directories: number;
  symlinks: number;
  excluded: number;
  method: 'clone' | 'copy';
  /** Which implementation copied: GNU cp for whole clean subtrees, or per-file copies from Node. */
  engine: 'gnu-cp' | 'node';
  ms: number;
}

/** Options for copying a tree. */
export interface CopyTreeOptions {
  /** Returns true for paths (relative, with "/") to leave out. */
  exclude?: (relativePath: string, isDirectory: boolean) => boolean;
  /** Force an implementation (tests and benchmarks compare them); default: GNU cp where available. */
  engine?: 'gnu-cp' | 'node';
  /** Force the plain copy path in the Node engine. */
  forceCopy?: boolean;
  /** Stops the copy (a cancelled run must not wait for a large tree); the copy then rejects. */
  signal?: AbortSignal;
}

/** A scanned folder: its kept entries and whether anything below it was left out. */
interface Folder {
  relative: string;
  files: string[];
  folders: Folder[];
  /** True when nothing below was excluded: the folder can be copied whole. */
  whole: boolean;
}

const CLONE_UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY']);
/** Arguments per cp call, well below any ARG_MAX. */
const CP_BATCH = 500;

let gnuCpAvailable: boolean | undefined;
/** True when `cp` is GNU coreutils (Linux): it copies whole subtrees with reflinks and kept times fastest. */
export function hasGnuCp(): boolean {
  gnuCpAvailable ??= /GNU coreutils/.test(spawnSync('cp', ['--version'], { encoding: 'utf8' }).stdout ?? '');
  return gnuCpAvailable;
}

/**
 * Copies a folder tree: regular files are cloned copy-on-write where the filesystem can (APFS clonefile on
 * macOS, reflink on btrfs/xfs), else copied; symlinks stay symlinks (never followed); modes and modification
 * times are kept (make and cargo rely on them). The tree is scanned first, so sockets, pipes and devices are
 * refused with a clear error before anything is copied. Where files clone and GNU cp exists, subtrees with
 * nothing excluded go to one cp call each; otherwise Node copies file by file, several at a time.
 */
export async function copyTree(
  source: string,
  target: string,
  options: CopyTreeOptions = {},
): Promise<CopyStats> {
  const started = performance.now();
  const stats: CopyStats = {
    files: 0,
    directories: 0,
    symlinks: 0,
    excluded: 0,
    method: 'copy',
    engine: 'node',
    ms: 0,
  };
  const signal = options.signal ?? new AbortController().signal;
  const root = await scan(source, options.exclude, stats, signal);
  // Measured (bench/snapshot.ts): where files clone, one GNU cp per clean subtree is fastest; where they must be
  // copied byte by byte, Node's parallel per-file copies beat a single cp process.
  const clones = options.forceCopy !== true && (await probeClone(source, root, target));
  // Cancelled while the tree was read: nothing is copied. (A cp started with an aborted signal is killed a tick
  // later, which on a busy machine can be after it copied a small tree.)
  signal.throwIfAborted();
  const engine = options.engine ?? (clones && hasGnuCp() ? 'gnu-cp' : 'node');
  stats.engine = engine;
  if (engine === 'gnu-cp') {
    stats.method = clones ? 'clone' : 'copy';
    await copyWithGnuCp(source, target, root, signal);
  } else {
    stats.method = await copyWithNode(source, target, root, options.forceCopy === true || !clones, signal);
  }
  stats.ms = Math.round(performance.now() - started);
  return stats;
}

/** Reads the whole tree (names and types only), applying excludes and refusing special files. */
async function scan(
  source: string,
  exclude: CopyTreeOptions['exclude'],
  stats: CopyStats,
  signal: AbortSignal,
): Promise<Folder> {
  const info = await lstat(source);
  if (!info.isDirectory()) {
    stats.files++;
    return { relative: '', files: [], folders: [], whole: true };
  }
  const visit = async (relative: string): Promise<Folder> => {
    signal.throwIfAborted();
    const entries: Dirent<Buffer>[] = await readdir(join(source, relative), {
      withFileTypes: true,
      encoding: 'buffer',
    });
    const folder: Folder = { relative, files: [], folders: [], whole: true };
    stats.directories++;
    const children: Promise<Folder>[] = [];
    for (const entry of entries) {
      const name = entry.name.toString('utf8');
      const path = relative === '' ? name : `${relative}/${name}`;
      if (exclude?.(path, entry.isDirectory()) === true) {
        stats.excluded++;
        folder.whole = false;
      } else if (!isUtf8(entry.name)) {
        // As text the name would name no file: refused clearly rather than failing the copy half-way.
        throw new InputError(
          `workspace snapshot: ${JSON.stringify(path)} has a name that is not UTF-8, which vmplan cannot copy into a job's workspace. ` +
            'Rename it, or exclude it (workspace.exclude in the jobs file).',
        );
      } else if (entry.isDirectory()) {
        children.push(visit(path));
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        folder.files.push(name);
        if (entry.isFile()) stats.files++;
        else stats.symlinks++;
      } else {
        const kind = entry.isSocket() ? 'a socket' : entry.isFIFO() ? 'a named pipe' : 'a device file';
        throw new InputError(
          `workspace snapshot: ${path} is ${kind}; only files, folders and symlinks can be copied into a job's workspace. ` +
            'Exclude it (workspace.exclude in the jobs file) or remove it.',
        );
      }
    }
    folder.folders = await Promise.all(children);
    if (folder.folders.some((child) => !child.whole)) folder.whole = false;
    return folder;
  };
  return visit('');
}

/** Tries one copy-on-write clone, so the stats can say which path the copy took. */
async function probeClone(source: string, root: Folder, target: string): Promise<boolean> {
  const sample = firstFile(root);
  if (sample === undefined) return false;
  const probe = `${target}.clone-probe-${process.pid}`;
  try {
    await copyFile(join(source, sample), probe, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
  }
}

function firstFile(folder: Folder): string | undefined {
  if (folder.files[0] !== undefined) return join(folder.relative, folder.files[0]);
  for (const child of folder.folders) {
    const found = firstFile(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

const GNU_CP_FLAGS = ['-R', '-P', '--preserve=mode,timestamps', '--reflink=auto'];
/**
 * The mode a folder is made with (and missing folders above the target); it gets its own once filled: mkdir's mode
 * passes through the umask (a group-writable folder would lose its g+w), and a folder without its owner's write
 * bit could not be filled.
 */
const WRITABLE_WHILE_FILLED = 0o700;

async function copyWithGnuCp(
  source: string,
  target: string,
  root: Folder,
  signal: AbortSignal,
): Promise<void> {
  if (root.whole) {
    const info = await lstat(source);
    if (!info.isDirectory()) {
      await execFileAsync('cp', [...GNU_CP_FLAGS, '--', source, target], { signal });
      return;
    }
    await mkdir(target, { recursive: true });
    signal.throwIfAborted();
    await execFileAsync('cp', [...GNU_CP_FLAGS, '--', `${source}/.`, target], { signal });
    return;
  }
  const madeFolders: { path: string; from: string }[] = [];
  const visit = async (folder: Folder): Promise<void> => {
    const from = join(source, folder.relative);
    const to = join(target, folder.relative);
    await mkdir(to, { recursive: folder.relative === '', mode: WRITABLE_WHILE_FILLED });
    madeFolders.push({ path: to, from });
    const whole = [
      ...folder.files,
      ...folder.folders.filter((child) => child.whole).map((child) => baseName(child.relative)),
    ];
    for (let start = 0; start < whole.length; start += CP_BATCH) {
      const batch = whole.slice(start, start + CP_BATCH).map((name) => join(from, name));
      signal.throwIfAborted();
      await execFileAsync('cp', [...GNU_CP_FLAGS, '-t', to, '--', ...batch], { signal });
    }
    for (const child of folder.folders) if (!child.whole) await visit(child);
  };
  await visit(root);
  // Modes and times of the folders created here, last: adding their entries changed the times, and a folder
  // without its owner's write bit could not have been filled.
  for (const folder of madeFolders) {
    const info = await lstat(folder.from);
    await chmod(folder.path, info.mode & 0o7777);
    await utimes(folder.path, info.atime, info.mtime);
  }
}

async function copyWithNode(
  source: string,
  target: string,
  root: Folder,
  forceCopy: boolean,
  signal: AbortSignal,
): Promise<'clone' | 'copy'> {
  let cloneWorks: boolean | undefined = forceCopy ? false : undefined;
  const limit = createLimiter(32);
  const madeFolders: { path: string; mode: number; atime: Date; mtime: Date }[] = [];

  const copyOne = async (relative: string): Promise<void> => {
    signal.throwIfAborted();
    const from = join(source, relative);
    const to = join(target, relative);
    const info = await lstat(from);
    if (info.isSymbolicLink()) {
      await symlink(await readlink(from), to);
      await lutimes(to, info.atime, info.mtime).catch(() => undefined);
      return;
    }
    if (cloneWorks !== false) {
      try {
        await copyFile(from, to, constants.COPYFILE_FICLONE_FORCE);
        cloneWorks = true;
      } catch (error) {
        if (!CLONE_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
        cloneWorks = false;
        await copyFile(from, to);
      }
    } else {
      await copyFile(from, to);
    }
    await utimes(to, info.atime, info.mtime);
  };

  const visit = async (folder: Folder): Promise<void> => {
    const from = join(source, folder.relative);
    const to = join(target, folder.relative);
    const info = await lstat(from);
    await mkdir(to, { recursive: folder.relative === '', mode: WRITABLE_WHILE_FILLED });
    madeFolders.push({ path: to, mode: info.mode & 0o7777, atime: info.atime, mtime: info.mtime });
    await Promise.all([
      ...folder.files.map((name) => limit(() => copyOne(join(folder.relative, name)))),
      // Folders are walked outside the limiter so they never hold a slot while waiting on their children.
      ...folder.folders.map(visit),
    ]);
  };

  const info = await lstat(source);
  if (!info.isDirectory()) await copyOne('');
  else await visit(root);
  // As with GNU cp: modes and times last (see copyWithGnuCp).
  for (const folder of madeFolders) {
    await chmod(folder.path, folder.mode);
    await utimes(folder.path, folder.atime, folder.mtime);
  }
  return (cloneWorks as boolean | undefined) === true ? 'clone' : 'copy';
}

function baseName(relative: string): string {
  return relative.slice(relative.lastIndexOf('/') + 1);
}
