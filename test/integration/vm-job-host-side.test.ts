// The host side of a VM job, with a launcher that plays the guest in this process: what the host writes for the
// guest (the timeout the agent enforces, secrets.env) and what it keeps after the VM (console.log masked, no
// secrets.env), observed in the files themselves. No hypervisor needed, so every such promise is checked on every
// run; the VM tests (test/e2e, test/security) check the same through a real guest.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/executors/contract.js';
import { runVmJob, type VmLauncher, type VmProcess } from '../../src/executors/vm/vm-job.js';
import type { VmSpec } from '../../src/executors/vm/vm-spec.js';
import { buildPlan } from '../../src/plan/build.js';
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
      writeFileSync(
        join(share, 'result.json'),
        JSON.stringify({
          version: 1,
          status: 'passed',
          exitCode: 0,
          startedAt: null,
          finishedAt: new Date().toISOString(),
          message: null,
        }),
      );
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
async function runJob(yaml: string, launcher: VmLauncher, options: { shell?: boolean } = {}) {
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
        if (options.shell !== true) throw new Error('not used: the pretend launcher keeps shares read-only');
        mkdirSync(target, { recursive: true });
        return { ms: 0, method: 'copy' };
      },
    },
    image: {
      name: 'guest',
      arch: 'arm64',
      kernel: '/i/Image',
      initrd: '/i/initrd',
      disk: null,
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
  };
  const settings = {
    socketDir: dir,
    workspaceMode: 'overlay' as const,
    // Already handed to the guest user: no chown of the test's folders.
    writableFolders: new Map([[snapshotDir, Promise.resolve()]]),
    keepFailedDisks: false,
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
