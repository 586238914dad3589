import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { findVirtiofsd } from '../../src/executors/qemu/vm.js';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';
import { testGuest, testImageYaml, VFKIT_SHIM } from '../support/vm.js';

// Guarantee "no privileged file on the host, even while the job runs": a root guest makes a block device with
// the host root disk's numbers, and setuid/setgid copies of a binary, in every share it can write (the job
// share, a cache, and the workspace share it remounts read-write), then waits. The host looks while it waits.

const guest = testGuest();
const JOB_SHARE = '/run/vmplan-root/job';
const PLANT = ['disk', 'chr', 'suid', 'sgid'] as const;

/** The guest script: plant in each folder, say so, wait for the host's go-ahead. */
function plantScript(folders: string[]): string {
  const plant = folders
    .map(
      (folder) => `  mkdir -p ${folder}
  mknod ${folder}/disk b 254 0 && chmod 666 ${folder}/disk
  mknod ${folder}/chr c 1 3 && chmod 666 ${folder}/chr
  cp /workspace/tools/id ${folder}/suid && chmod 4755 ${folder}/suid
  cp /workspace/tools/id ${folder}/sgid && chmod 2755 ${folder}/sgid
  ls -ln ${folder}`,
    )
    .join('\n');
  return `    run: |
      set +e
      mount -o remount,rw /run/vmplan-root/work
${plant.replaceAll(/^ {2}/gm, '      ')}
      sync
      touch ${JOB_SHARE}/ready
      while [ ! -e ${JOB_SHARE}/go ]; do sleep 0.1; done
      exit 3
`;
}

/**
 * What a planted name gives a host user, if anything: a device node the host can open, or a set-id program
 * that runs with another user's ids for `nobody` (the host's own \`id\`, which the guest copied from the workspace
 * and marked). Run through an open descriptor, so the folders on the way (the runner's) do not stop nobody.
 */
function privileged(path: string): string | undefined {
  const info = lstatSync(path, { throwIfNoEntry: false });
  if (info === undefined) return undefined;
  if (info.isBlockDevice() || info.isCharacterDevice()) {
    try {
      closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW));
      return `an openable device ${info.rdev.toString(16)}`;
    } catch (error) {
      // EACCES: a nodev mount. Anything else (EPERM: this machine's device cgroup) says nothing about vmplan.
      if ((error as NodeJS.ErrnoException).code === 'EACCES') return undefined;
      return `a device ${info.rdev.toString(16)} on a mount that allows devices`;
    }
  }
  if (!info.isFile() || (info.mode & 0o6000) === 0) return undefined;
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const ids = ['-u', '-g'].map((flag) =>
      execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/dev/fd/3', flag], {
        stdio: ['ignore', 'pipe', 'pipe', fd],
        encoding: 'utf8',
      }).trim(),
    );
    return ids.every((id) => id === '65534') ? undefined : `runs as ${ids.join(':')} for nobody`;
  } finally {
    closeSync(fd);
  }
}

/** Waits (without a wall-clock guess: until the run ends) for the guest's marker in any run's job share. */
async function waitForMarker(
  root: string,
  job: string,
  running: Promise<unknown>,
): Promise<string | undefined> {
  let ended = false;
  void running.finally(() => {
    ended = true;
  });
  while (!ended) {
    const runs = existsSync(join(root, '.vmplan/runs')) ? readdirSync(join(root, '.vmplan/runs')) : [];
    for (const run of runs) {
      const share = join(root, '.vmplan/runs', run, 'jobs', job, 'guest');
      if (existsSync(join(share, 'ready'))) return join(root, '.vmplan/runs', run, 'jobs', job);
    }
    await sleep(50);
  }
  return undefined;
}

describe.skipIf(guest === undefined)('a root guest planting privileged files in its shares', () => {
  for (const shares of ['virtiofs', '9p'] as const) {
    it.skipIf(shares === 'virtiofs' && findVirtiofsd() === undefined)(
      `makes none on the host while the job runs, over ${shares}`,
      async () => {
        const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: qemu }
jobs:
  plant:
    run-as-root: true
    caches: { kept: /home/vmplan/kept }
${plantScript([JOB_SHARE, '/home/vmplan/kept', '/run/vmplan-root/work'])}`);
        mkdirSync(join(project.root, 'tools'));
        copyFileSync('/usr/bin/id', join(project.root, 'tools/id'));
        const running = runVmplan(['run'], {
          cwd: project.root,
          env: shares === '9p' ? { VMPLAN_QEMU_SHARES: '9p' } : {},
        });
        const jobDir = await waitForMarker(project.root, 'plant', running);
        if (jobDir === undefined) {
          const result = await running;
          expect.fail(`the guest never said it was ready:\n${result.stdout}\n${result.stderr}`);
        }
        const cache = join(project.root, '.vmplan/cache/shared/local/trusted/kept');
        const view = join(jobDir, 'snapshot-view');
        const found: string[] = [];
        for (const folder of [join(jobDir, 'guest'), cache, view])
          for (const name of PLANT) {
            const what = privileged(join(folder, name));
            if (what !== undefined) found.push(`${join(folder, name)}: ${what}`);
          }
        writeFileSync(join(jobDir, 'guest', 'go'), '');
        const result = await running;
        expect(found).toEqual([]);
        expect(result.code, result.stdout + result.stderr).toBe(1);
        expect(project.jobStatus('plant')).toMatchObject({ status: 'failed', exitCode: 3 });
        // After the job, not even inert ones: the sweep cleared every set-id bit and device node.
        for (const folder of [join(jobDir, 'guest'), cache])
          for (const name of PLANT) {
            const info = lstatSync(join(folder, name), { throwIfNoEntry: false });
            if (info === undefined) continue;
            expect(info.isFile() && (info.mode & 0o6000) === 0, join(folder, name)).toBe(true);
          }
        expect(readFileSync(join(jobDir, 'guest.log'), 'utf8')).toContain('suid');
      },
      300_000,
    );
  }

  it('are swept from its cache even when bringing its artifacts back fails', async () => {
    const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: vfkit }
jobs:
  deep:
    run-as-root: true
    caches: { kept: /home/vmplan/kept }
    artifacts: [deep/**]
    run: |
      cp /bin/busybox /home/vmplan/kept/suid && chmod 4755 /home/vmplan/kept/suid
      mkfifo /home/vmplan/kept/pipe
      # A tree deeper than a host path can name: the host's collection fails on it.
      name=$(printf 'a%.0s' $(seq 1 200))
      cd ${JOB_SHARE}/artifacts 2>/dev/null || { mkdir -p ${JOB_SHARE}/artifacts && cd ${JOB_SHARE}/artifacts; }
      mkdir deep && cd deep
      for i in $(seq 1 25); do mkdir $name && cd $name; done
      echo deep > file.txt
`);
    const result = await runVmplan(['run', '--vfkit-path', VFKIT_SHIM], { cwd: project.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(project.jobStatus('deep').message).toMatch(/ENAMETOOLONG/);
    const cache = join(project.root, '.vmplan/cache/shared/local/trusted/kept');
    expect(readdirSync(cache).sort()).toEqual(['suid']);
    expect(lstatSync(join(cache, 'suid')).mode & 0o7777).toBe(0o755);
  }, 300_000);
});
