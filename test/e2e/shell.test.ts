import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * Opens `vmplan shell latest build` on a pseudo-terminal, types into the guest, leaves it, and checks what the
 * machine shows: the VM ran while the shell was open and nothing of it stays (processes, the shell's folder).
 */
async function shellInto(root: string, extra: string[], vmProcess: RegExp): Promise<void> {
  const runDir = join(root, '.vmplan/runs', readdirSync(join(root, '.vmplan/runs')).sort().pop()!);
  const jobRecord = readFileSync(join(runDir, 'jobs/build/status.json'), 'utf8');
  const args = ['shell', 'latest', 'build', ...extra];
  const session = onTerminal(
    [process.execPath, '--import', TSX_LOADER, `${REPO_ROOT}src/cli.ts`, ...args],
    { TOKEN: SECRET, VMPLAN_CACHE_DIR: testCacheDir(args, root), CI: '', GITHUB_ACTIONS: '' },
    root,
  );
  try {
    await session.waitFor('vmplan-shell$ ');
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
    session.type('exit\n');
    expect(await session.exited).toBe(0);
  } finally {
    if (processesWith(runDir).length > 0) process.kill(session.pid, 'SIGKILL');
  }
  // Gone: the VM and its helpers, and the shell's temporary folder; the run's records are as they were.
  expect(processesWith(runDir)).toEqual([]);
  expect(readdirSync(runDir).filter((name) => name.startsWith('shell-'))).toEqual([]);
  expect(readFileSync(join(runDir, 'jobs/build/status.json'), 'utf8')).toBe(jobRecord);
}

describe.skipIf(guest === undefined)('vmplan shell RUN JOB', () => {
  it('opens a shell in a QEMU VM of a failed job: its workspace, user and env, no secret; exit cleans up', async () => {
    const project = failingProject('qemu');
    const run = await runVmplan(['run'], { cwd: project.root, env: { TOKEN: SECRET } });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    await shellInto(project.root, [], /qemu-system/);

    // Without a terminal, or in GitHub Actions, no shell: a clear refusal and nothing boots.
    const piped = await runVmplan(['shell', 'latest', 'build'], { cwd: project.root });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('needs an interactive terminal');
    const unknown = await runVmplan(['shell', 'latest', 'buld'], { cwd: project.root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no job "buld".*build/);
  });

  it('opens a shell through vfkit (virtio-serial,stdio; the test shim)', async () => {
    const project = failingProject('vfkit');
    const run = await runVmplan(['run', '--vfkit-path', VFKIT_SHIM], {
      cwd: project.root,
      env: { TOKEN: SECRET },
    });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    await shellInto(project.root, ['--vfkit-path', VFKIT_SHIM], /vfkit-shim|qemu-system/);
  });
});
