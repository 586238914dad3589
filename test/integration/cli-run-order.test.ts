import { mkdtempSync, opendirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { writePlan } from '../../src/plan/io.js';
import { StateLayout } from '../../src/records/layout.js';
import { RunStore } from '../../src/records/store.js';
import { runVmplan } from '../support/cli.js';
import { context, jobs, runStart } from '../support/jobs.js';

// `vmplan list` lists runs newest first and `vmplan status` shows the latest: by the time in their ids, never by the
// order the runs folder happens to list them in.

const folder = mkdtempSync(join(tmpdir(), 'vmplan-run-order-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('runs in time order', () => {
  it('list shows the newest first and status the latest, whatever order the folder lists them in', async () => {
    const layout = new StateLayout(join(folder, 'state'));
    const plan = buildPlan(
      jobs('version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: x }\n'),
      context(),
    );
    // Ten finished runs an hour apart (the random suffixes falling as time goes on), written out of time order.
    const starts = Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 10, 28, 9 + i)));
    const ids = starts.map(
      (start, i) =>
        `${start.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${(0xf0 - i * 7).toString(16).padStart(8, '0')}`,
    );
    for (const index of [4, 9, 0, 6, 2, 8, 1, 7, 3, 5]) {
      const store = RunStore.create(layout, runStart(plan, ids[index]!), plan, undefined, starts[index]!);
      writePlan(layout.planFile(ids[index]!), plan);
      store.finishNode('job:a', 'passed', { exitCode: 0 }, starts[index]!);
      store.finish('passed', null, 'cancelled', new Date(starts[index]!.getTime() + 1000));
    }
    const folderOrder = directoryOrder(layout.runsDir);
    expect(folderOrder).not.toEqual(ids);
    expect(folderOrder).not.toEqual([...ids].reverse());

    const list = await runVmplan(['list', '--state-dir', layout.root, '--json'], { cwd: folder });
    expect(list.code, list.stderr).toBe(0);
    const listed = (JSON.parse(list.stdout) as { runs: { runId: string }[] }).runs.map((run) => run.runId);
    expect(listed).toEqual([...ids].reverse());
    const table = await runVmplan(['list', '--state-dir', layout.root], { cwd: folder });
    expect(
      table.stdout
        .split('\n')
        .slice(1)
        .filter((line) => line !== '')
        .map((line) => line.split(' ')[0]),
    ).toEqual([...ids].reverse());

    const status = await runVmplan(['status', '--state-dir', layout.root, '--json'], { cwd: folder });
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { run: { runId: string } }).run.runId).toBe(ids.at(-1));
  });
});

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
