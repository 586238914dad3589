import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

describe('vmplan validate and show', () => {
  it('default to the repository jobs file and check everything plan checks, located', async () => {
    // Loads fine, but cannot be planned here: the job runs on a VM executor and names no image.
    const project = testProject('version: 1\njobs:\n  unit:\n    run: make test\n');
    const planned = await runVmplan(['plan', '--executor', 'qemu'], { cwd: project.root });
    const validated = await runVmplan(['validate'], { cwd: project.root });
    expect(planned.code).toBe(2);
    expect(validated.code).toBe(2);
    expect(validated.stderr).toMatch(
      /^\.github\/vmplan\.yml:3:3 jobs\.unit: runs on \w+, which needs a guest image/,
    );
    const shown = await runVmplan(['show'], { cwd: project.root });
    expect(shown.code).toBe(2);
    expect(shown.stderr).toBe(validated.stderr);
  });

  it('refuse a glob that can never match (an unclosed [ or {) in validate, plan and run, located, exit 2', async () => {
    const project = testProject(
      'version: 1\ndefaults: { executor: host }\njobs:\n  unit:\n    run: touch ran\n    artifacts: ["dist/[**"]\n    reports: { junit: ["src/{a,b"] }\n',
    );
    for (const command of ['validate', 'plan', 'run']) {
      const result = await runVmplan([command], { cwd: project.root });
      expect(result.code, command).toBe(2);
      expect(result.stderr).toContain(
        '.github/vmplan.yml:6:17 jobs.unit.artifacts[0]: expected a valid glob, found "dist/[**": the "[" at position 6 is never closed with "]"',
      );
      expect(result.stderr).toMatch(
        /jobs\.unit\.reports\.junit\[0\]: expected a valid glob, found "src\/\{a,b"/,
      );
    }
    // Nothing ran.
    expect(project.latestRun()).toBeUndefined();
  });

  it('say what a valid jobs file holds, and show its plan', async () => {
    const project = testProject(
      'version: 1\ndefaults: { executor: host }\njobs:\n  unit: { run: make test }\n',
    );
    const validated = await runVmplan(['validate'], { cwd: project.root });
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).toBe('.github/vmplan.yml: valid jobs file (1 job(s), 0 image(s) in use)\n');
    const shown = await runVmplan(['show'], { cwd: project.root });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('unit');
  });

  it('read a jobs file written as JSON and named .json as a jobs file, not as a plan', async () => {
    const project = testProject('version: 1\njobs: {}\n');
    project.write(
      'ci/jobs.json',
      JSON.stringify({ version: 1, defaults: { executor: 'host' }, jobs: { unit: { run: 'make test' } } }),
    );
    const validated = await runVmplan(['validate', 'ci/jobs.json'], { cwd: project.root });
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).toBe('ci/jobs.json: valid jobs file (1 job(s), 0 image(s) in use)\n');
  });

  it('show lists what the plan requires, and whether each secret is set here', async () => {
    const project = testProject(
      'version: 1\ndefaults: { executor: host }\njobs:\n  deploy: { run: ./deploy, secrets: [API_TOKEN, NPM_TOKEN] }\n',
    );
    const shown = await runVmplan(['show'], { cwd: project.root, env: { API_TOKEN: 'x', NPM_TOKEN: '' } });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('\nRequires\n');
    expect(shown.stdout).toContain('secret API_TOKEN in the environment (job:deploy) — set here');
    expect(shown.stdout).toContain('secret NPM_TOKEN in the environment (job:deploy) — not set here');
  });
});
