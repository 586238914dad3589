import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';

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
    // util-linux binds and applies the flags in one call (one process: a job's start waits for these); a mount
    // that bound without them (an older or other `mount`) gets the remount that sets them.
    const bound = run('mount', ['--bind', '-o', 'nosuid,nodev', folder, folder]);
    if (bound === undefined) mounted.push(folder);
    const why =
      bound ?? (isInert(folder) ? undefined : run('mount', ['-o', 'remount,bind,nosuid,nodev', folder]));
    if (why !== undefined) {
      release();
      throw new Error(
        `cannot make the shared folder ${folder} nosuid,nodev (${why}): vmplan needs to mount (root with CAP_SYS_ADMIN) to share folders over virtiofs safely; set VMPLAN_QEMU_SHARES=9p to share them over 9p instead`,
      );
    }
  }
  return { folders: [...mounted], release };
}

/** True when the mount on top at `folder` is `nosuid,nodev` (from /proc/self/mountinfo; false when unreadable). */
export function isInert(folder: string, mountinfo = readMountinfo()): boolean {
  let target: string;
  try {
    target = realpathSync(folder);
  } catch {
    return false;
  }
  // Fields: id, parent, device, root, mount point (spaces and the like as \ooo), mount options, ...; the
  // last line for a mount point is the mount on top.
  const options = mountinfo
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields.length > 5 && unescapeMountPath(fields[4]!) === target)
    .pop()?.[5]
    ?.split(',');
  return options?.includes('nosuid') === true && options.includes('nodev');
}

function readMountinfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return '';
  }
}

/** A mountinfo path: the kernel writes space, tab, newline and backslash as \ooo. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_match, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}
