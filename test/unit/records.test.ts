import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  opendirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InfrastructureError, InputError } from '../../src/errors.js';
import { buildPlan } from '../../src/plan/build.js';
import { assertRunId, newRunId, StateLayout } from '../../src/records/layout.js';
import { SpaceReserve } from '../../src/records/reserve.js';
import {
  listRunIds,
  openRunStore,
  RunStore,
  readNodeRecords,
  readRunRecord,
} from '../../src/records/store.js';
import { context, jobs, runStart } from '../support/jobs.js';
import { prerequisite } from '../support/prerequisites.js';

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

describe('the state folder', () => {
  it('keeps each run as the README lays it out; what outlives runs goes to the cache folder', () => {
    const vmPlan = buildPlan(
      jobs(`version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
jobs:
  build: { run: make, executor: host }
  unit: { run: make test, image: guest, executor: qemu }
`),
      context(),
    );
    const own = new StateLayout(join(root, 'laid-out'));
    const runId = '20261129T100000Z-00000010';
    const store = RunStore.create(own, runStart(vmPlan, runId), vmPlan, undefined);
    store.finish('passed', null);
    const run = join(own.root, 'runs', runId);
    expect([
      own.runRecord(runId),
      own.planFile(runId),
      own.resultsFile(runId),
      own.snapshotDir(runId),
    ]).toEqual(['run.json', 'plan.json', 'results.json', 'snapshot'].map((name) => join(run, name)));
    for (const file of [
      'run.json',
      'jobs/build/status.json',
      'jobs/unit/status.json',
      'images/guest/status.json',
    ])
      expect(existsSync(join(run, file))).toBe(true);
    expect(store.node('job:unit').logs).toEqual({ host: 'jobs/unit/host.log', guest: 'jobs/unit/guest.log' });
    // Recorded durations outlive runs: in the cache folder, `cache/` inside the state folder unless one is given.
    expect(own.cacheDir).toBe(join(own.root, 'cache'));
    expect(own.durationsFile).toBe(join(own.root, 'cache', 'durations.json'));
    const apart = new StateLayout(join(root, 'state'), join(root, 'elsewhere'));
    expect(apart.durationsFile).toBe(join(root, 'elsewhere', 'durations.json'));
    expect(apart.runsDir).toBe(join(root, 'state', 'runs'));
  });
});

