// The host side of a VM job, with a launcher that plays the guest in this process: what the host writes for the
// guest (the timeout the agent enforces, secrets.env) and what it keeps after the VM (console.log masked, no
// secrets.env), observed in the files themselves. No hypervisor needed, so every such promise is checked on every
// run; the VM tests (test/e2e, test/security) check the same through a real guest.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/executors/contract.js';
import { isInert } from '../../src/executors/vm/inert-mounts.js';
import { runVmJob, type VmLauncher, type VmProcess } from '../../src/executors/vm/vm-job.js';
import type { VmSpec } from '../../src/executors/vm/vm-spec.js';
import { buildPlan } from '../../src/plan/build.js';
import { DEFAULT_LIMITS, type JobLimits } from '../../src/plan/limits.js';
import { JobLog } from '../../src/records/job-log.js';
import { Masker } from '../../src/util/mask.js';
import { context, jobs } from '../support/jobs.js';

const SECRET = 'tok-5ecret-value-91';
const root = mkdtempSync(join(tmpdir(), 'vmplan-vm-job-host-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the pretend guest saw in its job share when it booted. */
interface Seen {
  jobEnv: string;
  secretsEnv: string | undefined;
  /** Where the VM's console went. */
  console: VmSpec['console'];
}

/** A launcher whose "VM" reads the job share, prints the secret on its console, and writes result.json. */
function pretendGuest(seen: Seen[], behaviour: 'passes' | 'cannot start' = 'passes'): VmLauncher {
  return {
    name: 'pretend',
    restControlled: false,
    enforcesReadOnlyShares: true,
    async launch(spec: VmSpec): Promise<VmProcess> {
      const share = spec.shares.find((one) => one.tag === 'vmplan-job')!.hostPath;
      const secrets = join(share, 'secrets.env');
      seen.push({
        jobEnv: readFileSync(join(share, 'job.env'), 'utf8'),
        secretsEnv: existsSync(secrets) ? readFileSync(secrets, 'utf8') : undefined,
        console: spec.console,
      });
      if (behaviour === 'cannot start') throw new Error('the hypervisor cannot start');
      writeFileSync(spec.consoleLog, `[    0.1] booting\nthe token is ${SECRET}, and again:${SECRET}\n`);
      writeFileSync(join(share, 'result.json'), resultJson());
      return {
        pid: process.pid,
        exited: Promise.resolve({ code: 0, signal: null }),
        stop: async () => {},
        stderrTail: () => '',
      };
    },
    failureMessage: () => 'the VM failed',
  };
}

/** Runs one VM job of `yaml` (its only job) through the real host side, with `launcher` as the hypervisor. */
async function runJob(
  yaml: string,
  launcher: VmLauncher,
  options: {
    shell?: boolean;
    limits?: JobLimits;
    disk?: string;
    keepFailedDisks?: boolean;
    /** Workspace mode copy: the job's own writable workspace (jobs/<job>/workspace). */
    copy?: boolean;
  } = {},
) {
  const plan = buildPlan(jobs(yaml), context({ defaultExecutor: 'qemu' }));
  const node = plan.nodes.find((one) => one.kind === 'execute');
  if (node?.kind !== 'execute') throw new Error('no job');
  const dir = mkdtempSync(join(root, 'job-'));
  const snapshotDir = join(dir, 'snapshot');
  mkdirSync(snapshotDir);
  const jobDir = join(dir, 'jobs', node.job);
  const log = new JobLog(join(jobDir, 'host.log'), new Masker([SECRET]), undefined);
  const jobContext: JobContext = {
    runId: 'r1',
    plan,
    node,
    jobDir,
    cacheDir: join(dir, 'cache'),
    hostWorkspaces: [join(jobDir, 'workspace')],
    sharedCachesDir: join(dir, 'caches'),
    network: false,
    workspace: {
      snapshotDir,
      jobCopy: async (target) => {
        // A shell always works on its own copy; a job here never needs one (the launcher keeps shares read-only).
        if (options.shell !== true && options.copy !== true)
          throw new Error('not used: the pretend launcher keeps shares read-only');
        mkdirSync(target, { recursive: true });
        return { ms: 0, method: 'copy' };
      },
    },
    image: {
      name: 'guest',
      arch: 'arm64',
      kernel: '/i/Image',
      initrd: '/i/initrd',
      disk: options.disk ?? null,
      cmdline: null,
    },
    secrets: Object.fromEntries(node.secrets.map((name) => [name, SECRET])),
    runSecrets: [SECRET],
    signal: new AbortController().signal,
    log,
    guestLog: undefined,
    killGraceMs: () => 1000,
    onProcess: () => {},
    inputs: [],
    ...(options.shell === true ? { shell: true } : {}),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  };
  const settings = {
    socketDir: dir,
    workspaceMode: options.copy === true ? ('copy' as const) : ('overlay' as const),
    // Already handed to the guest user: no chown of the test's folders.
    writableFolders: new Map([
      [snapshotDir, Promise.resolve()],
      [join(jobDir, 'workspace'), Promise.resolve()],
    ]),
    keepFailedDisks: options.keepFailedDisks ?? false,
  };
  const outcome = await runVmJob(jobContext, launcher, settings).catch((error: unknown) => error);
  await log.close();
  return { outcome, jobDir };
}

const jobsFile = (job: string) =>
  `version: 1\nimages:\n  guest: { arch: arm64, kernel: k, initrd: i }\njobs:\n  unit: { run: make test, image: guest, secrets: [DEPLOY_TOKEN]${job} }\n`;
const timeoutOf = (jobEnv: string) => /^VMPLAN_TIMEOUT_SECONDS='?(\d+)'?$/m.exec(jobEnv)?.[1];

describe('what the host writes for the guest agent', () => {
  it('tells the guest its timeout in seconds: 60 minutes are 3600 s, 2.5 minutes 150 s, the default 60 min', async () => {
    const seen: Seen[] = [];
    for (const minutes of [', timeout-minutes: 60', ', timeout-minutes: 2.5', ''])
      await runJob(jobsFile(minutes), pretendGuest(seen));
    expect(seen.map((one) => timeoutOf(one.jobEnv))).toEqual(['3600', '150', '3600']);
  });

  it('hands the secret over in secrets.env while the guest runs, and leaves no secrets.env once the job ends', async () => {
    const seen: Seen[] = [];
    const passed = await runJob(jobsFile(''), pretendGuest(seen));
    expect(passed.outcome).toMatchObject({ status: 'passed' });
    // The guest had it (so its absence afterwards is the host's doing)...
    expect(seen[0]!.secretsEnv).toContain(SECRET);
    // ...and the job's folder, kept and uploaded with the logs, has it nowhere.
    expect(existsSync(join(passed.jobDir, 'guest/secrets.env'))).toBe(false);
    expect(existsSync(join(passed.jobDir, 'guest/job.env'))).toBe(true);
    // Also when the VM never starts.
    const failed = await runJob(jobsFile(''), pretendGuest(seen, 'cannot start'));
    expect(failed.outcome).toBeInstanceOf(Error);
    expect(seen[1]!.secretsEnv).toContain(SECRET);
    expect(existsSync(join(failed.jobDir, 'guest/secrets.env'))).toBe(false);
  });

  it("gives a shell's guest no secrets.env, though the job names a secret, and the terminal as its console", async () => {
    const seen: Seen[] = [];
    const shell = await runJob(jobsFile(''), pretendGuest(seen), { shell: true });
    expect(shell.outcome).toMatchObject({ status: 'passed' });
    expect(seen[0]!.secretsEnv).toBeUndefined();
    expect(seen[0]!.jobEnv).toMatch(/^VMPLAN_SHELL='?1'?$/m);
    expect(seen[0]!.jobEnv).toMatch(/^VMPLAN_WORKSPACE_MODE='?copy'?$/m);
    expect(seen[0]!.console).toBe('stdio');
    // A job's VM is the opposite: its secrets, its console in a file.
    await runJob(jobsFile(''), pretendGuest(seen));
    expect(seen[1]!.secretsEnv).toContain(SECRET);
    expect(seen[1]!.jobEnv).toMatch(/^VMPLAN_SHELL='?0'?$/m);
    expect(seen[1]!.console).toBeUndefined();
  });

  it("masks the guest's console log that is kept and uploaded", async () => {
    const { jobDir } = await runJob(jobsFile(''), pretendGuest([]));
    const kept = readFileSync(join(jobDir, 'console.log'), 'utf8');
    expect(kept).toBe('[    0.1] booting\nthe token is ***, and again:***\n');
    expect(kept).not.toContain(SECRET);
  });
});

/** A launcher whose "VM" does to its job share what `act` does (as a hostile root guest may), then exits `code`. */
function playGuest(act: (share: string, spec: VmSpec) => void, code = 0): VmLauncher {
  return {
    name: 'pretend',
    restControlled: false,
    enforcesReadOnlyShares: true,
    async launch(spec: VmSpec): Promise<VmProcess> {
      act(spec.shares.find((one) => one.tag === 'vmplan-job')!.hostPath, spec);
      return {
        pid: process.pid,
        exited: Promise.resolve({ code, signal: null }),
        stop: async () => {},
        stderrTail: () => '',
      };
    },
    failureMessage: (exit) => `the VM exited with code ${exit.code}`,
  };
}

/** A result.json as the guest agent writes it, with `fields` over a passed one. */
const resultJson = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: 1,
    status: 'passed',
    exitCode: 0,
    startedAt: null,
    finishedAt: new Date().toISOString(),
    message: null,
    ...fields,
  });

