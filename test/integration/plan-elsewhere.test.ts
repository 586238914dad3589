// Reproducing a CI run anywhere: `vmplan run --plan plan.json` of a plan made on another machine, for another
// executor, at another commit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

// The image folder of the machine that plans: there while planning, gone where the plan runs on the host.
const images = mkdtempSync(join(tmpdir(), 'vmplan-elsewhere-images-'));
writeFileSync(join(images, 'kernel'), 'kernel\n');
writeFileSync(join(images, 'initrd'), 'initrd\n');

const YAML = `version: 1
images:
  guest: { arch: arm64, kernel: ${images}/kernel, initrd: ${images}/initrd }
defaults: { image: guest, executor: vfkit }
jobs:
  build: { run: echo "built on $(uname -s)" }
  test: { run: echo tested, needs: build }
`;

describe('vmplan run --plan made elsewhere', () => {
  it('runs a plan made for vfkit on the host with --executor host, saying what changed and how the checkout differs', async () => {
    const project = testProject(YAML);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
        cwd: project.root,
        encoding: 'utf8',
      }).trim();
    git('add', '-A');
    git('commit', '-qm', 'jobs');
    const planned = await runVmplan(['plan', '--executor', 'vfkit'], { cwd: project.root });
    expect(planned.code, planned.stderr).toBe(0);
    const made = JSON.parse(readFileSync(join(project.root, '.vmplan/plan.json'), 'utf8'));
    // This machine has no such image files: a run on the host boots no image, so it needs none.
    rmSync(images, { recursive: true, force: true });
    // The checkout moves on: a new commit that edits the jobs file.
    project.write('.github/vmplan.yml', YAML.replace('echo tested', 'echo tested again'));
    git('commit', '-qam', 'edit');

    const result = await runVmplan(['run', '--plan', '.vmplan/plan.json', '--executor', 'host'], {
      cwd: project.root,
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `vmplan: warning: the plan was made at commit ${made.source.commit.slice(0, 12)}; this checkout is at ${git('rev-parse', 'HEAD').slice(0, 12)}`,
    );
    expect(result.stderr).toMatch(
      /vmplan: warning: \.github\/vmplan\.yml changed since the plan was made \(sha256 [0-9a-f]{12}, now [0-9a-f]{12}\): the plan runs the jobs as they were/,
    );
    expect(result.stderr).toContain(
      'vmplan: plan made for vfkit: 2 VM job(s) (build, test) run on the host instead, without a VM',
    );
    expect(result.stdout).toContain('built on Linux');
    // The plan's jobs, not the edited file's.
    expect(result.stdout).toMatch(/^\[test\] tested$/m);
    expect(result.stdout).not.toContain('tested again');
  });

  it('is quiet when the checkout is the plan’s, and refuses an executor that does not exist', async () => {
    const project = testProject(YAML.replace('executor: vfkit', 'executor: host'));
    await runVmplan(['plan'], { cwd: project.root });
    const same = await runVmplan(['run', '--plan', '.vmplan/plan.json', '--executor', 'host'], {
      cwd: project.root,
    });
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).not.toContain('warning');
    expect(same.stderr).toContain('--executor host: the plan already runs every job so');
    const bad = await runVmplan(['run', '--plan', '.vmplan/plan.json', '--executor', 'docker'], {
      cwd: project.root,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--executor.*docker/);
  });
});
