import { createHook } from 'node:async_hooks';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run-cli.js';
import { runVmplan, spawnVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

// How the CLI's output ends: promptly after the work, and quietly when its reader goes away (`| head`).

describe('the end of CLI output', () => {
  it('exits as soon as the run is done (no timer outlives the jobs)', async () => {
    const project = testProject(
      'version: 1\ndefaults: { executor: host }\njobs:\n  quick: { run: "true" }\n',
    );
    // In process: once the run's promise resolves, no timer it started may still be pending (a pending timer
    // keeps the process alive). Before: a 2 s timer raced against the output drain outlived every run.
    const pending = new Map<number, string>();
    const hook = createHook({
      init(id, type, _trigger, resource) {
        if (type === 'Timeout') pending.set(id, String((resource as { _idleTimeout?: number })._idleTimeout));
      },
      destroy(id) {
        pending.delete(id);
      },
    }).enable();
    let out = '';
    const io: CliIo = {
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        out += text;
      },
      cwd: project.root,
      env: process.env,
    };
    try {
      expect(await runCli(['run', '--quiet'], io), out).toBe(0);
      await new Promise((resolve) => setImmediate(resolve)); // destroy hooks of cleared timers run by then
    } finally {
      hook.disable();
    }
    expect([...pending.values()], 'timers (ms) still pending after the run').toEqual([]);
    const run = project.state<{ status: string; finishedAt: string }>(`runs/${project.latestRun()}/run.json`);
    expect(run.status).toBe('passed');
  });

  it('vmplan run ends with the tests of each job with reports: counts, failed tests on their lines', async () => {
    const project = testProject(
      `version: 1
defaults: { executor: host }
jobs:
  surefire:
    run: mkdir -p target/surefire-reports && cp fixtures/TEST-calc.CalcTest.xml target/surefire-reports/
    reports: { junit: [target/surefire-reports/] }
`,
    );
    project.write(
      'fixtures/TEST-calc.CalcTest.xml',
      readFileSync(new URL('../fixtures/tool-output/surefire-junit5.xml', import.meta.url), 'utf8'),
    );
    project.write('src/test/java/calc/CalcTest.java', 'package calc;\n');
    const result = await runVmplan(['run', '--quiet'], { cwd: project.root });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      [
        'Tests of surefire: 1 passed, 2 failed, 1 skipped in 287 ms',
        '  ✗ calc.CalcTest › dividesByZero (src/test/java/calc/CalcTest.java:25): / by zero',
        '  ✗ calc.CalcTest › addsNegatives (src/test/java/calc/CalcTest.java:16): expected: <-4> but was: <-3>',
        'Logs: vmplan logs ',
      ].join('\n'),
    );
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