describe("a host job's workspace", () => {
  it('may go, best first, to its job folder, the cache folder, or a folder of this user in the temporary folder', () => {
    const own = new StateLayout(join(root, 'state'), join(root, 'cache-elsewhere'));
    const runId = '20261129T100000Z-00000011';
    expect(own.hostWorkspaceCandidates(runId, 'unit')).toEqual([
      join(own.runDir(runId), 'jobs', 'unit', 'workspace'),
      join(root, 'cache-elsewhere', 'workspaces', runId, 'unit'),
      join(tmpdir(), `vmplan-${userInfo().uid}`, 'workspaces', runId, 'unit'),
    ]);
    // A run id is never a path: none of the places can be outside where they belong.
    expect(() => own.hostWorkspaceCandidates('../../../etc', 'unit')).toThrow(/is not a run id/);
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

  it('a write that fails for another reason than space keeps the reserve and is not called a full disk', () => {
    const runId = '20261129T100000Z-0000000c';
    mkdirSync(layout.runDir(runId), { recursive: true });
    const reserve = SpaceReserve.create(layout.runDir(runId));
    const store = RunStore.create(layout, runStart(plan, runId), plan, reserve);
    // The job's folder is replaced by a file: its status.json cannot be written, whatever space there is.
    const nodeDir = join(layout.runDir(runId), 'jobs', 'a');
    rmSync(nodeDir, { recursive: true, force: true });
    writeFileSync(nodeDir, '');
    expect(() => store.start('job:a')).toThrow(/EEXIST|ENOTDIR/);
    expect(store.infrastructureProblems).toEqual([]);
    expect(existsSync(join(layout.runDir(runId), '.space-reserve'))).toBe(true);
  });

  it('gives the reserved space back once the records are final, also when the reserve file is gone already', () => {
    for (const [runId, removedBefore] of [
      ['20261129T100000Z-0000000d', false],
      ['20261129T100000Z-0000000e', true],
    ] as const) {
      mkdirSync(layout.runDir(runId), { recursive: true });
      const reserve = join(layout.runDir(runId), '.space-reserve');
      const store = RunStore.create(
        layout,
        runStart(plan, runId),
        plan,
        SpaceReserve.create(layout.runDir(runId)),
      );
      store.start('job:a');
      store.finishNode('job:a', 'passed', { exitCode: 0 });
      expect(existsSync(reserve)).toBe(true);
      // A host job may clean up its run's folder: ending the run must not fail for that.
      if (removedBefore) rmSync(reserve);
      store.finish('failed', '"b" failed', 'skipped');
      expect(existsSync(reserve)).toBe(false);
      expect(readRunRecord(layout, runId)).toMatchObject({
        status: 'failed',
        counts: { passed: 1, skipped: 1 },
      });
    }
  });

  it('a run opened from its records (to finish one left running) keeps what its jobs already recorded', () => {
    const first = createStore('20261129T100000Z-0000000f');
    first.start('job:a', new Date('2026-11-29T10:00:01.000Z'));
    first.finishNode('job:a', 'passed', { exitCode: 0 }, new Date('2026-11-29T10:00:03.000Z'));
    first.start('job:b', new Date('2026-11-29T10:00:04.000Z'));
    // The process that ran it is gone; another opens the records and ends the run.
    const reopened = openRunStore(layout, first.runId, plan);
    expect(reopened.record).toEqual(first.record);
    expect(reopened.allNodes()).toEqual(first.allNodes());
    reopened.finish(
      'cancelled',
      'vmplan ended without finishing the run',
      'cancelled',
      new Date('2026-11-29T10:00:09.000Z'),
    );
    expect(readNodeRecords(layout, first.runId, plan)).toMatchObject([
      { status: 'passed', exitCode: 0, durationMs: 2000, message: null },
      { status: 'cancelled', durationMs: 5000, message: 'vmplan ended without finishing the run' },
    ]);
    expect(readRunRecord(layout, first.runId)).toMatchObject({
      status: 'cancelled',
      durationMs: 9000,
      counts: { passed: 1, cancelled: 1 },
    });
  });

  it('a run.json that could not be written terminal is written by the next finish, with what that one says', () => {
    const store = createStore('20261129T100000Z-00000012');
    store.start('job:a');
    // Something is in run.json's place that a record cannot replace (a folder): ending the run cannot write it.
    const path = layout.runRecord(store.runId);
    rmSync(path);
    mkdirSync(path);
    expect(() => store.finish('passed', null)).toThrow(/run\.json/);
    expect(store.finished).toBe(false);
    rmSync(path, { recursive: true });
    // The engine's second try says why the first failed; it is not skipped as if run.json were terminal.
    store.finish('failed', 'a record of the finished run could not be written');
    expect(store.finished).toBe(true);
    expect(readRunRecord(layout, store.runId)).toMatchObject({
      status: 'failed',
      message: 'a record of the finished run could not be written',
      counts: { cancelled: 2 },
    });
    store.finish('cancelled', 'late');
    expect(readRunRecord(layout, store.runId).status).toBe('failed');
  });

  it("a record that cannot be written because something else is in its place is vmplan's own trouble, not bad input", () => {
    const store = createStore('20261129T100000Z-00000013');
    // A host job replaced its status.json with a symlink to a file of the user's: never written through.
    const status = join(layout.runDir(store.runId), 'jobs', 'a', 'status.json');
    const elsewhere = join(root, 'users-file');
    writeFileSync(elsewhere, 'keep');
    rmSync(status);
    symlinkSync(elsewhere, status);
    let error: unknown;
    try {
      store.start('job:a');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as Error).message).toBe(
      `${status} is a symlink: vmplan does not write through symlinks to files; give the real path`,
    );
    expect(readFileSync(elsewhere, 'utf8')).toBe('keep');
  });

  it('rejects records that are not valid, naming the file', () => {
    const store = createStore('20261129T100000Z-00000004');
    const path = layout.runRecord(store.runId);
    writeFileSync(path, '{"schemaVersion": 1, "status": "exploded"}');
    expect(() => readRunRecord(layout, store.runId)).toThrow(
      new RegExp(`${path}: not a valid vmplan record`),
    );
  });

  it('ends a pending node with the leftover status but a running one as cancelled; no message reads "run ended"', () => {
    const store = createStore('20261129T100000Z-00000006');
    store.start('job:a');
    store.finish('failed', null, 'skipped');
    const [a, b] = readNodeRecords(layout, store.runId, plan);
    expect(a).toMatchObject({ status: 'cancelled', message: 'run ended' });
    expect(a!.durationMs).not.toBeNull();
    expect(b).toMatchObject({ status: 'skipped', message: 'run ended', durationMs: null, startedAt: null });
    expect(readRunRecord(layout, store.runId)).toMatchObject({
      message: null,
      counts: { cancelled: 1, skipped: 1 },
    });
  });

  it('counts jobs only, and only statuses that occur; VM jobs have a guest log, others none', () => {
    const vmPlan = buildPlan(
      jobs(`version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
jobs:
  host-job: { run: x, executor: host }
  vm-job: { run: y, image: guest, executor: qemu }
`),
      context(),
    );
    const store = RunStore.create(layout, runStart(vmPlan, '20261129T100000Z-00000007'), vmPlan, undefined);
    expect(store.allNodes().map((record) => [record.nodeId, record.logs])).toEqual([
      ['image:guest', { host: 'images/guest/host.log', guest: null }],
      ['job:host-job', { host: 'jobs/host-job/host.log', guest: null }],
      ['job:vm-job', { host: 'jobs/vm-job/host.log', guest: 'jobs/vm-job/guest.log' }],
    ]);
    store.finishNode('image:guest', 'failed', { message: 'no kernel' });
    store.finishNode('job:host-job', 'passed', { exitCode: 0 });
    store.finish('failed', 'image "guest" failed', 'skipped');
    expect(store.record.counts).toEqual({ passed: 1, skipped: 1 });
  });

  it('refuses a non-terminal finish and an unknown node, naming them', () => {
    const store = createStore('20261129T100000Z-00000008');
    expect(() => store.finishNode('job:a', 'running')).toThrow('running is not terminal');
    expect(() => store.finishNode('job:nope', 'passed')).toThrow('no record for node job:nope');
    expect(() => store.update('job:nope', { exitCode: 1 })).toThrow('no record for node job:nope');
    expect(() => store.node('job:nope')).toThrow('no record for node job:nope');
  });

  it('keeps each infrastructure problem once', () => {
    const store = createStore('20261129T100000Z-00000009');
    store.addInfrastructureProblem('disk full');
    store.addInfrastructureProblem('disk full');
    store.addInfrastructureProblem('log lost');
    expect(store.infrastructureProblems).toEqual(['disk full', 'log lost']);
  });

  it('lists run ids oldest first, ignoring other folders; none when there is no runs folder', () => {
    const own = new StateLayout(join(root, 'listing'));
    expect(listRunIds(own)).toEqual([]);
    for (const name of ['20261129T100000Z-00000002', 'notes', '20261128T100000Z-00000009', '2026-x'])
      mkdirSync(join(own.runsDir, name), { recursive: true });
    expect(listRunIds(own)).toEqual(['20261128T100000Z-00000009', '20261129T100000Z-00000002']);
  });

  it('lists run ids by time whatever order the folder lists them in', () => {
    const own = new StateLayout(join(root, 'listing-order'));
    // Twelve runs over two days, their folders made out of time order (so the folder's own order is not it).
    const byTime = Array.from(
      { length: 12 },
      (_, i) =>
        `202611${28 + (i >> 3)}T${String(9 + i).padStart(2, '0')}0000Z-${(0xf0 - i * 7).toString(16).padStart(8, '0')}`,
    );
    for (const index of [5, 11, 0, 7, 2, 9, 4, 1, 10, 3, 8, 6])
      mkdirSync(join(own.runsDir, byTime[index]!), { recursive: true });
    const folderOrder = directoryOrder(own.runsDir);
    expect(folderOrder).not.toEqual(byTime);
    expect(folderOrder).not.toEqual([...byTime].reverse());
    expect(listRunIds(own)).toEqual(byTime);
  });
});

describe.skipIf(!prerequisite('root (to mount a small tmpfs as a full disk)', process.getuid?.() === 0))(
  'RunStore on a full disk',
  () => {
    it('gives back its reserve once to end the run with terminal records, saying the disk ran out', () => {
      const disk = join(root, 'full');
      mkdirSync(disk);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]);
      try {
        const full = new StateLayout(disk);
        const runId = '20261129T100000Z-0000000a';
        mkdirSync(full.runDir(runId), { recursive: true });
        const reserve = SpaceReserve.create(full.runDir(runId));
        const store = RunStore.create(full, runStart(plan, runId), plan, reserve);
        // A job fills the rest of the disk.
        expect(() => writeFileSync(join(disk, 'filler'), Buffer.alloc(4 * 1024 * 1024, 1))).toThrow(/ENOSPC/);
        store.start('job:a');
        store.finish('failed', 'the disk filled up');
        expect(readRunRecord(full, runId)).toMatchObject({ status: 'failed', message: 'the disk filled up' });
        expect(readNodeRecords(full, runId, plan).map((record) => record.status)).toEqual([
          'cancelled',
          'cancelled',
        ]);
        expect(store.infrastructureProblems).toHaveLength(1);
        expect(store.infrastructureProblems[0]).toMatch(
          /^the state folder ran out of space \(ENOSPC\) while writing .*jobs\/a\/status\.json$/,
        );
        expect(existsSync(join(full.runDir(runId), '.space-reserve'))).toBe(false);
      } finally {
        execFileSync('umount', [disk]);
      }
    });

    it('without a reserve to give back, the write fails as it came', () => {
      const disk = join(root, 'full-no-reserve');
      mkdirSync(disk);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk]);
      try {
        const full = new StateLayout(disk);
        const store = RunStore.create(full, runStart(plan, '20261129T100000Z-0000000b'), plan, undefined);
        expect(() => writeFileSync(join(disk, 'filler'), Buffer.alloc(2 * 1024 * 1024, 1))).toThrow(/ENOSPC/);
        expect(() => store.start('job:a')).toThrow(/ENOSPC/);
        expect(store.infrastructureProblems).toHaveLength(1);
      } finally {
        execFileSync('umount', [disk]);
      }
    });
  },
);

/**
 * The names in a folder in the order the filesystem keeps them (ext4: hash order). Not readdirSync, which sorts
 * by name (libuv's scandir): code that reads a folder another way sees this order.
 */
function directoryOrder(path: string): string[] {
  const dir = opendirSync(path);
  const names: string[] = [];
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) names.push(entry.name);
  } finally {
    dir.closeSync();
  }
  return names;
}
