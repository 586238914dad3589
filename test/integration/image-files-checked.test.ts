// Prebuilt image files that are not there are bad input: `validate`, `plan` and `run` exit 2 with the jobs file,
// the image, the field and the path as it resolves, before anything runs (no run record, no job).
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

/** A project whose VM job boots `guest`, next to a host job that leaves a marker if anything ran. */
function project(guest: string) {
  const created = testProject(`version: 1
images:
  guest: ${guest}
jobs:
  on-host: { run: touch ran, executor: host }
  in-vm: { run: 'true', image: guest, executor: qemu }
`);
  return created;
}

/** Nothing ran: no marker, no run folder. */
function nothingRan(root: string): void {
  expect(existsSync(join(root, 'ran'))).toBe(false);
  expect(existsSync(join(root, '.vmplan/runs')) ? readdirRuns(root) : []).toEqual([]);
}

function readdirRuns(root: string): string[] {
  return readdirSync(join(root, '.vmplan/runs'));
}

describe('prebuilt image files that are not there', () => {
  it('validate and plan name the file, image, field and resolved path, exit 2 and write no plan', async () => {
    const p = project('{ arch: arm64, kernel: img/kernel, initrd: img/initrd }');
    p.write('img/initrd', 'initrd\n');
    const validate = await runVmplan(['validate'], { cwd: p.root });
    expect([validate.code, validate.stderr]).toEqual([
      2,
      `.github/vmplan.yml:3:33 images.guest.kernel: the kernel of image "guest": ${p.root}/img/kernel does not exist\n`,
    ]);
    // A folder where a file belongs.
    mkdirSync(join(p.root, 'img/kernel'));
    const plan = await runVmplan(['plan'], { cwd: p.root });
    expect([plan.code, plan.stderr]).toEqual([
      2,
      `.github/vmplan.yml:3:33 images.guest.kernel: the kernel of image "guest": ${p.root}/img/kernel is not a regular file\n`,
    ]);
    expect(existsSync(join(p.root, '.vmplan/plan.json'))).toBe(false);
    // With the files there, both pass.
    rmSync(join(p.root, 'img/kernel'), { recursive: true });
    p.write('img/kernel', 'kernel\n');
    expect((await runVmplan(['validate'], { cwd: p.root })).code).toBe(0);
    expect((await runVmplan(['plan'], { cwd: p.root })).code).toBe(0);
  });

  it('run FILE refuses a missing absolute disk before anything runs', async () => {
    const p = project(
      '{ arch: arm64, kernel: img/kernel, initrd: img/initrd, disk: /nonexistent/vmplan/disk.img }',
    );
    p.write('img/kernel', 'kernel\n');
    p.write('img/initrd', 'initrd\n');
    const run = await runVmplan(['run'], { cwd: p.root });
    expect([run.code, run.stderr]).toEqual([
      2,
      '.github/vmplan.yml:3:71 images.guest.disk: the disk of image "guest": /nonexistent/vmplan/disk.img does not exist\n',
    ]);
    nothingRan(p.root);
  });

  it('run --plan looks for the files where it runs: a plan made where they were is refused where they are not', async () => {
    const p = project('{ arch: arm64, kernel: img/kernel, initrd: img/initrd }');
    p.write('img/kernel', 'kernel\n');
    p.write('img/initrd', 'initrd\n');
    expect((await runVmplan(['plan'], { cwd: p.root })).code).toBe(0);
    rmSync(join(p.root, 'img'), { recursive: true });
    const run = await runVmplan(['run', '--plan', '.vmplan/plan.json'], { cwd: p.root });
    expect([run.code, run.stderr]).toEqual([
      2,
      `.github/vmplan.yml images.guest.kernel: the kernel of image "guest": ${p.root}/img/kernel does not exist\n` +
        `.github/vmplan.yml images.guest.initrd: the initrd of image "guest": ${p.root}/img/initrd does not exist\n` +
        '2 problems found; nothing was run.\n',
    ]);
    nothingRan(p.root);
  });

  it('a path climbing out of the repository is refused by the schema; build and oci images are not files', async () => {
    const out = project('{ arch: arm64, kernel: ../kernel, initrd: img/initrd }');
    const refused = await runVmplan(['validate'], { cwd: out.root });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'images.guest.kernel: expected an absolute path or a path inside the repository, found "../kernel" (".." is not allowed)',
    );
    const built = project(
      `{ arch: arm64, build: "exit 1" }\n  pulled: { arch: arm64, oci: "localhost:1/guest@sha256:${'0'.repeat(64)}" }`,
    );
    const valid = await runVmplan(['validate'], { cwd: built.root });
    expect([valid.code, valid.stderr]).toEqual([0, '']);
  });
});
