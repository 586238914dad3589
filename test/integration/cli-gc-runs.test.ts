// `vmplan gc --keep N` on the runs folder: which runs go, what it says, and that --dry-run deletes nothing.
import { mkdirSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

describe('vmplan gc --keep', () => {
  it('--dry-run names the runs it would delete, counts those it would keep, and deletes nothing', async () => {
    const project = testProject('version: 1\ndefaults: { executor: host }\njobs:\n  unit: { run: "true" }\n');
    const runs = join(project.root, '.vmplan/runs');
    // Three run folders a crash left without run.json, old enough not to be runs still being created.
    const ids = ['20260101T000000Z-00000001', '20260102T000000Z-00000002', '20260103T000000Z-00000003'];
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const id of ids) {
      mkdirSync(join(runs, id), { recursive: true });
      utimesSync(join(runs, id), hourAgo, hourAgo);
    }
    const dry = await runVmplan(['gc', '--keep', '1', '--dry-run', '--json'], { cwd: project.root });
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      command: 'gc',
      ok: true,
      dryRun: true,
      runs: { deleted: ids.slice(0, 2), kept: 1 },
    });
    expect(dry.stderr).toContain(`Would delete 2 run(s); 1 kept in ${runs}\n`);
    expect(readdirSync(runs).sort()).toEqual(ids);
    const real = await runVmplan(['gc', '--keep', '1'], { cwd: project.root });
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toBe(`Deleted 2 run(s); 1 kept in ${runs}\n`);
    expect(readdirSync(runs)).toEqual([ids[2]]);
  });
});
