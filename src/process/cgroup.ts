import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether this host can give each host job a cgroup of its own, and where (or why not). */
export type CgroupSupport = { available: true; parent: string } | { available: false; reason: string };

/** How long to wait for killed processes to leave their cgroup before giving up on removing it. */
const EMPTY_WAIT_MS = 5_000;

let cached: CgroupSupport | undefined;

/**
 * Finds where vmplan may create cgroups: below its own cgroup in the cgroup v2 hierarchy (Linux only), when it
 * may write there (root, or a delegated subtree such as a systemd user service).
 */
export function cgroupSupport(): CgroupSupport {
  cached ??= detectSupport();
  return cached;
}

function detectSupport(): CgroupSupport {
  if (process.platform !== 'linux') return { available: false, reason: `${process.platform} has no cgroups` };
  let mountinfo: string;
  let own: string | undefined;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    own = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((line) => line.startsWith('0::'))
      ?.slice(3);
  } catch (error) {
    return { available: false, reason: `cannot read /proc (${(error as NodeJS.ErrnoException).code})` };
  }
  const mount = mountinfo
    .split('\n')
    .map((line) => line.split(' '))
    .find((fields) => fields[fields.indexOf('-') + 1] === 'cgroup2')?.[4];
  if (mount === undefined || own === undefined)
    return { available: false, reason: 'no cgroup v2 hierarchy is mounted' };
  const parent = join(mount, own).replace(/\/+$/, '');
  try {
    accessSync(parent, constants.W_OK);
    accessSync(join(parent, 'cgroup.procs'), constants.W_OK);
  } catch {
    return {
      available: false,
      reason: `vmplan may not create cgroups in ${parent} (not root, not delegated)`,
    };
  }
  return { available: true, parent };
}

/**
 * A cgroup holding one host job and everything it starts — also what leaves the job's process group (setsid,
 * double forks, daemons) — so that all of it can be killed when the job ends.
 */
export class JobCgroup {
  private constructor(readonly path: string) {}

  /** Makes a new, empty cgroup for a job, or says why none can be made here. */
  static create(support: CgroupSupport = cgroupSupport()): JobCgroup | { reason: string } {
    if (!support.available) return { reason: support.reason };
    const path = join(support.parent, `vmplan-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(path);
    } catch (error) {
      return {
        reason: `cannot create a cgroup in ${support.parent} (${(error as NodeJS.ErrnoException).code})`,
      };
    }
    return new JobCgroup(path);
  }

  /**
   * An existing job cgroup named in a record, to kill what a vmplan that died left in it; undefined for a path
   * that is not one vmplan makes (a record is never trusted to name any other cgroup).
   */
  static at(path: string): JobCgroup | undefined {
    const support = cgroupSupport();
    if (!support.available) return undefined;
    const name = path.slice(support.parent.length + 1);
    if (!path.startsWith(`${support.parent}/`) || !/^vmplan-\d+-[0-9a-f]{8}$/.test(name)) return undefined;
    return new JobCgroup(path);
  }

  /** The file a process writes "0" to in order to move itself in (its children follow it). */
  get procsFile(): string {
    return join(this.path, 'cgroup.procs');
  }

  /** Processes in the cgroup now. */
  members(): number[] {
    try {
      return readFileSync(this.procsFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map(Number);
    } catch {
      return [];
    }
  }

  /**
   * SIGKILLs every process in the cgroup (`cgroup.kill`, which no process can dodge by forking; on kernels before
   * 5.14 freeze, kill each, thaw) and waits until it is empty. Returns how many there were.
   */
  async killAll(): Promise<number> {
    const members = this.members();
    if (members.length === 0) return 0;
    if (existsSync(join(this.path, 'cgroup.kill'))) {
      writeFileSync(join(this.path, 'cgroup.kill'), '1');
    } else {
      writeFileSync(join(this.path, 'cgroup.freeze'), '1');
      for (const pid of this.members()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      writeFileSync(join(this.path, 'cgroup.freeze'), '0');
    }
    await this.emptied();
    return members.length;
  }

  /** SIGKILLs every process in the cgroup at once, synchronously (for a vmplan process that is exiting). */
  killNow(): void {
    try {
      writeFileSync(join(this.path, 'cgroup.kill'), '1');
    } catch {
      for (const pid of this.members()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  }

  /** Kills what is left and removes the cgroup (best effort: a cgroup that will not empty is left, and said). */
  async remove(): Promise<boolean> {
    if (!existsSync(this.path)) return true;
    await this.killAll();
    try {
      rmdirSync(this.path);
      return true;
    } catch {
      return false;
    }
  }

  private async emptied(): Promise<void> {
    const deadline = Date.now() + EMPTY_WAIT_MS;
    while (Date.now() < deadline) {
      let events = '';
      try {
        events = readFileSync(join(this.path, 'cgroup.events'), 'utf8');
      } catch {
        return;
      }
      if (/^populated 0$/m.test(events)) return;
      await sleep(10);
    }
  }
}

/**
 * The command that runs `command args` inside a cgroup: a shell moves itself in (writing "0" to cgroup.procs)
 * before it execs the command, so not even the command's first child can start outside it.
 */
export function commandInCgroup(cgroup: JobCgroup, command: string, args: string[]): [string, string[]] {
  return [
    '/bin/sh',
    [
      '-c',
      'echo 0 > "$0" || { echo "vmplan: could not enter the job\'s cgroup" >&2; exit 125; }; exec "$@"',
      cgroup.procsFile,
      command,
      ...args,
    ],
  ];
}
