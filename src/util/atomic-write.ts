import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../errors.js';

/** How a write reaches its target: replace a regular file atomically, or write through to a stream-like file. */
type WriteTarget = 'replace' | 'write-through';

/**
 * Decides how `path` may be written. `rename(2)` replaces whatever is at a path, device nodes included, so only a
 * missing path or a regular file is ever replaced; character devices and FIFOs (`/dev/null`, a pipe) are written
 * through; a symlink is followed only to a character device or FIFO (`/dev/stdout`), never replaced and never
 * used to replace the file it points to; everything else is refused.
 */
function writeTargetOf(path: string): WriteTarget {
  let link: Stats;
  try {
    link = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'replace';
    throw error;
  }
  if (link.isFile()) return 'replace';
  if (link.isCharacterDevice() || link.isFIFO()) return 'write-through';
  if (link.isSymbolicLink()) {
    let target: Stats | undefined;
    try {
      target = statSync(path);
    } catch {
      target = undefined;
    }
    if (target !== undefined && (target.isCharacterDevice() || target.isFIFO())) return 'write-through';
    throw new InputError(
      `${path} is a symlink${target === undefined ? ' to nothing' : ''}: vmplan does not write through symlinks to files; give the real path`,
    );
  }
  const kind = link.isDirectory()
    ? 'a folder'
    : link.isBlockDevice()
      ? 'a block device'
      : link.isSocket()
        ? 'a socket'
        : 'a special file';
  throw new InputError(`${path} is ${kind}: vmplan writes only regular files, character devices and pipes`);
}

/**
 * Writes a file so that readers see either the old or the new content, never a torn one: temp file in the same
 * folder, fsync, rename over the target, fsync the folder. A character device or FIFO (`--out /dev/null`) is
 * written through instead of being replaced; other special files and symlinks to files are refused.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true });
  if (writeTargetOf(path) === 'write-through') {
    writeThrough(path, bytes);
    return;
  }
  const temp = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  try {
    // The type was checked above; a file swapped in since is still replaced only if it is not a folder.
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncFolder(folder);
}

/** Writes JSON (two-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes to a character device or FIFO as it is (never creating or replacing anything at the path). */
function writeThrough(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, constants.O_WRONLY);
  try {
    // Re-check what was opened: the path could have been swapped between the check and the open.
    const opened = fstatSync(fd);
    if (!opened.isCharacterDevice() && !opened.isFIFO())
      throw new InputError(`${path} changed while it was being written: refusing to write into it`);
    writeAll(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

function syncFolder(folder: string): void {
  // Makes the rename durable; not every platform lets a directory be opened for fsync.
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
