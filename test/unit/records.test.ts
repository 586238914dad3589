import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { buildPlan } from '../../src/plan/build.js';
import { assertRunId, newRunId, StateLayout } from '../../src/records/layout.js';
import { RunStore, readNodeRecords, readRunRecord } from '../../src/records/store.js';
import { context, jobs, runStart } from '../support/jobs.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-records-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const layout = new StateLayout(root);
const plan = buildPlan(
  jobs('version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: x }\n  b: { run: y, needs: a }\n'),
  context(),
);

function createStore(runId: string): RunStore {
  return RunStore.create(
    layout,
    runStart(plan, runId),
    plan,
    undefined,
    new Date('2026-11-29T10:00:00.000Z'),
  );
}

describe('run ids', () => {
  it('sort by time and refuse anything that could be a path', () => {
    expect(newRunId(new Date('2026-11-29T10:23:00.123Z'), 'a2b3c4')).toBe('20261129T102300Z-07ba2b3c');
    // Within one second, ids still sort by start time (the milliseconds lead the suffix).
    const ids = [999, 5, 500, 42].map((ms) =>
      newRunId(new Date(Date.UTC(2026, 10, 29, 10, 23, 0, ms)), 'fffff'),
    );
    expect([...ids].sort()).toEqual([ids[1], ids[3], ids[2], ids[0]]);
    expect(() => assertRunId('../../etc/passwd')).toThrow(InputError);
    expect(() => layout.runDir('20261129T102300Z-1a2b3c4d/../x')).toThrow(/is not a run id/);
  });
});

describe('RunStore', () => {
  it('writes a running run and pending nodes, then terminal records on finish', () => {
    const store = createStore('20261129T100000Z-00000001');
    expect(readRunRecord(layout, store.runId).status).toBe('running');
    expect(readNodeRecords(layout, store.runId, plan).map((record) => record.status)).toEqual([
      'pending',
      'pending',
    ]);
    store.start('job:a', new Date('2026-11-29T10:00:01.000Z'));
    store.finishNode(
      'job:a',
      'failed',
      { exitCode: 3, message: 'exited with code 3' },
      new Date('2026-11-29T10:00:03.500Z'),
    );
    expect(readNodeRecords(layout, store.runId, plan)[0]).toMatchObject({
      status: 'failed',
      durationMs: 2500,
      exitCode: 3,
    });
    store.finish('failed', '"a" failed', 'skipped', new Date('2026-11-29T10:00:04.000Z'));
    const run = readRunRecord(layout, store.runId);
    expect(run).toMatchObject({
      status: 'failed',
      durationMs: 4000,
      counts: { failed: 1, skipped: 1 },
      message: '"a" failed',
    });
    expect(readNodeRecords(layout, store.runId, plan)[1]).toMatchObject({
      status: 'skipped',
      message: '"a" failed',
    });
  });

  it('finishing twice changes nothing (exit handlers call it again)', () => {
    const store = createStore('20261129T100000Z-00000002');
    store.finish('passed', null);
    const before = readFileSync(layout.runRecord(store.runId), 'utf8');
    store.finish('failed', 'late');
    expect(readFileSync(layout.runRecord(store.runId), 'utf8')).toBe(before);
  });

  it('closes running nodes as cancelled when the run ends early', () => {
    const store = createStore('20261129T100000Z-00000003');
    store.start('job:a');
    store.update('job:a', { process: { pid: 123, group: true, restSocket: null } });
    store.finish('cancelled', 'cancelled: received SIGINT');
    const [a, b] = readNodeRecords(layout, store.runId, plan);
    expect(a).toMatchObject({ status: 'cancelled', process: null });
    expect(b).toMatchObject({ status: 'cancelled', message: 'cancelled: received SIGINT' });
  });

  it('ends run.json terminal even when a node record can no longer be written', () => {
    const store = createStore('20261129T100000Z-00000005');
    store.start('job:a');
    // The node's folder is replaced by a file (a job destroyed it): its status.json cannot be written.
    const nodeDir = join(layout.runDir(store.runId), 'jobs', 'a');
    rmSync(nodeDir, { recursive: true, force: true });
    writeFileSync(nodeDir, '');
    expect(() => store.finish('failed', 'vmplan error')).toThrow();
    expect(readRunRecord(layout, store.runId)).toMatchObject({ status: 'failed', message: 'vmplan error' });
    const b = JSON.parse(readFileSync(join(layout.runDir(store.runId), 'jobs', 'b', 'status.json'), 'utf8'));
    expect(b.status).toBe('cancelled');
  });

  it('rejects records that are not valid, naming the file', () => {
    const store = createStore('20261129T100000Z-00000004');
    const path = layout.runRecord(store.runId);
    writeFileSync(path, '{"schemaVersion": 1, "status": "exploded"}');
    expect(() => readRunRecord(layout, store.runId)).toThrow(
      new RegExp(`${path}: not a valid vmplan record`),
    );
  });
});
