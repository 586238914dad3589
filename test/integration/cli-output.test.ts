import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan, spawnVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

// How the CLI's output ends: promptly after the work, and quietly when its reader goes away (`| head`).

describe('the end of CLI output', () => {
  it('exits as soon as the run is done (no timer outlives the jobs)', async () => {
    const project = testProject(
      'version: 1\ndefaults: { executor: host }\njobs:\n  quick: { run: "true" }\n',
    );
    const child = spawnVmplan(['run'], { cwd: project.root });
    const result = await child.done;
    const exitedAt = Date.now();
    expect(result.code, result.stderr).toBe(0);
    const run = project.state<{ finishedAt: string }>(`runs/${project.latestRun()}/run.json`);
    // Before: every run waited 2 s for a timer racing the output drain. A busy machine needs some slack.
    expect(exitedAt - Date.parse(run.finishedAt)).toBeLessThan(1_500);
  });

  it('vmplan logs | head -1: the closed pipe ends output quietly, exit 0', async () => {
    const project = testProject(
      'version: 1\ndefaults: { executor: host }\njobs:\n  chatty: { run: "seq 1 200000" }\n',
    );
    expect((await runVmplan(['run', '--quiet'], { cwd: project.root })).code).toBe(0);
    const child = spawnVmplan(['logs', 'latest', 'chatty'], { cwd: project.root });
    child.child.stdout.once('data', () => child.child.stdout.destroy());
    const result = await child.done;
    expect(result.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(result.code).toBe(0);
  });

  it('vmplan run | head: the run goes on to its end and finishes its records', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'vmplan-head-')), 'finished');
    const project = testProject(
      `version: 1\ndefaults: { executor: host }\njobs:\n  chatty: { run: "seq 1 200000; touch ${marker}" }\n`,
    );
    const child = spawnVmplan(['run'], { cwd: project.root });
    child.child.stdout.once('data', () => child.child.stdout.destroy());
    const result = await child.done;
    expect(result.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(result.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const run = JSON.parse(
      readFileSync(join(project.root, '.vmplan/runs', project.latestRun(), 'run.json'), 'utf8'),
    );
    expect(run.status).toBe('passed');
  });
});
