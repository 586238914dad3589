import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { RunningProcess } from '../executors/descriptor.js';
import { JobCgroup } from './cgroup.js';
import { liveGroupMembers, type StopResult, stopProcessGroup } from './process-tree.js';

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

/** The variable every process vmplan starts for a node carries: the node's folder (inherited by its children). */
export const NODE_DIR_VARIABLE = 'VMPLAN_NODE_DIR';

/** A process's environment as text (`NAME=value` per line), or undefined when it cannot be read. */
function environmentOf(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').join('\n');
    } catch {
      return undefined;
    }
  }
  // macOS: ps -E appends the environment to the command.
  const result = spawnSync('ps', ['-E', '-ww', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.replaceAll(' ', '\n') : undefined;
}

/**
 * Whether a live process was started by vmplan for this run: its command line names the run folder (VMs, job
 * scripts), or its environment carries a node folder of the run (anything a job or an image build started).
 */
export function belongsToRun(pid: number, runDir: string): boolean {
  if (commandLineOf(pid)?.includes(runDir) === true) return true;
  const environment = environmentOf(pid);
  return environment?.split('\n').some((line) => line.startsWith(`${NODE_DIR_VARIABLE}=${runDir}/`)) === true;
}

/**
 * Whether the recorded process group is still the run's: its leader belongs to the run, or — when the leader is
 * gone — a live member does (a pid is never a new group's id while members of the old group live, but a group
 * of strangers can take a pid once they are all gone: never signal one without a member that proves it).
 */
function groupIsOurs(recorded: RunningProcess, runDir: string): boolean {
  if (commandLineOf(recorded.pid) !== undefined) return belongsToRun(recorded.pid, runDir);
  return recorded.group && liveGroupMembers(recorded.pid).some((pid) => belongsToRun(pid, runDir));
}

/**
 * Stops what a node record says is running — only if it still belongs to the run, so a recycled pid is never
 * killed. `first` runs before any signal once ownership is proven (e.g. a VM's own stop request).
 */
export async function stopRecordedProcess(
  recorded: RunningProcess,
  runDir: string,
  options: { graceMs?: number; first?: () => Promise<unknown> } = {},
): Promise<StopResult | 'not-ours'> {
  const graceMs = options.graceMs ?? 2_000;
  if (commandLineOf(recorded.pid) === undefined && liveGroupMembers(recorded.pid).length === 0)
    return 'already-gone';
  if (!groupIsOurs(recorded, runDir)) return 'not-ours';
  await options.first?.();
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
  if (!groupIsOurs(recorded, runDir)) return;
  try {
    process.kill(recorded.group ? -recorded.pid : recorded.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** How executors whose leftovers are plain process groups stop them (their ExecutorRuntime's part). */
export const processGroupLeftovers = {
  async stopLeftovers(recorded: RunningProcess, runDir: string): Promise<void> {
    await stopRecordedProcess(recorded, runDir);
    // What left the group (setsid, daemons) is still in the job's cgroup.
    if (recorded.cgroup) await JobCgroup.at(recorded.cgroup)?.remove();
  },
  killLeftoversNow(recorded: RunningProcess, runDir: string): void {
    killRecordedProcessNow(recorded, runDir);
    if (recorded.cgroup) JobCgroup.at(recorded.cgroup)?.killNow();
  },
};
