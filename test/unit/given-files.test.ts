// Prebuilt image files are checked where the run happens (docs/images.md): a relative path is the repository's,
// wherever vmplan was started from, and only a regular file boots. In process, on real files.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { givenImageFileProblems } from '../../src/images/given-files.js';
import { buildPlan } from '../../src/plan/build.js';
import { context, jobs } from '../support/jobs.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-given-files-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const plan = (image: string) =>
  buildPlan(
    jobs(
      `version: 1\nimages:\n  guest: ${image}\njobs:\n  unit: { run: 'true', image: guest, executor: qemu }\n`,
    ),
    context(),
  );

describe('prebuilt image files, checked before a run', () => {
  it('resolves a relative path against the repository, not the folder vmplan was started in', () => {
    const root = join(folder, 'repo');
    mkdirSync(join(root, 'img'), { recursive: true });
    writeFileSync(join(root, 'img/kernel'), 'kernel');
    writeFileSync(join(root, 'img/initrd'), 'initrd');
    writeFileSync(join(root, 'img/disk'), 'disk');
    // The test runs elsewhere (the project's root), where img/ does not exist.
    expect(process.cwd()).not.toBe(root);
    expect(
      givenImageFileProblems(
        plan('{ arch: arm64, kernel: img/kernel, initrd: img/initrd, disk: img/disk }'),
        root,
      ),
    ).toEqual([]);
    expect(
      givenImageFileProblems(plan('{ arch: arm64, kernel: img/kernel, initrd: img/initrd }'), folder),
    ).toEqual([
      {
        file: '.github/vmplan.yml',
        path: ['images', 'guest', 'kernel'],
        message: `the kernel of image "guest": ${folder}/img/kernel does not exist`,
      },
      {
        file: '.github/vmplan.yml',
        path: ['images', 'guest', 'initrd'],
        message: `the initrd of image "guest": ${folder}/img/initrd does not exist`,
      },
    ]);
  });

  it('takes only a regular file: a folder, a named pipe and a missing disk are each named', () => {
    const root = join(folder, 'odd');
    mkdirSync(join(root, 'kernel-folder'), { recursive: true });
    execFileSync('mkfifo', [join(root, 'initrd-pipe')]);
    const problems = givenImageFileProblems(
      plan(`{ arch: arm64, kernel: kernel-folder, initrd: initrd-pipe, disk: ${root}/no-disk }`),
      root,
    );
    expect(problems.map((problem) => [(problem.path ?? []).join('.'), problem.message])).toEqual([
      ['images.guest.kernel', `the kernel of image "guest": ${root}/kernel-folder is not a regular file`],
      ['images.guest.initrd', `the initrd of image "guest": ${root}/initrd-pipe is not a regular file`],
      ['images.guest.disk', `the disk of image "guest": ${root}/no-disk does not exist`],
    ]);
  });
});
