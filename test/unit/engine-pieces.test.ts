// The engine's small decisions, each on its own: where a repository's caches live, what a node takes from the
// machine, what the machine offers, and how a dependency's end is worded in a skip reason.
import { availableParallelism, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { guestNetwork, sharedCachesDir } from '../../src/engine/run-node.js';
import { demandOf, describeOutcome } from '../../src/engine/scheduler.js';
import { hostCapacity, preflightRun, secretsOf } from '../../src/engine/start-run.js';
import type { InputError } from '../../src/errors.js';
import type { JobExecutor } from '../../src/executors/contract.js';
import { buildVmSpec } from '../../src/executors/vm/vm-spec.js';
import { buildPlan } from '../../src/plan/build.js';
import { trustedPolicy } from '../../src/plan/trust.js';
import type { NodeStatus } from '../../src/records/schema.js';
import { context, jobs } from '../support/jobs.js';

describe("a repository's named caches", () => {
  const untrusted = { trusted: false, reason: 'trust: untrusted (a fork)', imagePaths: [] };

  it('live per repository and per trust level, the repository name made one safe folder name', () => {
    expect(sharedCachesDir('/c', 'acme/widgets', trustedPolicy())).toBe('/c/shared/acme_widgets/trusted');
    expect(sharedCachesDir('/c', 'acme/widgets', untrusted)).toBe('/c/shared/acme_widgets/untrusted');
    expect(sharedCachesDir('/c', null, trustedPolicy())).toBe('/c/shared/local/trusted');
    expect(sharedCachesDir('/c', '../../etc', untrusted)).toBe('/c/shared/__.._etc/untrusted');
    expect(sharedCachesDir('/c', 'a b:c', untrusted)).toBe('/c/shared/a_b_c/untrusted');
  });
});

describe("a VM job's network device", () => {
  const untrusted = (network?: 'nat' | 'none') => ({
    trusted: false,
    reason: 'trust: untrusted',
    imagePaths: [],
    ...(network === undefined ? {} : { network }),
  });

  it('is there unless the job asks for none, or an untrusted run is held to untrusted-network: none', () => {
    expect(guestNetwork({}, trustedPolicy())).toBe(true);
    expect(guestNetwork({ network: 'none' }, trustedPolicy())).toBe(false);
    expect(guestNetwork({}, untrusted())).toBe(true);
    expect(guestNetwork({}, untrusted('nat'))).toBe(true);
    expect(guestNetwork({}, untrusted('none'))).toBe(false);
    expect(guestNetwork({ network: 'none' }, untrusted('nat'))).toBe(false);
    // A trusted run is not held to the untrusted setting, whatever the policy carries.
    expect(guestNetwork({}, { ...trustedPolicy(), network: 'none' })).toBe(true);
  });
});

describe('what a node takes from the machine', () => {
  const plan = buildPlan(
    jobs(`version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
jobs:
  small: { run: x, image: guest, executor: qemu, cpus: 3, memory: 768 }
  plain: { run: x, image: guest, executor: qemu }
  host: { run: x, executor: host }
`),
    context(),
  );
  const node = (id: string) => plan.nodes.find((one) => one.id === id)!;

  it("a VM job its CPUs and memory (the plan's defaults when the job sets none); anything else nothing", () => {
    expect(demandOf(node('job:small'))).toEqual({ cpus: 3, memoryMiB: 768 });
    expect(demandOf(node('job:plain'))).toEqual({ cpus: 2, memoryMiB: 2048 });
    expect(demandOf(node('job:host'))).toEqual({ cpus: 0, memoryMiB: 0 });
    expect(demandOf(node('image:guest'))).toEqual({ cpus: 0, memoryMiB: 0 });
  });

  it('a hand-made plan without sizes takes what its VM will be given, not less', () => {
    const plain = node('job:plain');
    if (plain.kind !== 'execute') throw new Error('not a job');
    const unsized = { ...plain, cpus: null, memory: null };
    const spec = buildVmSpec({
      node: unsized,
      image: { name: 'guest', arch: 'arm64', kernel: '/k', initrd: '/i', disk: null, cmdline: null },
      jobShare: '/j',
      workShare: '/w',
      disk: null,
      consoleLog: '/c',
      restSocket: '/s',
      pidFile: '/p',
      workShareWritable: false,
    });
    expect(demandOf(unsized)).toEqual({ cpus: spec.cpus, memoryMiB: spec.memoryMiB });
  });

  it("refuses a run whose secrets are missing or empty in the runner's environment, or whose executor is not here", async () => {
    const secretive = buildPlan(
      jobs(`version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
jobs:
  deploy: { run: x, executor: host, secrets: [API_TOKEN] }
  publish: { run: x, executor: host, secrets: [API_TOKEN, NPM_TOKEN] }
  vm: { run: x, image: guest, executor: qemu }
`),
      context(),
    );
    const host: JobExecutor = {
      name: 'host',
      runJob: async () => ({ status: 'passed', exitCode: 0, message: null }),
    };
    const roomy = { slots: 4, cpus: 64, memoryMiB: 1 << 20 };
    const refusal = (env: NodeJS.ProcessEnv, executors: Partial<Record<'host' | 'qemu', JobExecutor>>) =>
      preflightRun(secretive, env, executors, roomy).then(
        () => [],
        (error: unknown) => (error as InputError).problems.map((problem) => problem.message),
      );
    const both = { host, qemu: host };
    expect(await refusal({ API_TOKEN: 'a', NPM_TOKEN: 'n' }, both)).toEqual([]);
    expect(await refusal({ API_TOKEN: '', NPM_TOKEN: 'n' }, both)).toEqual([
      'secret API_TOKEN is not set in the environment (needed by job:deploy, job:publish)',
    ]);
    expect(await refusal({ API_TOKEN: 'a' }, { host })).toEqual([
      'the qemu executor is not available here (needed by 1 job(s)); run with --executor host, or on a machine that has it',
      'secret NPM_TOKEN is not set in the environment (needed by job:publish)',
    ]);
  });

  it('a VM exactly as large as what the machine offers runs; one CPU or one MiB more is refused before the run', async () => {
    const idle = (name: string): JobExecutor => ({
      name,
      runJob: async () => ({ status: 'passed', exitCode: 0, message: null }),
    });
    const executors = { qemu: idle('qemu'), host: idle('host') };
    const largest = { slots: 1, cpus: 3, memoryMiB: 2048 }; // "plain" takes the default 2048 MiB, "small" 3 CPUs
    await expect(preflightRun(plan, {}, executors, largest)).resolves.toBeUndefined();
    const refusal = async (capacity: typeof largest) =>
      preflightRun(plan, {}, executors, capacity).then(
        () => [],
        (error: unknown) => (error as InputError).problems.map((problem) => problem.message),
      );
    expect(await refusal({ ...largest, cpus: 2 })).toEqual(['job:small asks for 3 CPUs; this machine has 2']);
    expect(await refusal({ ...largest, memoryMiB: 2047 })).toEqual([
      'job:plain asks for 2048 MiB of memory; at most 2047 MiB can go to guests here',
    ]);
  });

  it('the machine offers its CPUs, its memory less 2 GiB (at least 1 GiB), and --max-parallel slots', () => {
    const memoryMiB = Math.max(1024, Math.floor(totalmem() / 1024 / 1024) - 2048);
    expect(hostCapacity(undefined)).toEqual({
      slots: availableParallelism(),
      cpus: availableParallelism(),
      memoryMiB,
    });
    expect(hostCapacity(7)).toEqual({ slots: 7, cpus: availableParallelism(), memoryMiB });
  });
});

describe('skip reasons', () => {
  it('word how a dependency ended', () => {
    const statuses: NodeStatus[] = ['timed_out', 'skipped', 'failed', 'cancelled'];
    expect(statuses.map(describeOutcome)).toEqual(['timed out', 'was skipped', 'failed', 'cancelled']);
  });
});

describe("the secrets a run reads from the runner's environment", () => {
  const plan = buildPlan(
    jobs(`version: 1
images:
  g: { arch: arm64, kernel: k, initrd: i }
jobs:
  a: { run: x, image: g, executor: qemu, secrets: [NPM_READ_TOKEN, DEPLOY_KEY] }
`),
    context(),
  );
  const env = { NPM_READ_TOKEN: 'npm-read', DEPLOY_KEY: 'deploy-key', OTHER: 'other' };

  it('an untrusted run reads only the names untrusted-secrets allows, even from a plan that got past the check', () => {
    const untrusted = { ...trustedPolicy('trust: untrusted'), trusted: false };
    expect(secretsOf(plan, env, { ...untrusted, untrustedSecrets: ['NPM_READ_TOKEN'] })).toEqual({
      NPM_READ_TOKEN: 'npm-read',
    });
    expect(secretsOf(plan, env, untrusted)).toEqual({});
  });

  it('a trusted run reads every name its jobs ask for, and nothing else', () => {
    expect(secretsOf(plan, env, trustedPolicy())).toEqual({
      NPM_READ_TOKEN: 'npm-read',
      DEPLOY_KEY: 'deploy-key',
    });
  });
});
