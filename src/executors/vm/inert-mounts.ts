import { spawnSync } from 'node:child_process';

/** Host folders bind-mounted onto themselves `nosuid,nodev` while a guest can write them. */
export interface InertMounts {
  /** The folders mounted, in order. */
  readonly folders: readonly string[];
  /** Unmounts them (last first); returns a problem per folder that stayed mounted. */
  release(): string[];
}

/** Runs `mount`/`umount`; the trimmed stderr when it failed, else undefined. */
function run(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error !== undefined) return result.error.message;
  return result.status === 0 ? undefined : result.stderr.trim() || `exit ${String(result.status)}`;
}

/**
 * Makes each folder a `nosuid,nodev` bind mount of itself (Linux, as root): whatever a guest's share server
 * creates there — a set-id file, a device node — is inert for every process on the host from the moment it
 * exists, until the job's sweep has cleared it and `release` unmounts. A mount that fails undoes the others and
 * throws with the folder and mount's own words.
 */
export function mountInert(folders: readonly string[]): InertMounts {
  const mounted: string[] = [];
  const release = (): string[] => {
    const problems: string[] = [];
    for (const folder of [...mounted].reverse()) {
      const failed = run('umount', [folder]);
      // Busy (a helper not yet gone): detach it; the mount stays nosuid,nodev until the last user is.
      if (failed !== undefined && run('umount', ['-l', folder]) !== undefined)
        problems.push(`cannot unmount ${folder}: ${failed}`);
    }
    mounted.length = 0;
    return problems;
  };
  for (const folder of folders) {
    const bound = run('mount', ['--bind', folder, folder]);
    if (bound === undefined) mounted.push(folder);
    const why = bound ?? run('mount', ['-o', 'remount,bind,nosuid,nodev', folder]);
    if (why !== undefined) {
      release();
      throw new Error(
        `cannot make the shared folder ${folder} nosuid,nodev (${why}): vmplan needs to mount (root with CAP_SYS_ADMIN) to share folders over virtiofs safely; set VMPLAN_QEMU_SHARES=9p to share them over 9p instead`,
      );
    }
  }
  return { folders: [...mounted], release };
}
