import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { RunningProcess } from '../engine/executor.js';
import { type StopResult, stopProcessGroup } from './process-tree.js';
import { setVfkitState } from './vm/vfkit-rest.js';

/** A process's command line, or undefined when it is gone (or cannot be read). */
export function commandLineOf(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      return undefined;
    }
  }
  const result = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Stops what a node record says is running — only if that process still belongs to the run (its command line
 * names the run folder), so a recycled pid is never killed.
 */
export async function stopRecordedProcess(
  recorded: RunningProcess,
  runDir: string,
  graceMs = 2_000,
): Promise<StopResult | 'not-ours'> {
  const command = commandLineOf(recorded.pid);
  // A gone leader may have left members of its group running. Its pid cannot have become another group's id
  // while they live, so they are the job's (a recycled pid with a different command line is not touched).
  if (command === undefined) return recorded.group ? stopProcessGroup(recorded.pid, graceMs) : 'already-gone';
  if (!command.includes(runDir)) return 'not-ours';
  // A vfkit VM: HardStop over its REST socket first, as when vmplan stops it itself.
  if (recorded.restSocket !== null) await setVfkitState(recorded.restSocket, 'HardStop');
  if (recorded.group) return stopProcessGroup(recorded.pid, graceMs);
  try {
    process.kill(recorded.pid, 'SIGKILL');
    return 'killed';
  } catch {
    return 'already-gone';
  }
}

/**
 * Kills what a node record says is running, at once and synchronously (SIGKILL to its process group): for the
 * last moments of a vmplan process that is exiting and cannot wait for a graceful stop.
 */
export function killRecordedProcessNow(recorded: RunningProcess, runDir: string): void {
  const command = commandLineOf(recorded.pid);
  // As in stopRecordedProcess: a gone leader's group is still the job's; a live stranger's is not.
  if (command === undefined ? !recorded.group : !command.includes(runDir)) return;
  try {
    process.kill(recorded.group ? -recorded.pid : recorded.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
