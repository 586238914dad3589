import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runVmplan, TSX_LOADER, testCacheDir } from '../support/cli.js';
import { processesWith } from '../support/processes.js';
import { testProject } from '../support/project.js';
import { onTerminal } from '../support/pty.js';
import { testGuest, testImageYaml, VFKIT_SHIM } from '../support/vm.js';

const guest = testGuest();
const SECRET = 'shell-secret-4f1c';

/** A project whose job fails after changing its (writable) workspace; the job names a secret. */
function failingProject(executor: 'qemu' | 'vfkit') {
  const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: ${executor} }
jobs:
  build:
    run: echo "changed by the job" > changed.txt && rm gone.txt && echo "token=$TOKEN" && exit 3
    env: { GREETING: hello-from-env }
    secrets: [TOKEN]
    writable-workspace: true
`);
  project.write('marker.txt', 'from the snapshot\n');
  project.write('gone.txt', 'deleted by the job\n');
  return project;
}

/** A project whose qemu job `build` (its YAML body `job`) boots a root disk of 1 MiB of zeros in a folder of its own. */
function diskProject(job: string) {
  const disks = mkdtempSync(join(tmpdir(), 'vmplan-shell-disk-'));
  const image = join(disks, 'disk.img');
  writeFileSync(image, Buffer.alloc(1024 * 1024));
  const project = testProject(`version: 1
images:
  tiny: { arch: arm64, kernel: ${guest}/kernel, initrd: ${guest}/initrd, disk: ${image}, cpus: 1, memory: 512, cmdline: "quiet cryptomgr.notests" }
defaults: { image: tiny, executor: qemu }
jobs:
  build:
${job}`);
  return { disks, image, project };
}

/** The newest run's folder. */
function latestRunDir(root: string): string {
  return join(root, '.vmplan/runs', readdirSync(join(root, '.vmplan/runs')).sort().pop()!);
}

/**
 * Runs `vmplan ARGS` on a pseudo-terminal until the shell in the failed job's VM opens, types into the guest,
 * leaves it, and checks what the machine shows: the VM ran while the shell was open and nothing of it stays
 * (processes, the shell's folder, the job's record as it was). Returns vmplan's exit code.
 */
async function shellInto(root: string, args: string[], vmProcess: RegExp): Promise<number | null> {
  const session = onTerminal(
    [process.execPath, '--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`, ...args],
    { TOKEN: SECRET, VMPLAN_CACHE_DIR: testCacheDir(args, root), CI: '', GITHUB_ACTIONS: '' },
    root,
  );
  let runDir: string | undefined;
  try {
    await session.waitFor('vmplan-shell$ ');
    runDir = latestRunDir(root);
    const jobRecord = readFileSync(join(runDir, 'jobs/build/status.json'), 'utf8');
    // The VM runs, from the run's folder, while the shell is open.
    expect(processesWith(runDir).filter((p) => vmProcess.test(p.command)).length).toBeGreaterThan(0);
    const mark = session.screen().length;
    session.type(
      'cat marker.txt changed.txt; ls gone.txt; id -u; echo "secret=[$TOKEN]"; env | grep -c shell-secret; echo "env=$GREETING"; echo DONE-$((40+2))\n',
    );
    await session.waitFor('DONE-42', mark);
    const shown = session.screen().slice(mark);
    expect(shown).toContain('from the snapshot\nchanged by the job\n');
    expect(shown).toMatch(/gone\.txt: No such file or directory/);
    expect(shown).toMatch(/\n1000\n/);
    expect(shown).toContain('secret=[]\n0\n');
    expect(shown).toContain('env=hello-from-env\n');
    expect(shown).not.toContain(SECRET);
    // Ctrl-C goes to the guest: it stops the command running there, and the shell stays.
    const before = session.screen().length;
    session.type('echo STARTED-$((2+3)); sleep 600\n');
    await session.waitFor('STARTED-5', before);
    session.type('\x03');
    session.type('echo AFTER-$((1+1))\n');
    await session.waitFor('AFTER-2', before);
    session.type('exit\n');
    const code = await session.exited;
    // Gone: the VM and its helpers, and the shell's temporary folder; the run's records are as they were.
    expect(processesWith(runDir)).toEqual([]);
    expect(readdirSync(runDir).filter((name) => name.startsWith('shell-'))).toEqual([]);
    expect(readFileSync(join(runDir, 'jobs/build/status.json'), 'utf8')).toBe(jobRecord);
    return code;
  } finally {
    if (runDir !== undefined && processesWith(runDir).length > 0) process.kill(session.pid, 'SIGKILL');
  }
}

