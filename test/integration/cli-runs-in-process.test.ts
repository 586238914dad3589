// vmplan rerun, list and status called in process (runCli), on real host-executor runs: what a rerun takes again,
// the order runs are listed in, and the exit codes — seen by mutation testing, which a child process never is.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { writePlan } from '../../src/plan/io.js';
import { StateLayout } from '../../src/records/layout.js';
import { RunStore } from '../../src/records/store.js';
import { runCliInProcess } from '../support/cli-in-process.js';
import { context, jobs, runStart } from '../support/jobs.js';
import { testProject } from '../support/project.js';

/** Runs the CLI in this process in `cwd`. */
const vmplan = (cwd: string, args: string[]) => runCliInProcess(cwd, args, process.env);

describe('vmplan rerun, list and status (in process)', () => {
  it('rerun --failed takes every job that did not pass (failed and skipped), and what they need', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  build: { run: "true" }
  broken: { run: "exit 3", needs: build }
  after: { run: "true", needs: broken }
  docs: { run: "true" }
`);
    const first = await vmplan(project.root, ['run', '--quiet']);
    expect(first.code, first.stdout + first.stderr).toBe(1);
    const firstRun = project.latestRun();
    expect(project.jobStatus('after').status).toBe('skipped');

    const rerun = await vmplan(project.root, ['rerun', firstRun, '--failed', '--quiet']);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(1);
    expect(rerun.stdout).toContain(`the jobs of run ${firstRun} that did not pass (broken, after)`);
    const secondRun = project.latestRun();
    expect(secondRun).not.toBe(firstRun);
    const plan = project.state<{ nodes: { id: string }[]; excluded: { job: string }[] }>(
      `runs/${secondRun}/plan.json`,
    );
    expect(plan.nodes.map((node) => node.id)).toEqual(['job:build', 'job:broken', 'job:after']);
    expect(plan.excluded.map((entry) => entry.job)).toEqual(['docs']);
    expect(project.state(`runs/${secondRun}/run.json`)).toMatchObject({
      rerunOf: firstRun,
      snapshotRun: firstRun,
      status: 'failed',
    });

    // list: newest first, the rerun saying what it repeats; status: exit 1 for a run that did not pass.
    const list = await vmplan(project.root, ['list']);
    expect(list.code).toBe(0);
    const rows = list.stdout.split('\n').slice(1, 3);
    expect(rows[0]).toMatch(new RegExp(`^${secondRun} +failed .*rerun of ${firstRun}$`));
    expect(rows[1]).toMatch(new RegExp(`^${firstRun} +failed `));
    const status = await vmplan(project.root, ['status', firstRun]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^after +skipped /m);
    expect((await vmplan(project.root, ['status', secondRun])).stdout).toContain(`Rerun of ${firstRun}\n`);

    // A rerun of the rerun still runs on the first run's snapshot (the only one taken).
    const again = await vmplan(project.root, ['rerun', 'latest', '--quiet']);
    expect(again.code).toBe(1);
    expect(project.state(`runs/${project.latestRun()}/run.json`)).toMatchObject({
      rerunOf: secondRun,
      snapshotRun: firstRun,
    });
  });

  it('rerun --failed of a run that passed runs nothing; rerun needs exactly one run', async () => {
    const project = testProject('version: 1\ndefaults: { executor: host }\njobs:\n  ok: { run: "true" }\n');
    expect((await vmplan(project.root, ['run', '--quiet'])).code).toBe(0);
    const runId = project.latestRun();
    const status = await vmplan(project.root, ['status']);
    expect([status.code, status.stdout]).toEqual([0, expect.stringMatching(/^ok +passed /m)]);
    const nothing = await vmplan(project.root, ['rerun', runId, '--failed']);
    expect([nothing.code, nothing.stdout]).toEqual([
      0,
      `Every job of run ${runId} passed: nothing to rerun.\n`,
    ]);
    expect(project.latestRun()).toBe(runId);
    const none = await vmplan(project.root, ['rerun']);
    expect([none.code, none.stderr]).toEqual([2, 'vmplan rerun: expected one run id (or "latest")\n']);
  });
});

describe('vmplan status of a run whose process died, and of a run still running (in process)', () => {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-status-exit-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const layout = new StateLayout(join(root, '.vmplan'));
  const plan = buildPlan(
    jobs('version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: x }\n  b: { run: y, needs: a }\n'),
    context(),
  );
  const started = (runId: string) => {
    writePlan(layout.planFile(runId), plan);
    const store = RunStore.create(layout, runStart(plan, runId), plan);
    store.start('job:a');
  };

  it('a run left running by a process that is gone reads as cancelled: exit 1, ok false', async () => {
    const runId = '20261203T100000Z-0000dead';
    started(runId);
    // run.json as the vmplan that wrote it left it: claimed by a process that has exited since.
    const pid = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
        .stdout,
    );
    const file = layout.runRecord(runId);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...record, host: { ...record.host, pid } }));

    const status = await vmplan(root, ['status', runId, '--json']);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ ok: false, run: { status: 'cancelled' } });
    const text = await vmplan(root, ['status', runId]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`Run ${runId}: cancelled (2 cancelled)`);
  });

  it('a run still running (its process alive) is ok: exit 0, and rerun refuses it', async () => {
    const runId = '20261203T110000Z-0000a11e';
    started(runId);
    const status = await vmplan(root, ['status', runId, '--json']);
    expect([status.code, JSON.parse(status.stdout).ok]).toEqual([0, true]);
    const rerun = await vmplan(root, ['rerun', runId]);
    expect([rerun.code, rerun.stderr]).toEqual([2, `run ${runId} is still running\n`]);
  });
});
