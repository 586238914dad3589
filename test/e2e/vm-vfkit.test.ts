import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../src/records/schema.js';
import { runVmplan, spawnVmplan } from '../support/cli.js';
import { processesWith } from '../support/processes.js';
import { testProject } from '../support/project.js';
import { testGuest, testImageYaml, VFKIT_SHIM, vmPhasesOf } from '../support/vm.js';

const guest = testGuest();

/** Runs vmplan with the vfkit executor against the shim, which boots real guests with QEMU. */
function vmProject(jobs: string, extra = '') {
  return testProject(`version: 1
images:
${testImageYaml(guest!)}
defaults: { image: tiny, executor: vfkit }
${extra}
jobs:
${jobs}`);
}

const run = (project: ReturnType<typeof testProject>, args: string[] = []) =>
  runVmplan(['run', '--vfkit-path', VFKIT_SHIM, ...args], { cwd: project.root });

const jobFile = (project: ReturnType<typeof testProject>, job: string, file: string) =>
  join(project.root, '.vmplan/runs', project.latestRun(), 'jobs', job, file);

/** QEMU processes still running for a project (their command lines name its run folders). */
const leftoverVms = (project: ReturnType<typeof testProject>) =>
  processesWith(project.root).filter((p) => /qemu-system|vfkit/.test(p.command));

