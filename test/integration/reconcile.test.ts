import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAbandoned, reconcileRun, stopLeftovers } from '../../src/engine/reconcile.js';
import { buildPlan } from '../../src/plan/build.js';
import { writePlan } from '../../src/plan/io.js';
import { StateLayout } from '../../src/records/layout.js';
import type { RunRecord } from '../../src/records/schema.js';
import { RunStore, readNodeRecords, readRunRecord } from '../../src/records/store.js';
import { context, jobs, runStart } from '../support/jobs.js';
import { prerequisite } from '../support/prerequisites.js';
import { withTmpfs } from '../support/tmpfs.js';

// A run whose vmplan process died (SIGKILL, power loss) is finished as cancelled the next time anything reads it,
// in-process here; test/integration/faults.test.ts kills a real vmplan for the same guarantee end to end.

const root = mkdtempSync(join(tmpdir(), 'vmplan-reconcile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const layout = new StateLayout(root);
const plan = buildPlan(
  jobs('version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: x }\n  b: { run: y, needs: a }\n'),
  context(),
);

/** The pid of a process that has exited (and been reaped): no process has it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

function startedRun(runId: string): RunStore {
  writePlan(layout.planFile(runId), plan);
  const store = RunStore.create(layout, runStart(plan, runId), plan);
  store.start('job:a');
  return store;
}

/** Rewrites run.json as if another process had written it. */
function claimedBy(runId: string, host: Partial<RunRecord['host']>): void {
  const file = layout.runRecord(runId);
  const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  writeFileSync(file, JSON.stringify({ ...record, host: { ...record.host, ...host } }));
}

describe('reconcileRun', () => {
  it('finishes a run whose process is gone as cancelled, closing every open node, and says which process', async () => {
    const runId = '20261203T100000Z-00000001';
    startedRun(runId);
    const pid = deadPid();
    claimedBy(runId, { pid });
    const record = await reconcileRun(layout, runId);
    expect(record.status).toBe('cancelled');
    expect(record.message).toBe(`vmplan (pid ${pid}) ended without finishing the run`);
    expect(readRunRecord(layout, runId)).toMatchObject({ status: 'cancelled', counts: { cancelled: 2 } });
    expect(
      readNodeRecords(layout, runId, plan).map((node) => [node.nodeId, node.status, node.message]),
    ).toEqual([
      ['job:a', 'cancelled', `vmplan (pid ${pid}) ended without finishing the run`],
      ['job:b', 'cancelled', `vmplan (pid ${pid}) ended without finishing the run`],
    ]);
  });

  it('leaves a run alone while its process lives, when it is this process, or on another host', async () => {
    const alive = '20261203T100000Z-00000002';
    startedRun(alive);
    claimedBy(alive, { pid: process.ppid });
    expect((await reconcileRun(layout, alive)).status).toBe('running');
    const own = '20261203T100000Z-00000003';
    startedRun(own);
    expect((await reconcileRun(layout, own)).status).toBe('running');
    const elsewhere = '20261203T100000Z-00000004';
    startedRun(elsewhere);
    claimedBy(elsewhere, { pid: deadPid(), hostname: `${hostname()}-other` });
    expect((await reconcileRun(layout, elsewhere)).status).toBe('running');
    expect(readRunRecord(layout, elsewhere).status).toBe('running');
  });

  it('leaves a finished run as it is', async () => {
    const runId = '20261203T100000Z-00000005';
    startedRun(runId).finish('failed', 'job a failed');
    claimedBy(runId, { pid: deadPid() });
    expect(await reconcileRun(layout, runId)).toMatchObject({ status: 'failed', message: 'job a failed' });
  });
});

describe('isAbandoned', () => {
  const base = (): RunRecord => {
    const runId = '20261203T100000Z-00000006';
    startedRun(runId);
    return readRunRecord(layout, runId);
  };

  it('holds only for a running record of this host whose other process is gone', () => {
    const record = base();
    const dead = deadPid();
    expect(isAbandoned({ ...record, host: { ...record.host, pid: dead } })).toBe(true);
    expect(isAbandoned({ ...record, status: 'passed', host: { ...record.host, pid: dead } })).toBe(false);
    expect(isAbandoned({ ...record, host: { ...record.host, pid: process.pid } })).toBe(false);
    expect(isAbandoned({ ...record, host: { ...record.host, pid: process.ppid } })).toBe(false);
    expect(isAbandoned({ ...record, host: { ...record.host, pid: dead, hostname: 'elsewhere' } })).toBe(
      false,
    );
  });
});

describe('stopLeftovers', () => {
  /** A process in a group of its own, marked as the run's (as vmplan marks a job's processes). */
  function markedProcess(runDir: string): ChildProcess {
    return spawn('sleep', ['300'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, VMPLAN_NODE_DIR: join(runDir, 'jobs/a') },
    });
  }
  const gone = (child: ChildProcess) =>
    new Promise<void>((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
    );

  it('stops what a running node recorded, and nothing a finished one did', async () => {
    const runId = '20261204T130000Z-0000000c';
    const store = startedRun(runId);
    const runDir = layout.runDir(runId);
    const running = markedProcess(runDir);
    const finished = markedProcess(runDir);
    try {
      store.update('job:a', { process: { pid: running.pid!, group: true, restSocket: null } });
      store.start('job:b');
      store.update('job:b', { process: { pid: finished.pid!, group: true, restSocket: null } });
      store.finishNode('job:b', 'passed');
      await stopLeftovers(store, runDir);
      await gone(running);
      expect(running.signalCode).not.toBeNull();
      expect(finished.exitCode === null && finished.signalCode === null).toBe(true);
    } finally {
      for (const child of [running, finished])
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

describe.skipIf(!prerequisite('root (to mount a small tmpfs as a full disk)', process.getuid?.() === 0))(
  'reconcileRun on a full disk',
  () => {
    /** Fills the filesystem of `folder` to the last byte with one file; returns its path. */
    function fill(folder: string): string {
      const path = join(folder, 'filler');
      const fd = openSync(path, 'w');
      const block = Buffer.alloc(16 * 1024, 0x5a);
      try {
        for (;;) writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
      return path;
    }

    it('says how the run ended without writing it, and writes it once there is space again', async () => {
      await withTmpfs(root, 'small-disk', 'size=256k', async (disk) => {
        const small = new StateLayout(disk);
        const runId = '20261207T180000Z-0000000d';
        writePlan(small.planFile(runId), plan);
        RunStore.create(small, runStart(plan, runId), plan).start('job:a');
        const pid = deadPid();
        const file = small.runRecord(runId);
        const record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
        writeFileSync(file, JSON.stringify({ ...record, host: { ...record.host, pid } }));
        const filler = fill(disk);

        const told = await reconcileRun(small, runId);
        expect(told).toMatchObject({
          status: 'cancelled',
          message: `vmplan (pid ${pid}) ended without finishing the run (not yet written to run.json: the state folder is out of space)`,
        });
        expect(readRunRecord(small, runId).status).toBe('running');

        rmSync(filler);
        const written = await reconcileRun(small, runId);
        expect(written).toMatchObject({
          status: 'cancelled',
          message: `vmplan (pid ${pid}) ended without finishing the run`,
        });
        expect(readRunRecord(small, runId).status).toBe('cancelled');
      });
    });
  },
);
