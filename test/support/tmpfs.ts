import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs `check` with a new tmpfs (mount options such as `size=64k`) mounted at `parent/name`, and unmounts it
 * whatever happens: a small filesystem to fill up, or to remount read-only. Needs root.
 */
export async function withTmpfs<T>(
  parent: string,
  name: string,
  options: string,
  check: (disk: string) => Promise<T> | T,
): Promise<T> {
  const disk = join(parent, name);
  mkdirSync(disk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', disk]);
  try {
    return await check(disk);
  } finally {
    execFileSync('umount', [disk]);
  }
}
