import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Live (non-zombie) process ids in a process group. Zombies are already dead; they only await reaping. */
export function liveGroupMembers(pgid: number): number[] {
  if (process.platform === 'linux') return linuxGroupMembers(pgid);
  const result = spawnSync('ps', ['-A', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  if (result.status !== 0) return groupExists(pgid) ? [pgid] : [];
  return result.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => pid !== undefined && Number(group) === pgid && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

function linuxGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Format: pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(name));
  }
  return members;
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Waits until no live process is left in the group, up to `timeoutMs`; true when the group is gone. */
export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (liveGroupMembers(pgid).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
}

/** How a process group was stopped. */
export type StopResult = 'already-gone' | 'terminated' | 'killed' | 'survived';

/**
 * Stops a whole process group: SIGTERM, up to `graceMs` for it to exit, then SIGKILL, then verifies that no
 * live process is left. 'survived' means something ignored SIGKILL (e.g. stuck in the kernel) — reported, not hidden.
 */
export async function stopProcessGroup(pgid: number, graceMs: number): Promise<StopResult> {
  if (liveGroupMembers(pgid).length === 0) return 'already-gone';
  signalGroup(pgid, 'SIGTERM');
  if (await waitForGroupExit(pgid, graceMs)) return 'terminated';
  signalGroup(pgid, 'SIGKILL');
  return (await waitForGroupExit(pgid, 2_000)) ? 'killed' : 'survived';
}

/** Kills whatever is left of a group at once (after its leader exited: background processes of a job). */
export async function killLeftovers(pgid: number): Promise<number> {
  const left = liveGroupMembers(pgid);
  if (left.length === 0) return 0;
  signalGroup(pgid, 'SIGKILL');
  await waitForGroupExit(pgid, 2_000);
  return left.length;
}
