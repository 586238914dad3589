import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

const log = (root: string, runId: string, job: string) =>
  readFileSync(join(root, `.vmplan/runs/${runId}/jobs/${job}/host.log`), 'utf8');

describe('vmplan run of a matrix job with the host executor', () => {
  it('runs each variant with its own values; fail-fast: false keeps the others going; needs waits for all', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  test:
    matrix:
      os: [alpha, beta]
      n: [1, 2]
      fail-fast: false
    description: test on \${{ matrix.os }}
    env: { OS: "\${{ matrix.os }}" }
    run: |
      echo "variant $OS-\${{ matrix.n }}"
      if [ "$OS-\${{ matrix.n }}" = beta-1 ]; then exit 4; fi
      sleep 1
  after: { run: echo after, needs: test }
`);
    // The run's own fail-fast is on (the default): only the matrix's fail-fast: false keeps the variants running.
    const result = await runVmplan(['run', '--max-parallel', '4'], { cwd: project.root });
    expect(result.code).toBe(1);
    const runId = project.latestRun();
    const variants = ['test-alpha-n-1', 'test-alpha-n-2', 'test-beta-n-1', 'test-beta-n-2'];
    for (const id of variants) {
      const [os, n] = [id.split('-')[1], id.split('-')[3]];
      expect(log(project.root, runId, id)).toContain(`variant ${os}-${n}\n`);
      expect(project.jobStatus(id, runId).status).toBe(id === 'test-beta-n-1' ? 'failed' : 'passed');
    }
    expect(project.jobStatus('after', runId)).toMatchObject({
      status: 'skipped',
      message: 'needs "test-beta-n-1", which failed',
    });
    expect(result.stdout).toMatch(/test-beta-n-1 +failed +\d+(\.\d)? m?s +4 +host +exited with code 4/);
    expect(result.stdout).toContain(`Run ${runId}: failed (3 passed, 1 failed, 1 skipped)`);

    // A rerun of what did not pass names the failed variant by its id ("after" needs every variant, so they run
    // again with it, as any job's needs do).
    const rerun = await runVmplan(['rerun', runId, '--failed'], { cwd: project.root });
    expect(rerun.code).toBe(1);
    expect(rerun.stdout).toContain('that did not pass (test-beta-n-1, after)');
    expect(project.jobStatus('test-beta-n-1', project.latestRun()).status).toBe('failed');
  }, 60_000);

  it('starts a job that needs a matrix job only after every variant passed, and --only picks one variant', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  test:
    matrix: { n: [1, 2] }
    run: sleep \${{ matrix.n }}; echo slept \${{ matrix.n }}
  after: { run: echo after, needs: test }
`);
    const result = await runVmplan(['run', '--max-parallel', '4'], { cwd: project.root });
    expect(result.code, result.stderr).toBe(0);
    const runId = project.latestRun();
    const started = Date.parse(project.jobStatus('after', runId).startedAt!);
    for (const id of ['test-n-1', 'test-n-2'])
      expect(started).toBeGreaterThanOrEqual(Date.parse(project.jobStatus(id, runId).finishedAt!));
    expect(log(project.root, runId, 'test-n-2')).toContain('slept 2\n');

    const one = await runVmplan(['run', '--only', 'test (n 1)'], { cwd: project.root });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain('test-n-1');
    expect(one.stdout).not.toContain('test-n-2');
  }, 60_000);
});
