// vmplan doctor's Linux checks run for real here (QEMU, KVM, virtiofsd, folders); the Mac's are unit-tested
// against recorded outputs (test/unit/doctor.test.ts).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VfkitExecutor } from '../../src/executors/vfkit/executor.js';
import { buildPlan } from '../../src/plan/build.js';
import { runVmplan } from '../support/cli.js';
import { context, jobs } from '../support/jobs.js';
import { fakeRunnerDir } from '../support/runner-dir.js';
import { VFKIT_SHIM } from '../support/vm.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-doctor-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A runner install folder whose Runner.Listener says `version`. */
const runnerDir = (version: string) => fakeRunnerDir(folder, version);

describe('vmplan doctor on this Linux host', () => {
  it('checks QEMU, KVM, virtiofsd and both folders for real, as text and as one JSON document', async () => {
    const text = await runVmplan(
      ['doctor', '--state-dir', join(folder, 'state'), '--cache-dir', join(folder, 'cache')],
      {
        cwd: folder,
      },
    );
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^✔ qemu-system-aarch64 \(QEMU \d+\.\d+/m);
    expect(text.stdout).toMatch(/^(✔ \/dev\/kvm is usable|! no KVM \(.+\): guests run emulated)/m);
    expect(text.stdout).toMatch(new RegExp(`^✔ cache folder ${folder}/cache: [\\d.]+ [KMGT]B free$`, 'm'));
    expect(text.stdout).toMatch(/^ready/m);

    const json = await runVmplan(['doctor', '--json', '--cache-dir', join(folder, 'cache')], { cwd: folder });
    const document = JSON.parse(json.stdout) as {
      command: string;
      ok: boolean;
      checks: { id: string; status: string }[];
    };
    expect(document).toMatchObject({ vmplan: 1, command: 'doctor', ok: true });
    expect(document.checks.map((check) => check.id)).toEqual(
      expect.arrayContaining([
        'qemu-system-aarch64',
        'qemu-system-x86_64',
        'kvm',
        'virtiofsd',
        'state-folder',
        'cache-folder',
      ]),
    );
  });

  it('checks a vfkit by its version, and fails a runner too old for node24 actions (exit 1, with the fix)', async () => {
    const result = await runVmplan(
      ['doctor', '--executor', 'vfkit', '--vfkit-path', VFKIT_SHIM, '--runner-dir', runnerDir('2.328.0')],
      { cwd: folder },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^✔ vfkit \d+\.\d+\.\d+ at .*test\/support\/vfkit$/m);
    expect(result.stdout).toMatch(/^✘ the runner in .* is 2\.328\.0: node24 actions need 2\.327\.1/m);
    expect(result.stdout).toMatch(/^ {4}fix: update the runner to 2\.329\.0 or newer/m);
    const good = await runVmplan(['doctor', '--runner-dir', runnerDir('2.330.0'), '--json'], { cwd: folder });
    expect(JSON.parse(good.stdout).checks).toContainEqual(
      expect.objectContaining({ id: 'runner', status: 'ok' }),
    );
  });

  it('warns of a cache folder under RUNNER_TEMP, and fails a state folder it cannot write', async () => {
    const temp = join(folder, 'runner-temp');
    const blocked = join(folder, 'blocked');
    writeFileSync(blocked, 'a file where a folder should be');
    const result = await runVmplan(
      ['doctor', '--cache-dir', join(temp, 'vmplan-cache'), '--state-dir', join(blocked, 'state')],
      { cwd: folder, env: { RUNNER_TEMP: temp } },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^! cache folder .*vmplan-cache is under RUNNER_TEMP/m);
    expect(result.stdout).toMatch(/^✘ state folder .*blocked\/state: .*blocked is a file, not a folder$/m);
  });

  it('fails a --runner-dir that does not exist or is no runner folder', async () => {
    const missing = join(folder, 'no-such-runner');
    const gone = await runVmplan(['doctor', '--runner-dir', missing], { cwd: folder });
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain(
      `✘ the runner folder ${missing} does not exist\n    fix: give --runner-dir the runner's install folder (the one with run.sh and bin/Runner.Listener)\n`,
    );
    const empty = mkdtempSync(join(folder, 'not-a-runner-'));
    const other = await runVmplan(['doctor', '--runner-dir', empty], { cwd: folder });
    expect(other.code).toBe(1);
    expect(other.stdout).toContain(`✘ ${empty} is not a runner's install folder (no bin/Runner.Listener)\n`);
  });

  it('says vfkit needs macOS when asked for it on Linux (not brew install vfkit)', async () => {
    const result = await runVmplan(['doctor', '--executor', 'vfkit'], {
      cwd: folder,
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "✘ vfkit needs macOS (Apple's Virtualization framework); this is linux\n    fix: run vfkit jobs on an Apple silicon Mac; here, use the qemu executor (--executor qemu)\n",
    );
    expect(result.stdout).not.toContain('brew');
  });

  it('checks the tools image builds need, and says which package has each missing one', async () => {
    const bin = mkdtempSync(join(folder, 'bin-'));
    symlinkSync('/usr/bin/cpio', join(bin, 'cpio'));
    const result = await runVmplan(['doctor', '--json'], { cwd: folder, env: { PATH: bin } });
    const checks = (JSON.parse(result.stdout) as { checks: { id: string }[] }).checks;
    const depmodInSbin = ['/sbin/depmod', '/usr/sbin/depmod'].some((path) => existsSync(path));
    const missing = ['apt-get', 'dpkg-deb', 'mmdebstrap', ...(depmodInSbin ? [] : ['depmod']), 'mkfs.ext4'];
    const packages = ['apt', 'dpkg', 'mmdebstrap', ...(depmodInSbin ? [] : ['kmod']), 'e2fsprogs'];
    expect(checks.find((check) => check.id === 'image-build')).toEqual({
      id: 'image-build',
      status: 'warn',
      summary: `vmplan image build needs ${missing.join(', ')}: not found`,
      fix: `sudo apt-get install ${packages.join(' ')}`,
    });
    const full = await runVmplan(['doctor'], { cwd: folder });
    const root = process.getuid?.() === 0;
    expect(full.stdout).toContain(
      root
        ? '✔ image build tools: all found, running as root\n'
        : '! vmplan image build debian needs root (it builds a Debian root file system); this is not root\n',
    );
  });
});

describe("the vfkit executor's preflight", () => {
  /** A vfkit that prints `version` for --version. */
  function fakeVfkit(version: string): string {
    const path = join(mkdtempSync(join(folder, 'vfkit-')), 'vfkit');
    writeFileSync(path, `#!/bin/sh\necho "vfkit version: v${version}"\n`);
    chmodSync(path, 0o755);
    return path;
  }
  const plan = buildPlan(
    jobs(
      'version: 1\nimages:\n  g: { arch: arm64, kernel: k, initrd: i }\njobs:\n  t: { image: g, executor: vfkit, run: make }\n',
    ),
    context(),
  );

  it('refuses vfkit 0.6.0 and 0.6.1 before any VM (vmplan passes --pidfile, new in 0.6.2), accepts 0.6.2', async () => {
    for (const old of ['0.6.0', '0.6.1'])
      await expect(new VfkitExecutor({ vfkitPath: fakeVfkit(old) }).preflight(plan)).rejects.toThrow(
        `vfkit ${old} is too old: vmplan needs 0.6.2 or newer (brew upgrade vfkit)`,
      );
    // Off a Mac nothing else is checked: 0.6.2 passes preflight.
    if (process.platform !== 'darwin')
      await expect(
        new VfkitExecutor({ vfkitPath: fakeVfkit('0.6.2') }).preflight(plan),
      ).resolves.toBeUndefined();
  });
});