describe.skipIf(guest === undefined)(
  'the vfkit executor, through the vfkit test shim, boots real guests',
  () => {
    it('outputs: what one VM job built is in the workspace of the VM job that needs it, read-only to its user', async () => {
      for (const mode of ['overlay', 'copy']) {
        const project = vmProject(
          `  build:
    run: mkdir -p dist && echo "built in a VM" > dist/app && echo scratch > scratch.txt
    outputs: [dist/]
  check:
    run: |
      cat dist/app
      test ! -e scratch.txt
      if touch dist/app 2>/dev/null || touch dist/new 2>/dev/null; then echo writable; exit 1; fi
      echo "read-only as $(id -un)"
    needs: build
`,
          `workspace: { mode: ${mode} }`,
        );
        const result = await run(project);
        expect(result.code, `${mode}: ${result.stdout}${result.stderr}`).toBe(0);
        expect(readFileSync(jobFile(project, 'check', 'guest.log'), 'utf8'), mode).toBe(
          'built in a VM\nread-only as vmplan\n',
        );
        expect(readFileSync(jobFile(project, 'build', 'outputs/dist/app'), 'utf8')).toBe('built in a VM\n');
        expect(existsSync(jobFile(project, 'build', 'outputs/scratch.txt'))).toBe(false);
        // The share the guest could write to is gone once its VM is.
        expect(existsSync(jobFile(project, 'check', 'inputs'))).toBe(false);
      }
    });

    it('runs jobs in two VMs at once: a pass with env, output and artifacts, and a failure with its exit code', async () => {
      const project = vmProject(`  hello:
    run: |
      echo "hello from $(uname -m) as $(id -un)"
      cat input.txt
      echo "FOO=$FOO"
      echo "token=$API_TOKEN"
      mkdir -p out/sub && echo built > out/sub/app.txt && echo skip > out/skip.log
    env: { FOO: "bar baz" }
    secrets: [API_TOKEN]
    artifacts: ["out/**/*.txt"]
  broken:
    run: sleep 1; echo "about to fail"; exit 3
`);
      project.write('input.txt', 'from the workspace\n');
      const secret = 'vm-secret-4f9a1c';
      const result = await runVmplan(
        ['run', '--vfkit-path', VFKIT_SHIM, '--no-fail-fast', '--max-parallel', '2'],
        { cwd: project.root, env: { API_TOKEN: secret } },
      );
      expect(result.code, result.stdout + result.stderr).toBe(1);

      const hello = project.jobStatus('hello');
      const broken = project.jobStatus('broken');
      expect(hello).toMatchObject({ status: 'passed', exitCode: 0 });
      expect(broken).toMatchObject({ status: 'failed', exitCode: 3, message: 'exited with code 3' });
      // Where their time went, each guest's clock tied to the host's: broken slept 1 s of its command.
      vmPhasesOf(hello);
      expect(vmPhasesOf(broken).command).toBeGreaterThanOrEqual(1000);
      // Both VMs ran at the same time.
      expect(Date.parse(hello.startedAt!)).toBeLessThan(Date.parse(broken.finishedAt!));
      expect(Date.parse(broken.startedAt!)).toBeLessThan(Date.parse(hello.finishedAt!));

      const guestLog = readFileSync(jobFile(project, 'hello', 'guest.log'), 'utf8');
      expect(guestLog).toBe('hello from aarch64 as vmplan\nfrom the workspace\nFOO=bar baz\ntoken=***\n');
      // The secret reached the guest (it printed it) and is masked wherever vmplan keeps output.
      for (const file of ['guest.log', 'console.log', 'host.log'])
        expect(readFileSync(jobFile(project, 'hello', file), 'utf8')).not.toContain(secret);
      expect(result.stdout).not.toContain(secret);
      // vmplan logs: the guest's output, or vmplan's own host log, of one job.
      const runId = project.latestRun();
      const guestOnly = await runVmplan(['logs', runId, 'hello', '--guest'], { cwd: project.root });
      expect(guestOnly.stdout).toBe(guestLog);
      const hostOnly = await runVmplan(['logs', runId, 'hello', '--host'], { cwd: project.root });
      expect(hostOnly.stdout).toBe(readFileSync(jobFile(project, 'hello', 'host.log'), 'utf8'));
      expect(hostOnly.stdout).not.toContain('FOO=bar baz');
      expect(result.stdout).toContain('[hello] hello from aarch64 as vmplan');
      expect(readFileSync(jobFile(project, 'hello', 'artifacts/out/sub/app.txt'), 'utf8')).toBe('built\n');
      expect(existsSync(jobFile(project, 'hello', 'artifacts/out/skip.log'))).toBe(false);
      expect(readFileSync(jobFile(project, 'hello', 'console.log'), 'utf8')).toContain(
        'vmplan-agent: job hello',
      );
      // vfkit was called with vfkit's grammar (the shim parsed it strictly) and cleaned up after.
      const hostLog = readFileSync(jobFile(project, 'hello', 'host.log'), 'utf8');
      expect(hostLog).toMatch(
        /--bootloader 'linux,kernel=\S+\/kernel,initrd=\S+\/initrd,"cmdline=console=hvc0 panic=-1 quiet cryptomgr.notests"'/,
      );
      expect(existsSync(jobFile(project, 'hello', 'guest/secrets.env'))).toBe(false);
      expect(existsSync(jobFile(project, 'hello', 'vfkit.pid'))).toBe(false);
      expect(leftoverVms(project)).toEqual([]);
    });

    it('keeps VM command lines and vfkit chatter in host.log, shown live only with --verbose', async () => {
      const project = vmProject(`  quiet: { run: echo job-output-line }
`);
      const quiet = await run(project);
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(quiet.stdout).toContain('job-output-line');
      expect(quiet.stdout).not.toContain('--device virtio-fs');
      expect(readFileSync(jobFile(project, 'quiet', 'host.log'), 'utf8')).toContain('--device virtio-fs');
      const verbose = await run(project, ['--verbose']);
      expect(verbose.code, verbose.stderr).toBe(0);
      expect(verbose.stdout).toContain('--device virtio-fs');
    });

    it('stops a VM past its timeout with a REST HardStop and records timed_out', async () => {
      // The timeout counts from the job's start, boot included: 18 s leaves a TCG boot on a loaded 2-core machine
      // (measured up to ~8 s) room to print its "started" before the HardStop, which the test then waits for.
      const project = vmProject(`  hang: { run: "echo started; sleep 300", timeout-minutes: 0.3 }
`);
      const vmplan = spawnVmplan(['run', '--vfkit-path', VFKIT_SHIM], { cwd: project.root });
      await vmplan.waitFor(/^started$/m, 60_000);
      const result = await vmplan.done;
      expect(result.code).toBe(1);
      expect(project.jobStatus('hang')).toMatchObject({
        status: 'timed_out',
        message: 'timed out after 0.3 minute(s); stopped',
      });
      expect(readFileSync(jobFile(project, 'hang', 'host.log'), 'utf8')).toContain(
        'vmplan: asked vfkit for a HardStop',
      );
      expect(readFileSync(jobFile(project, 'hang', 'guest.log'), 'utf8')).toBe('started\n');
      expect(leftoverVms(project)).toEqual([]);
    });

    it('escalates to SIGKILL when vfkit ignores HardStop and SIGTERM, leaving no VM, socket or pidfile', async () => {
      // The timeout counts from the job's start, its setup included: 12 s (not 3) so that vfkit is running when it
      // comes, even on a loaded 2-core machine (a timeout during setup would stop no vfkit).
      const project = vmProject(`  hang: { run: "echo started; sleep 300", timeout-minutes: 0.2 }
`);
      const result = await runVmplan(['run', '--vfkit-path', VFKIT_SHIM], {
        cwd: project.root,
        env: { VFKIT_SHIM_STUBBORN: '1' },
      });
      expect(result.code).toBe(1);
      expect(project.jobStatus('hang')).toMatchObject({ status: 'timed_out' });
      const hostLog = readFileSync(jobFile(project, 'hang', 'host.log'), 'utf8');
      expect(hostLog).toContain('vmplan: asked vfkit for a HardStop');
      expect(hostLog).toContain('vmplan: vfkit did not stop; SIGKILL');
      const socket = /--restful-uri unix:\/\/(\S+\.sock)/.exec(hostLog)?.[1];
      expect(socket).toBeDefined();
      expect(existsSync(socket!)).toBe(false);
      expect(existsSync(jobFile(project, 'hang', 'vfkit.pid'))).toBe(false);
      expect(leftoverVms(project)).toEqual([]);
    });

    it("keeps caches across runs: a later run's VM finds what an earlier one put there", async () => {
      const project = vmProject(`  fill:
    run: echo "downloaded once" > ~/.cache/deps/pkg.txt && touch ~/.cache/mine
    caches: { deps: /home/vmplan/.cache/deps }
  use:
    run: cat ~/.cache/deps/pkg.txt
    caches: { deps: /home/vmplan/.cache/deps }
`);
      const first = await run(project, ['--only', 'fill']);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(
        readFileSync(join(project.root, '.vmplan/cache/shared/local/trusted/deps/pkg.txt'), 'utf8'),
      ).toBe('downloaded once\n');
      const second = await run(project, ['--only', 'use']);
      expect(second.code, second.stdout + second.stderr).toBe(0);
      expect(readFileSync(jobFile(project, 'use', 'guest.log'), 'utf8')).toBe('downloaded once\n');
      expect(readFileSync(jobFile(project, 'use', 'console.log'), 'utf8')).toContain(
        'vmplan-agent: cache deps at /home/vmplan/.cache/deps',
      );
    });

    it('reports a guest that died without a result', async () => {
      const project = vmProject(`  crash: { run: "echo c > /proc/sysrq-trigger", run-as-root: true }
`);
      const result = await run(project);
      expect(result.code).toBe(1);
      expect(project.jobStatus('crash')).toMatchObject({
        status: 'failed',
        message: 'the guest stopped without a result (see guest.log and console.log)',
      });
    });

    it('treats result.json as untrusted: a malformed one fails the job, naming the problem', async () => {
      const project = vmProject(`  forge:
    run-as-root: true
    run: |
      echo '{"version":1,"status":"passed","exitCode":0,"startedAt":null,"finishedAt":"now","message":null,"extra":"x"}' > /run/vmplan-root/job/result.json
      sync
      echo c > /proc/sysrq-trigger
  tamper:
    run-as-root: true
    run: |
      printf '{"status": "passed"' > /run/vmplan-root/job/result.json
      sync
      echo c > /proc/sysrq-trigger
`);
      const result = await run(project, ['--no-fail-fast']);
      expect(result.code).toBe(1);
      expect(project.jobStatus('forge')).toMatchObject({
        status: 'failed',
        message:
          'invalid result from the guest: result.json does not match the guest protocol (Unrecognized key: "extra")',
      });
      expect(project.jobStatus('tamper').message).toMatch(
        /^invalid result from the guest: result\.json is not valid JSON/,
      );
    });

    it('keeps the snapshot read-only; writable-workspace brings changes back; workspace: copy shares a per-job copy', async () => {
      const overlay =
        vmProject(`  scribble: { run: "echo changed > data.txt && rm gone.txt && echo new > new.txt" }
  keep:
    writable-workspace: true
    run: echo changed > data.txt && rm gone.txt && mkdir -p made && echo new > made/new.txt
`);
      overlay.write('data.txt', 'original\n');
      overlay.write('gone.txt', 'bye\n');
      const result = await run(overlay, ['--max-parallel', '2']);
      expect(result.code, result.stdout).toBe(0);
      const snapshot = join(overlay.root, '.vmplan/runs', overlay.latestRun(), 'snapshot');
      expect(readFileSync(join(snapshot, 'data.txt'), 'utf8')).toBe('original\n');
      expect(existsSync(join(snapshot, 'gone.txt'))).toBe(true);
      expect(existsSync(jobFile(overlay, 'scribble', 'workspace-changes'))).toBe(false);
      expect(readFileSync(jobFile(overlay, 'keep', 'workspace-changes/data.txt'), 'utf8')).toBe('changed\n');
      expect(readFileSync(jobFile(overlay, 'keep', 'workspace-changes/made/new.txt'), 'utf8')).toBe('new\n');
      expect(readFileSync(jobFile(overlay, 'keep', 'workspace-deleted.txt'), 'utf8')).toBe('gone.txt\n');

      const copy = vmProject(
        `  scribble: { run: "echo changed > data.txt" }
`,
        'workspace: { mode: copy }',
      );
      copy.write('data.txt', 'original\n');
      expect((await run(copy)).code).toBe(0);
      expect(readFileSync(jobFile(copy, 'scribble', 'workspace/data.txt'), 'utf8')).toBe('changed\n');
      expect(
        readFileSync(join(copy.root, '.vmplan/runs', copy.latestRun(), 'snapshot/data.txt'), 'utf8'),
      ).toBe('original\n');
    });

    it('fails the job with the Error: line vfkit prints when it refuses the VM', async () => {
      const project = testProject(`version: 1
images:
  qcow: { arch: arm64, kernel: ${guest}/kernel, initrd: ${guest}/initrd, disk: disk.qcow2, memory: 512, cpus: 1 }
jobs:
  boot: { run: "true", image: qcow, executor: vfkit }
`);
      writeFileSync(
        join(project.root, 'disk.qcow2'),
        Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(1020)]),
      );
      const result = await run(project);
      expect(result.code).toBe(1);
      expect(project.jobStatus('boot')).toMatchObject({
        status: 'failed',
        message: 'vfkit failed: vfkit does not support qcow2 image format',
      });
    });

    it('refuses a compressed arm64 kernel before booting, saying what to do', async () => {
      const project = testProject(`version: 1
images:
  gz: { arch: arm64, kernel: Image.gz, initrd: ${guest}/initrd }
jobs:
  boot: { run: "true", image: gz, executor: vfkit }
`);
      writeFileSync(
        join(project.root, 'Image.gz'),
        Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(1024)]),
      );
      const result = await run(project);
      expect(result.code).toBe(1);
      const image = project.state<NodeRecord>(`runs/${project.latestRun()}/images/gz/status.json`);
      expect(image.message).toMatch(
        /Image\.gz is not an uncompressed arm64 Image \(found gzip\); vfkit boots only uncompressed kernels/,
      );
      expect(project.jobStatus('boot')).toMatchObject({
        status: 'skipped',
        message: 'needs image "gz", which failed',
      });
    });

    it("boots every job on its own clone of the root disk; --keep-failed-disks keeps a failed job's clone", async () => {
      const project = testProject(`version: 1
images:
  with-disk: { arch: arm64, kernel: ${guest}/kernel, initrd: ${guest}/initrd, disk: disk.img, memory: 512, cpus: 1, cmdline: quiet }
defaults: { image: with-disk, executor: vfkit }
jobs:
  a-scribble:
    run-as-root: true
    run: mount /dev/vda /mnt && echo dirty > /mnt/marker.txt && echo x > /mnt/new && umount /mnt && exit 1
  b-check:
    run-as-root: true
    run: mount /dev/vda /mnt && grep -q pristine /mnt/marker.txt && test ! -e /mnt/new && echo pristine disk
`);
      const content = join(project.root, 'disk-content');
      writeFileSync(join(project.write('disk-content/marker.txt', 'pristine\n'), '..', 'README'), 'disk\n');
      execFileSync('truncate', ['-s', '64M', join(project.root, 'disk.img')]);
      execFileSync('mkfs.ext4', ['-q', '-F', '-d', content, join(project.root, 'disk.img')]);
      const result = await run(project, ['--no-fail-fast', '--max-parallel', '1', '--keep-failed-disks']);
      expect(result.code).toBe(1);
      const scribble = project.jobStatus('a-scribble');
      // The message says why when the guest did not get to run the command (a failure to diagnose, not a pass).
      expect(scribble, String(scribble.message)).toMatchObject({ status: 'failed', exitCode: 1 });
      expect(project.jobStatus('b-check')).toMatchObject({ status: 'passed' });
      expect(readFileSync(jobFile(project, 'b-check', 'guest.log'), 'utf8')).toContain('pristine disk');
      const debugfs = (image: string) =>
        execFileSync('debugfs', ['-R', 'cat /marker.txt', image], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
      expect(debugfs(jobFile(project, 'a-scribble', 'disk.img'))).toBe('dirty\n');
      expect(existsSync(jobFile(project, 'b-check', 'disk.img'))).toBe(false);
      expect(debugfs(join(project.root, 'disk.img'))).toBe('pristine\n');
      // Without --keep-failed-disks, a failed job's clone goes too.
      const again = await run(project, ['--only', 'a-scribble']);
      expect(again.code).toBe(1);
      expect(project.jobStatus('a-scribble')).toMatchObject({ status: 'failed', exitCode: 1 });
      expect(existsSync(jobFile(project, 'a-scribble', 'disk.img'))).toBe(false);
    });

    it('on SIGTERM stops the VMs, finishes the records and exits within 5 s', async () => {
      const project = vmProject(`  one: { run: "echo up; sleep 300" }
  two: { run: "echo up; sleep 300" }
`);
      const vmplan = spawnVmplan(['run', '--vfkit-path', VFKIT_SHIM, '--max-parallel', '2'], {
        cwd: project.root,
      });
      await vmplan.waitFor('[one] up', 60_000);
      await vmplan.waitFor('[two] up', 60_000);
      const signalled = Date.now();
      vmplan.child.kill('SIGTERM');
      const result = await vmplan.done;
      expect(Date.now() - signalled).toBeLessThan(5_000);
      expect(result.code).toBe(143);
      for (const job of ['one', 'two'])
        expect(project.jobStatus(job)).toMatchObject({
          status: 'cancelled',
          message: 'received SIGTERM',
        });
      expect(project.state(`runs/${project.latestRun()}/run.json`)).toMatchObject({ status: 'cancelled' });
      expect(leftoverVms(project)).toEqual([]);
      expect(
        readdirSync(join(project.root, '.vmplan/runs', project.latestRun(), 'jobs/one')).filter((name) =>
          name.endsWith('.pid'),
        ),
      ).toEqual([]);
    });
  },
);
