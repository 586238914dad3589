// Hostile case (issue 28, class 9b): a jobs file that was a link to a file outside the repository was read (errors
// then showed its keys and values), a link to /dev/zero grew the process to gigabytes, a FIFO hung it; and an
// untrusted run could ask for 500 jobs of 20 GB for a week each. Now the jobs file must be a regular file in the
// repository, checked on the open descriptor before a byte is read, and untrusted runs are capped.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decideTrust, untrustedPlanProblems } from '../../src/plan/trust.js';
import { REPO_ROOT, runVmplan, TSX_LOADER } from '../support/cli.js';
import { ActionHarness, makeWorkspace } from '../support/github/action-harness.js';
import { testProject } from '../support/project.js';

const outside = mkdtempSync(join(tmpdir(), 'vmplan-outside-'));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

const VALID = 'version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: "true" }\n';

describe('the jobs file is a regular file in the repository', () => {
  it('a link to a file outside the repository is refused, and nothing of that file is shown', async () => {
    const secretFile = join(outside, 'credentials.yml');
    writeFileSync(secretFile, 'aws_secret_access_key: AKIA-HOST-SECRET\n');
    const project = testProject(VALID);
    rmSync(join(project.root, '.github/vmplan.yml'));
    symlinkSync(secretFile, join(project.root, '.github/vmplan.yml'));
    const planned = await runVmplan(['plan', '--out', '-'], { cwd: project.root });
    expect(planned.code).toBe(2);
    expect(planned.stderr).toContain(
      '.github/vmplan.yml: cannot read the jobs file: it is a symbolic link to a file outside the repository',
    );
    expect(planned.stderr).not.toContain('aws_secret_access_key');
    expect(planned.stderr).not.toContain('AKIA-HOST-SECRET');
  });

  it('a link to /dev/zero is refused at once, in bounded memory', () => {
    const project = testProject(VALID);
    rmSync(join(project.root, '.github/vmplan.yml'));
    symlinkSync('/dev/zero', join(project.root, '.github/vmplan.yml'));
    // GNU time's %M: the process's peak resident memory in KiB. The old reader grew to gigabytes here.
    const result = spawnSync(
      '/usr/bin/time',
      [
        '-f',
        'maxrss=%M',
        process.execPath,
        '--import',
        TSX_LOADER,
        `${REPO_ROOT}src/cli.ts`,
        'plan',
        '--out',
        '-',
      ],
      { cwd: project.root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      '.github/vmplan.yml: cannot read the jobs file: it is a symbolic link to a file outside the repository',
    );
    const rss = Number(/maxrss=(\d+)/.exec(result.stderr)?.[1]);
    expect(rss).toBeLessThan(600 * 1024);
    // Named directly (outside any repository), the device is refused as what it is.
    const direct = spawnSync(
      process.execPath,
      ['--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`, 'plan', '/dev/zero', '--out', '-'],
      {
        cwd: outside,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(direct.stderr).toContain(
      '/dev/zero: cannot read the jobs file: is not a regular file (a character device)',
    );
  });

  it('a FIFO is refused without waiting for a writer', () => {
    const project = testProject(VALID);
    rmSync(join(project.root, '.github/vmplan.yml'));
    execFileSync('mkfifo', [join(project.root, '.github/vmplan.yml')]);
    // The old reader waited for a writer forever: the timeout ends it (status null).
    const planned = spawnSync(
      process.execPath,
      ['--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`, 'plan', '--out', '-'],
      { cwd: project.root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(planned.status).toBe(2);
    expect(planned.stderr).toContain(
      '.github/vmplan.yml: cannot read the jobs file: is not a regular file (a FIFO)',
    );
  });
});

/** A jobs file of `count` VM jobs on an image pinned by digest (planning asks no registry). */
function manyJobs(count: number, extra = ''): string {
  const jobs = Array.from({ length: count }, (_, n) => `  j${n}: { run: "true" }`).join('\n');
  return `version: 1
images:
  guest: { arch: arm64, oci: "ghcr.io/acme/guest@sha256:${'a'.repeat(64)}" }
defaults: { image: guest, executor: qemu }
jobs:
${jobs}
${extra}`;
}

describe('untrusted runs are capped', () => {
  it('a fork pull request asking for 500 jobs, 20 GiB and a week is refused, located, before anything runs', async () => {
    const workspace = makeWorkspace({
      '.github/vmplan.yml': manyJobs(
        499,
        '  greedy: { run: "true", memory: 20480, cpus: 32, timeout-minutes: 10080 }\n',
      ),
    });
    const harness = new ActionHarness(
      workspace.root,
      { 'github-token': 't' },
      {},
      {
        name: 'pull_request',
        payload: {
          pull_request: {
            head: { sha: 'f'.repeat(40), ref: 'feature', repo: { full_name: 'someone/widgets' } },
            base: { sha: 'e'.repeat(40), repo: { full_name: 'acme/widgets' } },
          },
        },
      },
    );
    const main = await harness.start('main').done;
    expect(main.code).toBe(1);
    const errors = main.commands
      .filter((c) => c.command === 'error')
      .map((c) => c.message)
      .join('\n');
    const reason = 'trust: auto (untrusted for a pull request from a fork)';
    expect(errors).toContain(`jobs: 500 jobs to run; ${reason} runs at most 50 (untrusted-max-jobs)`);
    expect(errors).toContain(
      `jobs.greedy.memory: asks for 20480 MiB; ${reason} allows at most 8192 MiB (untrusted-max-memory)`,
    );
    expect(errors).toContain(
      `jobs.greedy.cpus: asks for 32 CPUs; ${reason} allows at most 4 (untrusted-max-cpus)`,
    );
    expect(errors).toContain(
      `jobs.greedy.timeout-minutes: asks for 10080 minutes; ${reason} allows at most 120 minutes (untrusted-max-timeout)`,
    );
    expect(main.stdout).not.toContain('▶');
  });

  it('the operator sets the caps: inputs and flags in the units people write, and a bad value is named', async () => {
    const policy = decideTrust(
      'untrusted',
      { event: null, forkPullRequest: false },
      {
        imagePaths: [],
        caps: { maxJobs: 1000, maxMemoryMiB: 32768, maxCpus: 32, maxTimeoutMinutes: 10080 },
      },
    );
    const plan = {
      source: { jobsFile: '.github/vmplan.yml' },
      workspace: { exclude: [], mode: 'overlay' },
      nodes: Array.from({ length: 500 }, (_, n) => ({
        kind: 'execute',
        job: `j${n}`,
        secrets: [],
        executor: 'qemu',
        memory: 20480,
        cpus: 32,
        timeoutMinutes: 10080,
      })),
    } as never;
    expect(untrustedPlanProblems(plan, policy).problems).toEqual([]);
    const project = testProject(manyJobs(3));
    const bad = await runVmplan(['run', '--trust', 'untrusted', '--untrusted-max-memory', 'lots'], {
      cwd: project.root,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--untrusted-max-memory: expected a size such as 8GiB or 4096 (MiB), found "lots"',
    );
    const capped = await runVmplan(
      [
        'run',
        '--trust',
        'untrusted',
        '--untrusted-max-jobs',
        '2',
        '--state-dir',
        join(project.root, '.state'),
      ],
      {
        cwd: project.root,
      },
    );
    expect(capped.code).toBe(2);
    expect(capped.stderr).toContain(
      'jobs: 3 jobs to run; trust: untrusted runs at most 2 (untrusted-max-jobs)',
    );
  });
});
