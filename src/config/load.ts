import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { sep } from 'node:path';
import { InputError } from '../errors.js';
import { sha256 } from '../util/canonical-json.js';
import { type ParsedJobsFile, parseJobsFile } from './parse.js';

/** The default jobs file, relative to the repository root. */
export const DEFAULT_JOBS_FILE = '.github/vmplan.yml';
/** Jobs files larger than this are refused before parsing. */
const MAX_JOBS_FILE_BYTES = 4 * 1024 * 1024;

/** A parsed jobs file plus the digest of its bytes (recorded in the plan). */
export interface LoadedJobsFile extends ParsedJobsFile {
  sha256: string;
}

/**
 * Reads, parses and validates a jobs file from disk. `name` is how messages and the plan refer to it. With
 * `repository`, the file's real path must be inside the repository's (a link that leads out is refused before a
 * byte is read). Only a regular file is read, checked on the opened descriptor, and never more than the limit:
 * a link to `/dev/zero`, a FIFO or a device is refused, not read.
 */
export function loadJobsFile(path: string, name = path, repository?: string): LoadedJobsFile {
  return loadJobsText(readJobsFile(path, name, repository), name);
}

/** The bytes of a jobs file: a regular file (inside `repository`, when given) of at most the limit. */
function readJobsFile(path: string, name: string, repository: string | undefined): Buffer {
  const fail = (why: string): never => {
    throw new InputError([{ file: name, message: `cannot read the jobs file: ${why}` }]);
  };
  const real = realOrFail(path, fail);
  if (repository !== undefined) {
    const root = realOrFail(repository, fail);
    if (real !== root && !real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`))
      fail(
        'it is a symbolic link to a file outside the repository (the jobs file must be a file in the repository)',
      );
  }
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: the path is already the real one.
    fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return fail(errorWords(error));
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) fail('is a directory');
    if (!stat.isFile()) fail(`is not a regular file (${kindOf(stat)})`);
    if (stat.size > MAX_JOBS_FILE_BYTES) fail(tooBig(stat.size));
    // Read at most one byte more than the limit, whatever the size said (a file can grow while it is read).
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_JOBS_FILE_BYTES) + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read)
      read = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_JOBS_FILE_BYTES) fail(tooBig(length));
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** A path with its links resolved, or the loader's failure. */
function realOrFail(path: string, fail: (why: string) => never): string {
  try {
    return realpathSync(path);
  } catch (error) {
    return fail(errorWords(error));
  }
}

function errorWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? error);
}

function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

function tooBig(size: number): string {
  return `it is ${size} bytes or more; at most ${MAX_JOBS_FILE_BYTES} are read`;
}

/** Parses jobs file content that did not come from a file (e.g. the action's inline `jobs` input). */
export function loadJobsText(content: string | Buffer, name: string): LoadedJobsFile {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (bytes.length > MAX_JOBS_FILE_BYTES) {
    throw new InputError([
      {
        file: name,
        message: `the jobs file is ${bytes.length} bytes; at most ${MAX_JOBS_FILE_BYTES} are read`,
      },
    ]);
  }
  return { ...parseJobsFile(bytes.toString('utf8'), name), sha256: sha256(bytes) };
}
