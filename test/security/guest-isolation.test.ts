import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';
import { testGuest, testImageYaml, VFKIT_SHIM } from '../support/vm.js';

// Guarantees 7 (an untrusted run never poisons a cache a trusted run reads) and 10 (network: none means no
// network device in the guest), through real guests booted by the vfkit shim.

const guest = testGuest();

function vmProject(jobs: string) {
  return testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: vfkit }
jobs:
${jobs}`);
}

const run = (project: ReturnType<typeof testProject>, args: string[]) =>
  runVmplan(['run', '--vfkit-path', VFKIT_SHIM, ...args], { cwd: project.root });

const guestLog = (project: ReturnType<typeof testProject>, job: string) =>
  readFileSync(join(project.root, '.vmplan/runs', project.latestRun(), 'jobs', job, 'guest.log'), 'utf8');

describe.skipIf(guest === undefined)('guests of untrusted runs', () => {
  it('write caches only in their own namespace; a trusted run never reads what they wrote', async () => {
    const project = vmProject(`  cache:
    caches: { deps: /home/vmplan/.cache/deps }
    run: |
      echo "saw: $(cat ~/.cache/deps/pkg.txt 2>/dev/null || echo nothing)"
      echo "$MARK" > ~/.cache/deps/pkg.txt
    env: { MARK: placeholder }
`);
    const mark = (text: string) =>
      project.write(
        '.github/vmplan.yml',
        readFileSync(join(project.root, '.github/vmplan.yml'), 'utf8').replace(/MARK: \w+/, `MARK: ${text}`),
      );
    mark('trusted');
    expect((await run(project, [])).code).toBe(0);
    expect(guestLog(project, 'cache')).toContain('saw: nothing');
    mark('poisoned');
    const untrusted = await run(project, ['--trust', 'untrusted', '--trusted-image-path', guest!]);
    expect(untrusted.code, untrusted.stderr).toBe(0);
    expect(guestLog(project, 'cache')).toContain('saw: nothing');
    mark('again');
    expect((await run(project, [])).code).toBe(0);
    expect(guestLog(project, 'cache')).toContain('saw: trusted');
    const shared = join(project.root, '.vmplan/cache/shared/local');
    expect(readFileSync(join(shared, 'trusted/deps/pkg.txt'), 'utf8')).toBe('again\n');
    expect(readFileSync(join(shared, 'untrusted/deps/pkg.txt'), 'utf8')).toBe('poisoned\n');
  }, 300_000);

  it('have no network device with network: none, or when the policy takes it away', async () => {
    const project = vmProject(`  online:
    run: ls /sys/class/net
  offline:
    network: none
    run: ls /sys/class/net
`);
    const both = await run(project, ['--max-parallel', '2']);
    expect(both.code, both.stdout + both.stderr).toBe(0);
    expect(guestLog(project, 'online').split(/\s+/).filter(Boolean).sort()).not.toEqual(['lo']);
    expect(guestLog(project, 'offline').split(/\s+/).filter(Boolean)).toEqual(['lo']);
    const held = await run(project, [
      '--only',
      'online',
      '--trust',
      'untrusted',
      '--trusted-image-path',
      guest!,
      '--untrusted-network',
      'none',
    ]);
    expect(held.code, held.stderr).toBe(0);
    expect(guestLog(project, 'online').split(/\s+/).filter(Boolean)).toEqual(['lo']);
    expect(existsSync(join(project.root, '.vmplan'))).toBe(true);
  }, 300_000);
});

/** A run where a root job tampers with its workspace share and a later job reads it. */
function tamperProject(executor: string) {
  const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: ${executor} }
jobs:
  tamper:
    run-as-root: true
    run: |
      mount -o remount,rw /run/vmplan-root/work 2>/dev/null || true
      echo TAMPERED > /run/vmplan-root/work/README || echo "could not write the lower share"
      ln -s /etc/passwd /run/vmplan-root/work/planted 2>/dev/null || true
      sync
  reader:
    needs: tamper
    run: cat README; ls planted 2>/dev/null || echo "nothing planted"
`);
  project.write('README', 'original\n');
  return project;
}

/** The reader saw the original workspace, and the host's snapshot is as it was made. */
function expectUntouched(project: ReturnType<typeof testProject>) {
  expect(guestLog(project, 'reader')).toBe('original\nnothing planted\n');
  const snapshot = join(project.root, '.vmplan/runs', project.latestRun(), 'snapshot');
  expect(readFileSync(join(snapshot, 'README'), 'utf8')).toBe('original\n');
  expect(existsSync(join(snapshot, 'planted'))).toBe(false);
}

describe.skipIf(guest === undefined)('a root guest and the workspace snapshot', () => {
  it('cannot change what a later job, or the run on the host, sees (vfkit: a clone per job)', async () => {
    const project = tamperProject('vfkit');
    const result = await run(project, []);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expectUntouched(project);
    expect(
      readFileSync(join(project.root, '.vmplan/runs', project.latestRun(), 'jobs/tamper/host.log'), 'utf8'),
    ).toContain("the job's view of the snapshot ready");
  }, 300_000);

  it('cannot either under QEMU with 9p, where the host refuses writes to the shared snapshot', async () => {
    const project = tamperProject('qemu');
    const result = await runVmplan(['run'], { cwd: project.root, env: { VMPLAN_QEMU_SHARES: '9p' } });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expectUntouched(project);
    const log = readFileSync(
      join(project.root, '.vmplan/runs', project.latestRun(), 'jobs/tamper/guest.log'),
      'utf8',
    );
    expect(log).toContain('could not write the lower share');
  }, 300_000);
});
