// vmplan doctor's Linux checks run for real here (QEMU, KVM, virtiofsd, folders); the Mac's are unit-tested
// against recorded outputs (test/unit/doctor.test.ts).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { VFKIT_SHIM } from '../support/vm.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-doctor-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A runner install folder whose Runner.Listener says `version`. */
function runnerDir(version: string): string {
  const dir = mkdtempSync(join(folder, 'runner-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin/Runner.Listener'), `#!/bin/sh\necho ${version}\n`);
  chmodSync(join(dir, 'bin/Runner.Listener'), 0o755);
  return dir;
}

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
});
