import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findVirtiofsd } from '../../src/executors/qemu/vm.js';
import { runVmplan } from '../support/cli.js';
import { processesWith } from '../support/processes.js';
import { testProject } from '../support/project.js';
import { testGuest, testImageYaml, vmPhasesOf } from '../support/vm.js';

const guest = testGuest();

describe.skipIf(guest === undefined)('the qemu executor', () => {
  it('runs a job in a QEMU VM with the same guest protocol, and stops one past its timeout', async () => {
    const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: qemu }
jobs:
  build:
    run: sleep 1 && echo "built on $(uname -m)" > out.txt && cat out.txt
    artifacts: [out.txt]
  slow: { run: sleep 300, timeout-minutes: 0.2 }
`);
    const result = await runVmplan(['run', '--no-fail-fast', '--max-parallel', '2'], { cwd: project.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const runDir = join(project.root, '.vmplan/runs', project.latestRun());
    expect(project.jobStatus('build')).toMatchObject({
      status: 'passed',
      exitCode: 0,
    });
    expect(readFileSync(join(runDir, 'jobs/build/guest.log'), 'utf8')).toBe('built on aarch64\n');
    expect(readFileSync(join(runDir, 'jobs/build/artifacts/out.txt'), 'utf8')).toBe('built on aarch64\n');
    // virtio-fs wherever a virtiofsd can serve it (CI: Debian's, as root); the guest mounts the shares with it.
    const shares = findVirtiofsd() === undefined ? '9p' : 'virtiofs';
    if (process.env.CI === 'true') expect(shares).toBe('virtiofs');
    expect(readFileSync(join(runDir, 'jobs/build/host.log'), 'utf8')).toMatch(
      new RegExp(`vmplan: arm64 guest with (TCG|KVM) \\(.*\\); shares over ${shares}`),
    );
    // Where its time went, the guest's clock tied to the host's: the command slept 1 s of it.
    expect(vmPhasesOf(project.jobStatus('build')).command).toBeGreaterThanOrEqual(1000);
    expect(project.jobStatus('slow')).toMatchObject({
      status: 'timed_out',
    });
    // Stopped by the host: its guest reported no times, so the VM is one phase. (The timeout counts from the job's
    // start, its setup included: 12 s lets a loaded machine start the VM before it.)
    expect(project.jobStatus('slow').phases?.map((phase) => phase.phase)).toEqual([
      'prepare',
      'vm',
      'finish',
    ]);
    expect(processesWith(runDir).filter((p) => /qemu-system|virtiofsd/.test(p.command))).toEqual([]);

    // The same job over 9p, the fallback.
    const over9p = await runVmplan(['run', '--only', 'build'], {
      cwd: project.root,
      env: { VMPLAN_QEMU_SHARES: '9p' },
    });
    expect(over9p.code, over9p.stdout + over9p.stderr).toBe(0);
    const again = join(project.root, '.vmplan/runs', project.latestRun(), 'jobs/build');
    expect(readFileSync(join(again, 'host.log'), 'utf8')).toContain('shares over 9p');
    expect(readFileSync(join(again, 'artifacts/out.txt'), 'utf8')).toBe('built on aarch64\n');
  });
});