describe.skipIf(guest === undefined)('vmplan shell RUN JOB', () => {
  it('opens a shell in a QEMU VM of a failed job: its workspace, user and env, no secret; exit cleans up', async () => {
    const project = failingProject('qemu');
    const run = await runVmplan(['run'], { cwd: project.root, env: { TOKEN: SECRET } });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(await shellInto(project.root, ['shell', 'latest', 'build'], /qemu-system/)).toBe(0);

    // Without a terminal, or in GitHub Actions, no shell: a clear refusal and nothing boots.
    const piped = await runVmplan(['shell', 'latest', 'build'], { cwd: project.root });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('needs an interactive terminal');
    const unknown = await runVmplan(['shell', 'latest', 'buld'], { cwd: project.root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no job "buld".*build/);
  });

  it('run --shell-on-failure opens the shell in the failed job once the run ends, and keeps its exit code', async () => {
    const project = failingProject('qemu');
    expect(await shellInto(project.root, ['run', '--shell-on-failure'], /qemu-system/)).toBe(1);
    expect(project.jobStatus('build')).toMatchObject({ status: 'failed', exitCode: 3 });

    // Refused before anything runs: without a terminal, in GitHub Actions, with --json.
    const runs = readdirSync(join(project.root, '.vmplan/runs')).length;
    for (const [env, args, message] of [
      [{}, [], 'needs an interactive terminal'],
      [{ GITHUB_ACTIONS: 'true' }, [], 'never offered in GitHub Actions'],
      [{}, ['--json'], 'cannot be combined with --json'],
    ] as const) {
      const refused = await runVmplan(['run', '--shell-on-failure', ...args], {
        cwd: project.root,
        env: { TOKEN: SECRET, ...env },
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr + refused.stdout).toContain(message);
    }
    expect(readdirSync(join(project.root, '.vmplan/runs'))).toHaveLength(runs);
  });

  it("boots a clone of the failed job's kept root disk: the disk as the job left it, untouched by the shell", async () => {
    const { disks, image, project } = diskProject(
      '    run: printf job-was-here | dd of=/dev/vda conv=notrunc 2>/dev/null && sync && exit 4\n    run-as-root: true\n',
    );
    try {
      const run = await runVmplan(['run', '--keep-failed-disks'], { cwd: project.root });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      const runDir = latestRunDir(project.root);
      const kept = join(runDir, 'jobs/build/disk.img');
      expect(readFileSync(kept).subarray(0, 12).toString()).toBe('job-was-here');
      const args = ['shell', 'latest', 'build'];
      const session = onTerminal(
        [process.execPath, '--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`, ...args],
        { VMPLAN_CACHE_DIR: testCacheDir(args, project.root), CI: '', GITHUB_ACTIONS: '' },
        project.root,
      );
      try {
        await session.waitFor('vmplan-shell$ ');
        const mark = session.screen().length;
        session.type(
          'head -c 12 /dev/vda; echo; printf shell-wrote | dd of=/dev/vda conv=notrunc; sync; echo DONE-$((6*7))\n',
        );
        await session.waitFor('DONE-42', mark);
        expect(session.screen().slice(mark)).toContain('\njob-was-here\n');
        session.type('exit\n');
        expect(await session.exited).toBe(0);
      } finally {
        if (processesWith(runDir).length > 0) process.kill(session.pid, 'SIGKILL');
      }
      // The shell wrote into its own clone: the kept disk and the image are as they were.
      expect(readFileSync(kept).subarray(0, 12).toString()).toBe('job-was-here');
      expect(readFileSync(image).equals(Buffer.alloc(1024 * 1024))).toBe(true);
      expect(processesWith(runDir)).toEqual([]);
    } finally {
      rmSync(disks, { recursive: true, force: true });
    }
  });

  it('run --shell-on-failure stopped by Ctrl-C opens no shell and leaves no root disk it kept for one', async () => {
    const { disks, image, project } = diskProject('    run: sleep 600\n');
    const args = ['run', '--shell-on-failure'];
    const session = onTerminal(
      [process.execPath, '--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`, ...args],
      { VMPLAN_CACHE_DIR: testCacheDir(args, project.root), CI: '', GITHUB_ACTIONS: '' },
      project.root,
    );
    let runDir: string | undefined;
    try {
      // The job's VM is up, booted from its own clone of the root disk: then Ctrl-C, as a user would.
      for (;;) {
        const runs = join(project.root, '.vmplan/runs');
        runDir = existsSync(runs) && readdirSync(runs).length > 0 ? latestRunDir(project.root) : undefined;
        if (runDir !== undefined && processesWith(runDir).some((p) => /qemu-system/.test(p.command))) break;
        const ended = await Promise.race([session.exited.then(() => true), delay(50).then(() => false)]);
        if (ended) throw new Error(`vmplan ended before the job's VM started:\n${session.screen()}`);
      }
      session.type('\x03');
      expect(await session.exited).toBe(130);
      expect(session.screen()).not.toContain('vmplan-shell$ ');
      expect(processesWith(runDir)).toEqual([]);
      expect(readdirSync(join(runDir, 'jobs/build'))).not.toContain('disk.img');
      expect(readFileSync(image).equals(Buffer.alloc(1024 * 1024))).toBe(true);
    } finally {
      if (runDir !== undefined && processesWith(runDir).length > 0) process.kill(session.pid, 'SIGKILL');
      rmSync(disks, { recursive: true, force: true });
    }
  });

  it('opens a shell through vfkit (virtio-serial,stdio; the test shim)', async () => {
    const project = failingProject('vfkit');
    const run = await runVmplan(['run', '--vfkit-path', VFKIT_SHIM], {
      cwd: project.root,
      env: { TOKEN: SECRET },
    });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const args = ['shell', 'latest', 'build', '--vfkit-path', VFKIT_SHIM];
    expect(await shellInto(project.root, args, /vfkit-shim|qemu-system/)).toBe(0);
  });
});
