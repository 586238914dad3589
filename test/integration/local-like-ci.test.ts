// A local run must not pass where CI fails: a host job's workspace has nothing of the user's checkout above it, and
// every job sees a git checkout of the plan's commit as CI gives one. Observed from inside real host jobs.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

describe('a local run behaves like CI', () => {
  it("finds no node_modules, package.json or .git of the user's checkout above a host job's workspace", async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  undeclared:
    run: node -e "require('leftpad')"
  looks-up:
    run: |
      dir=$(cd .. && pwd)
      while :; do
        for marker in node_modules package.json .git; do
          if [ -e "$dir/$marker" ]; then echo "FOUND $dir/$marker"; fi
        done
        [ "$dir" = / ] && break
        dir=$(dirname "$dir")
      done
      echo "workspace $VMPLAN_WORKSPACE"
      false
`);
    project.write('.gitignore', 'node_modules/\n');
    project.write('package.json', '{"name": "app", "dependencies": {}}\n');
    // Installed by hand, never declared: CI would not have it.
    project.write('node_modules/leftpad/index.js', 'module.exports = () => "padded";\n');
    git(project.root, 'add', '.');
    git(project.root, 'commit', '-qm', 'app');
    const result = await runVmplan(['run', '--no-fail-fast'], { cwd: project.root });
    expect(result.code).toBe(1);
    const run = project.latestRun();
    const log = (job: string) =>
      readFileSync(join(project.root, '.vmplan/runs', run, 'jobs', job, 'host.log'), 'utf8');
    expect(project.jobStatus('undeclared').status).toBe('failed');
    expect(log('undeclared')).toContain("Cannot find module 'leftpad'");
    expect(log('looks-up')).not.toContain('FOUND');
    expect(log('looks-up')).toMatch(/workspace \/\S+/);
    // The failed job's workspace is kept in its folder, to look into, and nothing is left where it ran.
    const ranIn = /workspace (\/\S+)/.exec(log('looks-up'))?.[1] ?? '';
    expect(existsSync(ranIn)).toBe(false);
    expect(existsSync(join(project.root, '.vmplan/runs', run, 'jobs/looks-up/workspace/package.json'))).toBe(
      true,
    );
  });

  it("gives jobs a git checkout of the plan's commit, with the working tree's changes uncommitted", async () => {
    const project = testProject(`version: 1
jobs:
  checkout:
    executor: host
    run: |
      echo "head $(git rev-parse HEAD)"
      echo "top $(git rev-parse --show-toplevel)"
      echo "subject $(git log -1 --format=%s)"
      git status --porcelain | sed 's/^/status /'
`);
    project.write('src/app.js', 'one\n');
    git(project.root, 'add', '.');
    git(project.root, 'commit', '-qm', 'the commit CI checks out');
    project.write('src/app.js', 'two, not committed\n');
    const head = git(project.root, 'rev-parse', 'HEAD');
    const result = await runVmplan(['run'], { cwd: project.root });
    expect(result.code, result.stderr).toBe(0);
    const log = readFileSync(
      join(project.root, '.vmplan/runs', project.latestRun(), 'jobs/checkout/host.log'),
      'utf8',
    );
    expect(log).toContain(`head ${head}`);
    expect(log).toContain('subject the commit CI checks out');
    expect(log).toMatch(/top \/\S+/);
    expect(log).not.toContain(`top ${project.root}\n`);
    expect(log.split('\n').filter((line) => line.startsWith('status '))).toEqual(['status  M src/app.js']);
  });
});

describe('rerunning after a fix', () => {
  it('reruns exactly what ran by default, and the failed jobs on the working tree as it is now with --current', async () => {
    const project = testProject(`version: 1
defaults: { executor: host }
jobs:
  unit: { run: grep -q fixed src/code.txt }
  lint: { run: 'true' }
`);
    project.write('src/code.txt', 'broken\n');
    git(project.root, 'add', '.');
    git(project.root, 'commit', '-qm', 'broken');
    const first = await runVmplan(['run', '--no-fail-fast'], { cwd: project.root });
    expect(first.code).toBe(1);
    const failedRun = project.latestRun();
    project.write('src/code.txt', 'fixed\n');

    // The run as it ran: its snapshot, so the fix is not in it, and it says how to get the fix in.
    const exact = await runVmplan(['rerun', 'latest', '--failed'], { cwd: project.root });
    expect(exact.code).toBe(1);
    expect(exact.stdout).toContain(
      `Rerunning the jobs of run ${failedRun} that did not pass (unit) exactly as it ran: its plan on its snapshot`,
    );
    expect(exact.stdout).toContain('add --current');

    const current = await runVmplan(['rerun', failedRun, '--failed', '--current'], { cwd: project.root });
    expect(current.code, current.stdout + current.stderr).toBe(0);
    expect(current.stdout).toContain(
      `Rerunning the jobs of run ${failedRun} that did not pass (unit) on the working tree as it is now: a new snapshot`,
    );
    const rerun = project.latestRun();
    expect(project.state(`runs/${rerun}/run.json`)).toMatchObject({
      rerunOf: failedRun,
      snapshotRun: rerun,
      status: 'passed',
    });
    const plan = project.state<{ nodes: { id: string }[] }>(`runs/${rerun}/plan.json`);
    expect(plan.nodes.map((node) => node.id)).toEqual(['job:unit']);
    // Passing after a fix is not flakiness: the code changed between the runs.
    const results = project.state<{ jobs: Record<string, { flaky: boolean; earlier: unknown }> }>(
      `runs/${rerun}/results.json`,
    );
    expect(results.jobs.unit).toMatchObject({ flaky: false, earlier: { run: failedRun, status: 'failed' } });
    expect(current.stdout).not.toMatch(/flaky/i);
  });
});
