import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { hasGnuCp } from './copy-tree.js';

/** How a file was duplicated. */
export type CloneMethod = 'clone' | 'sparse-copy' | 'copy';

/**
 * Duplicates a (large, often sparse) file such as a root disk: a copy-on-write clone where the filesystem can
 * (APFS, btrfs, xfs: instant, no space used), else a sparse copy (holes stay holes), else a plain copy.
 */
export async function cloneFile(source: string, target: string): Promise<CloneMethod> {
  try {
    await copyFile(source, target, constants.COPYFILE_FICLONE_FORCE);
    return 'clone';
  } catch {
    // not supported here: fall through
  }
  if (hasGnuCp()) {
    const result = spawnSync('cp', ['--sparse=always', '--', source, target], { encoding: 'utf8' });
    if (result.status === 0) return 'sparse-copy';
  }
  await copyFile(source, target);
  return 'copy';
}