/** Every entry under `folder` that is neither a regular file nor a folder (links, pipes), by relative path. */
function oddEntries(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((name) => {
    const info = lstatSync(join(folder, name));
    return !info.isFile() && !info.isDirectory();
  });
}

describe('what the host keeps of what the guest left', () => {
  it("keeps result.json masked, and takes the guest's message as text: masked, without control characters", async () => {
    const { outcome, jobDir } = await runJob(
      jobsFile(''),
      playGuest((share) =>
        writeFileSync(
          join(share, 'result.json'),
          resultJson({
            status: 'failed',
            exitCode: 3,
            message: `deploy with ${SECRET}\u001b]0;owned\u0007 done`,
          }),
        ),
      ),
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      exitCode: 3,
      message: 'deploy with *** ]0;owned  done',
    });
    const kept = readFileSync(join(jobDir, 'guest/result.json'), 'utf8');
    expect(kept).toContain('deploy with ***');
    expect(kept).not.toContain(SECRET);
  });

  it("cuts console.log at log-bytes, masked, and says so in the job's log", async () => {
    const line = `the guest prints ${SECRET} without end\n`;
    const { jobDir } = await runJob(
      jobsFile(''),
      playGuest((share, spec) => {
        writeFileSync(spec.consoleLog, line.repeat(2000));
        writeFileSync(join(share, 'result.json'), resultJson());
      }),
      { limits: { ...DEFAULT_LIMITS, logBytes: 4096 } },
    );
    const kept = readFileSync(join(jobDir, 'console.log'), 'utf8');
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(4096);
    expect(kept.startsWith('the guest prints *** without end\n')).toBe(true);
    expect(kept).not.toContain(SECRET);
    expect(readFileSync(join(jobDir, 'host.log'), 'utf8')).toMatch(
      /console\.log cut at 4\.1 KB of .* \(limits\.log-bytes\)/,
    );
  });

  it("keeps no guest.log of the guest's own in the job share: it is unmasked (the job's guest.log is the masked copy)", async () => {
    const { jobDir } = await runJob(
      jobsFile(''),
      playGuest((share) => {
        writeFileSync(join(share, 'guest.log'), `printing ${SECRET}\n`);
        writeFileSync(join(share, 'result.json'), resultJson());
      }),
    );
    expect(existsSync(join(jobDir, 'guest/guest.log'))).toBe(false);
    expect(existsSync(join(jobDir, 'guest/result.json'))).toBe(true);
  });

  it('fails a job whose hypervisor exited with an error, whatever its result.json says', async () => {
    const { outcome } = await runJob(
      jobsFile(''),
      playGuest((share) => writeFileSync(join(share, 'result.json'), resultJson()), 1),
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      message: 'the VM exited with code 1',
      infrastructure: true,
    });
  });

  it('keeps workspace-changes only as a folder and workspace-deleted.txt only as a file, and clears the links and pipes the guest left', async () => {
    const host = mkdtempSync(join(root, 'host-'));
    writeFileSync(join(host, 'id_rsa'), 'HOST PRIVATE KEY');
    const linked = await runJob(
      jobsFile(''),
      playGuest((share) => {
        symlinkSync(host, join(share, 'workspace-changes'));
        symlinkSync(join(host, 'id_rsa'), join(share, 'workspace-deleted.txt'));
        symlinkSync(join(host, 'id_rsa'), join(share, 'notes.txt'));
        execFileSync('mkfifo', [join(share, 'pipe')]);
        writeFileSync(join(share, 'result.json'), resultJson());
      }),
    );
    for (const name of ['workspace-changes', 'workspace-deleted.txt'])
      expect(() => lstatSync(join(linked.jobDir, name)), name).toThrow(/ENOENT/);
    expect(oddEntries(linked.jobDir)).toEqual([]);
    expect(readFileSync(join(linked.jobDir, 'host.log'), 'utf8')).toContain(
      'removed 4 link(s), pipe(s) or device(s) the guest left in its share',
    );
    // Each the other's kind: a file for the folder, a folder for the file.
    const swapped = await runJob(
      jobsFile(''),
      playGuest((share) => {
        writeFileSync(join(share, 'workspace-changes'), 'a file\n');
        mkdirSync(join(share, 'workspace-deleted.txt'));
        writeFileSync(join(share, 'result.json'), resultJson());
      }),
    );
    for (const name of ['workspace-changes', 'workspace-deleted.txt'])
      expect(() => lstatSync(join(swapped.jobDir, name)), name).toThrow(/ENOENT/);
    const notes = readFileSync(join(swapped.jobDir, 'host.log'), 'utf8');
    expect(notes).toContain("left the guest's workspace-changes behind: it is not a plain folder");
    expect(notes).toContain("left the guest's workspace-deleted.txt behind: it is not a plain file");
    // The host's folder is as it was.
    expect(readdirSync(host)).toEqual(['id_rsa']);
    // The control: a real folder and file are kept, masked.
    const kept = await runJob(
      jobsFile(''),
      playGuest((share) => {
        mkdirSync(join(share, 'workspace-changes'));
        writeFileSync(join(share, 'workspace-changes/.npmrc'), `//registry/:_authToken=${SECRET}\n`);
        writeFileSync(join(share, 'workspace-deleted.txt'), 'old.txt\n');
        writeFileSync(join(share, 'result.json'), resultJson());
      }),
    );
    expect(readFileSync(join(kept.jobDir, 'workspace-changes/.npmrc'), 'utf8')).toBe(
      '//registry/:_authToken=***\n',
    );
    expect(readFileSync(join(kept.jobDir, 'workspace-deleted.txt'), 'utf8')).toBe('old.txt\n');
  });

  it("deletes the root disk's clone when the job passes, and keeps a failed job's only with keep-failed-disks", async () => {
    const image = join(root, 'root.img');
    writeFileSync(image, Buffer.alloc(64 * 1024, 7));
    const ending = (status: string) =>
      playGuest((share) =>
        writeFileSync(
          join(share, 'result.json'),
          resultJson(status === 'passed' ? {} : { status, exitCode: 1 }),
        ),
      );
    const kept = (run: { jobDir: string }) => existsSync(join(run.jobDir, 'disk.img'));
    expect(kept(await runJob(jobsFile(''), ending('passed'), { disk: image, keepFailedDisks: true }))).toBe(
      false,
    );
    expect(kept(await runJob(jobsFile(''), ending('failed'), { disk: image, keepFailedDisks: true }))).toBe(
      true,
    );
    expect(kept(await runJob(jobsFile(''), ending('failed'), { disk: image }))).toBe(false);
    // The image itself is never the guest's to change.
    expect(readFileSync(image).equals(Buffer.alloc(64 * 1024, 7))).toBe(true);
  });
});

