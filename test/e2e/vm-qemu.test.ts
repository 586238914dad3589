import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { processesWith } from '../support/processes.js';
import { testProject } from '../support/project.js';
import { testGuest, testImageYaml } from '../support/vm.js';

const guest = testGuest();

describe.skipIf(guest === undefined)('the qemu executor', () => {
  it('runs a job in a QEMU VM with the same guest protocol, and stops one past its timeout', async () => {
    const project = testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: qemu }
jobs:
  build:
    run: echo "built on $(uname -m)" > out.txt && cat out.txt
    artifacts: [out.txt]
  slow: { run: sleep 300, timeout-minutes: 0.1 }
`);
    const result = await runVmplan(['run', '--no-fail-fast', '--max-parallel', '2'], { cwd: project.root });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const runDir = join(project.root, '.vmplan/runs', project.latestRun());
    expect(JSON.parse(readFileSync(join(runDir, 'jobs/build/status.json'), 'utf8'))).toMatchObject({
      status: 'passed',
      exitCode: 0,
    });
    expect(readFileSync(join(runDir, 'jobs/build/guest.log'), 'utf8')).toBe('built on aarch64\n');
    expect(readFileSync(join(runDir, 'jobs/build/artifacts/out.txt'), 'utf8')).toBe('built on aarch64\n');
    expect(readFileSync(join(runDir, 'jobs/build/host.log'), 'utf8')).toMatch(
      /vmplan: arm64 guest with (TCG|KVM)/,
    );
    expect(JSON.parse(readFileSync(join(runDir, 'jobs/slow/status.json'), 'utf8'))).toMatchObject({
      status: 'timed_out',
    });
    expect(processesWith(runDir).filter((p) => /qemu-system|virtiofsd/.test(p.command))).toEqual([]);
  });
});
