import { spawn } from 'node:child_process';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobLog } from '../records/job-log.js';
import { commandInCgroup, type JobCgroup } from './cgroup.js';
import { killLeftovers, type StopResult, stopProcessGroup } from './process-tree.js';

/** How a process group ended. */
export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  spawnError: string | undefined;
  /** How the group was stopped after an abort, if it was. */
  stopped: StopResult | undefined;
  /** Processes still alive in the group after the main one exited (background jobs), killed. */
  leftovers: number;
  /** Processes that had left the group (setsid, daemons) but not the job's cgroup, killed. */
  escaped: number;
}

/** Options for running a command in its own process group. */
export interface ProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: JobLog;
  signal: AbortSignal;
  /** Grace between SIGTERM and SIGKILL, read when the signal aborts. */
  killGraceMs: () => number;
  /** Called with the group id once the process runs (so others can record or stop it). */
  onStart?: (pgid: number) => void;
  /** A cgroup to run the command in: whatever is left in it when the command ends is killed too. */
  cgroup?: JobCgroup;
}

/**
 * Runs a command as the leader of a new process group, streaming stdout and stderr into the log. When the
 * signal aborts, the whole group gets SIGTERM, then SIGKILL after the grace period. When the leader exits,
 * whatever it left running in its group is killed, so a job never outlives itself.
 */
export async function runProcessGroup(
  command: string,
  args: string[],
  options: ProcessOptions,
): Promise<ProcessResult> {
  const [program, programArgs] =
    options.cgroup === undefined ? [command, args] : commandInCgroup(options.cgroup, command, args);
  const child = spawn(program, programArgs, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const spawned = new Promise<string | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error.message));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const stdout = child.stdout.pipe(options.log.input());
  const stderr = child.stderr.pipe(options.log.input());

  const spawnError = await spawned;
  if (spawnError !== undefined) {
    return { exitCode: null, signal: null, spawnError, stopped: undefined, leftovers: 0, escaped: 0 };
  }
  const pgid = child.pid!;
  options.onStart?.(pgid);

  let stopping: Promise<StopResult> | undefined;
  const onAbort = () => {
    stopping ??= stopProcessGroup(pgid, options.killGraceMs());
  };
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });

  const exit = await exited;
  options.signal.removeEventListener('abort', onAbort);
  const stopped = stopping === undefined ? undefined : await stopping;
  const leftovers = await killLeftovers(pgid);
  const escaped = (await options.cgroup?.killAll()) ?? 0;

  // Output ends when every holder of the pipes is gone; something that escaped the group (setsid) may keep
  // them open, so don't wait forever.
  const drained = Promise.all([finished(stdout), finished(stderr)]).then(
    () => true,
    () => true,
  );
  // The 2 s wait is cancelled once output ends, so nothing outlives the job (a pending timer keeps Node alive).
  const giveUp = new AbortController();
  const waited = sleep(2_000, false, { signal: giveUp.signal }).catch(() => true);
  const complete = await Promise.race([drained, waited]);
  giveUp.abort();
  if (!complete) {
    child.stdout.destroy();
    child.stderr.destroy();
    await options.log.note(
      'vmplan: output still open 2 s after the job ended (a process escaped the job); stopped reading it',
    );
  }
  return { exitCode: exit.code, signal: exit.signal, spawnError: undefined, stopped, leftovers, escaped };
}