describe.runIf(process.getuid?.() === 0 && process.platform === 'linux')(
  'shares a root share server keeps set-id bits in (virtiofsd)',
  () => {
    it('are nosuid,nodev while the guest runs, swept of set-id bits after it, and mounted no longer', async () => {
      const seen: [string, boolean][] = [];
      const shares: string[] = [];
      const launcher: VmLauncher = {
        ...playGuest((share, spec) => {
          for (const one of spec.shares) {
            seen.push([one.tag, isInert(one.hostPath)]);
            if (!one.readOnly) shares.push(one.hostPath);
          }
          // A root guest marks files set-user-id and set-group-id in every share it can write.
          for (const folder of [share, spec.shares.find((one) => one.tag === 'vmplan-cache-npm')!.hostPath]) {
            writeFileSync(join(folder, 'suid'), '#!/bin/sh\nid\n');
            chmodSync(join(folder, 'suid'), 0o6755);
          }
          writeFileSync(join(share, 'result.json'), resultJson());
        }),
        sharesKeepSetId: true,
      };
      const { outcome } = await runJob(jobsFile(', caches: { npm: /home/vmplan/.npm }'), launcher);
      expect(outcome).toMatchObject({ status: 'passed' });
      expect(seen).toEqual([
        ['vmplan-job', true],
        // The snapshot, which QEMU's 9p keeps read-only itself (enforcesReadOnlyShares), needs no mount.
        ['vmplan-work', false],
        ['vmplan-cache-npm', true],
      ]);
      for (const folder of shares) {
        expect(isInert(folder), folder).toBe(false);
        if (existsSync(join(folder, 'suid')))
          expect(statSync(join(folder, 'suid')).mode & 0o7777, folder).toBe(0o755);
      }
      // The cache outlives the job: its file is there, plain.
      expect(existsSync(join(shares[1]!, 'suid'))).toBe(true);
      // A workspace the job writes (workspace mode copy) is kept: swept before its mount goes.
      const copied = await runJob(
        jobsFile(''),
        {
          ...playGuest((share, spec) => {
            const workspace = spec.shares.find((one) => one.tag === 'vmplan-work')!;
            seen.push([`copy ${workspace.tag}`, isInert(workspace.hostPath)]);
            writeFileSync(join(workspace.hostPath, 'suid'), '#!/bin/sh\nid\n');
            chmodSync(join(workspace.hostPath, 'suid'), 0o6755);
            writeFileSync(join(share, 'result.json'), resultJson());
          }),
          sharesKeepSetId: true,
        },
        { copy: true },
      );
      expect(seen.at(-1)).toEqual(['copy vmplan-work', true]);
      expect(statSync(join(copied.jobDir, 'workspace/suid')).mode & 0o7777).toBe(0o755);
      expect(isInert(join(copied.jobDir, 'workspace'))).toBe(false);
    });
  },
);
