import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';
import { testGuest } from '../support/vm.js';

/** The one JSON document a --json command printed on stdout. */
const documentOf = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describe('--json', () => {
  const jobs =
    'version: 1\ndefaults: { executor: host }\njobs:\n  build: { run: echo building }\n  unit: { run: echo testing, needs: build }\n';

  it('run, status and list: one document on stdout, job output and tables on stderr', async () => {
    const project = testProject(jobs);
    const run = await runVmplan(['run', '--json'], { cwd: project.root });
    expect(run.code, run.stderr).toBe(0);
    const document = documentOf(run.stdout);
    expect(document).toMatchObject({ vmplan: 1, command: 'run', ok: true, run: { status: 'passed' } });
    expect((document.nodes as { nodeId: string; status: string }[]).map((n) => [n.nodeId, n.status])).toEqual(
      [
        ['job:build', 'passed'],
        ['job:unit', 'passed'],
      ],
    );
    expect(run.stderr).toContain('building');
    expect(run.stdout).not.toContain('building');

    const status = await runVmplan(['status', '--json'], { cwd: project.root });
    expect(documentOf(status.stdout)).toMatchObject({ command: 'status', ok: true, run: document.run });
    const list = await runVmplan(['list', '--json'], { cwd: project.root });
    expect(documentOf(list.stdout)).toMatchObject({ command: 'list', ok: true, runs: [document.run] });
  });

  it('plan and validate, and refused input as a problems document', async () => {
    const project = testProject(jobs);
    const plan = documentOf((await runVmplan(['plan', '--json'], { cwd: project.root })).stdout);
    expect(plan).toMatchObject({ command: 'plan', ok: true, plan: { schemaVersion: 2 } });
    const validated = documentOf((await runVmplan(['validate', '--json'], { cwd: project.root })).stdout);
    expect(validated).toEqual({
      vmplan: 1,
      command: 'validate',
      ok: true,
      file: '.github/vmplan.yml',
      kind: 'jobs file',
      planId: (plan.plan as { planId: string }).planId,
      jobs: 2,
      images: 0,
    });
    const shown = await runVmplan(['show', '--json'], { cwd: project.root });
    expect(shown.code).toBe(0);
    expect(documentOf(shown.stdout)).toEqual({
      vmplan: 1,
      command: 'show',
      ok: true,
      file: '.github/vmplan.yml',
      kind: 'jobs file',
      plan: { ...(plan.plan as object), createdAt: expect.any(String) },
    });
    project.write('bad.yml', 'version: 1\njobs:\n  unit: { run: x, needs: [nope], executor: host }\n');
    const bad = await runVmplan(['validate', 'bad.yml', '--json'], { cwd: project.root });
    expect(bad.code).toBe(2);
    expect(documentOf(bad.stdout)).toEqual({
      vmplan: 1,
      command: 'validate',
      ok: false,
      problems: [
        {
          file: 'bad.yml',
          line: 3,
          column: 27,
          path: ['jobs', 'unit', 'needs', 0],
          message: 'unknown job "nope"',
        },
      ],
    });
    expect(bad.stderr).toContain('bad.yml:3:27 jobs.unit.needs[0]: unknown job "nope"');
  });

  it.skipIf(testGuest() === undefined)(
    'image build: the folder written, as a document; human progress on stderr',
    async () => {
      const project = testProject(jobs);
      const built = await runVmplan(
        ['image', 'build', 'test-guest', '--arch', 'arm64', '--out', 'guest', '--json'],
        { cwd: project.root },
      );
      expect(built.code, built.stderr).toBe(0);
      expect(documentOf(built.stdout)).toEqual({
        vmplan: 1,
        command: 'image',
        ok: true,
        action: 'build',
        kind: 'test-guest',
        arch: 'arm64',
        out: `${project.root}/guest`,
      });
      expect(readFileSync(`${project.root}/guest/kernel`).equals(readFileSync(`${testGuest()}/kernel`))).toBe(
        true,
      );
      expect(built.stderr).toContain('build-test-guest:');
    },
  );
});
