import { execFile } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The space a folder's files take, from `du -sk` (POSIX, so the same on macOS): one process the signal stops,
 * instead of a stat per file in this one. Sparse files count what they use, not their length.
 */
export async function diskUsage(folder: string, signal?: AbortSignal): Promise<number> {
  const { stdout } = await execFileAsync('du', ['-sk', folder], {
    encoding: 'utf8',
    ...(signal ? { signal } : {}),
  });
  return Number.parseInt(stdout, 10) * 1024;
}

/** Bytes an unprivileged process may still write on the filesystem holding `path`. */
export function freeBytes(path: string): number {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
}
