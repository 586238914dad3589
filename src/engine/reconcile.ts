import { hostname } from 'node:os';
import { isOutOfSpace } from '../errors.js';
import { runtimeOf } from '../executors/available.js';
import { readPlan } from '../plan/io.js';
import type { StateLayout } from '../records/layout.js';
import type { RunRecord } from '../records/schema.js';
import { openRunStore, type RunStore, readRunRecord } from '../records/store.js';
import { processAlive } from '../util/lease.js';

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
  try {
    store.finish('cancelled', `vmplan (pid ${run.host.pid}) ended without finishing the run`);
  } catch (error) {
    // The records cannot be written now (a full disk): say what they will say, and finish them next time.
    if (!isOutOfSpace(error)) throw error;
    return {
      ...store.record,
      message: `${store.record.message ?? ''} (not yet written to run.json: the state folder is out of space)`,
    };
  }
  return store.record;
}

/** Stops every process or VM the records say is still running for the run. */
export async function stopLeftovers(store: RunStore, runDir: string): Promise<void> {
  for (const record of store.allNodes()) {
    if (record.status === 'running' && record.process) {
      await (await runtimeOf(record.executor)).stopLeftovers(record.process, runDir);
    }
  }
}
