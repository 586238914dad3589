import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounts a fresh loop btrfs (where copy-on-write clones work, as on APFS) and returns its path and cleanup. */
export function mountLoopBtrfs(sizeGiB = 1): { path: string; unmount: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'vmplan-btrfs-'));
  const image = join(base, 'fs.img');
  const path = join(base, 'mnt');
  mkdirSync(path);
  execFileSync('truncate', ['-s', `${sizeGiB}G`, image]);
  execFileSync('mkfs.btrfs', ['-q', image]);
  execFileSync('mount', ['-o', 'loop', image, path]);
  return {
    path,
    unmount: () => {
      execFileSync('umount', [path]);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** True when this process can mount a loop btrfs (root and btrfs-progs). */
export function canMountBtrfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mkfs.btrfs', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
