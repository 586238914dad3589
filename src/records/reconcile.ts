import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { stopRecordedProcess } from '../executors/stop-recorded.js';
import { readPlan } from '../plan/io.js';
import type { StateLayout } from './layout.js';
import type { RunRecord } from './schema.js';
import { openRunStore, type RunStore, readRunRecord } from './store.js';

/** True when a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the run is recorded as running but its vmplan process on this machine is gone. */
export function isAbandoned(run: RunRecord): boolean {
  return (
    run.status === 'running' &&
    run.host.hostname === hostname() &&
    run.host.pid !== process.pid &&
    !processAlive(run.host.pid)
  );
}

/**
 * Reads a run record and, when its vmplan process died without finishing it (SIGKILL, power loss), finishes
 * the records as cancelled with a message saying so. A run left `running` is never reported as running.
 */
export async function reconcileRun(layout: StateLayout, runId: string): Promise<RunRecord> {
  const run = readRunRecord(layout, runId);
  if (!isAbandoned(run)) return run;
  const store = openRunStore(layout, runId, readPlan(layout.planFile(runId)));
  await stopLeftovers(store, layout.runDir(runId));
  store.finish('cancelled', `vmplan (pid ${run.host.pid}) ended without finishing the run`);
  return store.record;
}

/** Stops every process or VM the records say is still running for the run. */
export async function stopLeftovers(store: RunStore, runDir: string): Promise<void> {
  for (const record of store.allNodes()) {
    if (record.status === 'running' && record.process) {
      await stopRecordedProcess(record.process, runDir);
      // vfkit leaves its socket behind when it is killed; the next vfkit could not bind a stale one.
      if (record.process.restSocket !== null) rmSync(record.process.restSocket, { force: true });
    }
  }
}
