// What the engine promises about stopping, waiting, preparing images and the records of a run, driven in this
// process through startRun: real host jobs where a real process shows it, executors and an image preparer that
// follow a script where the outcome cannot be produced on demand (a VM job, an executor slow to stop). In process
// so that mutation testing sees the engine.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProgressReporter } from '../../src/engine/run-plan.js';
import { startRun } from '../../src/engine/start-run.js';
import { InputError } from '../../src/errors.js';
import { availableExecutors } from '../../src/executors/available.js';
import type { JobContext, JobExecutor, JobOutcome, PreparedImage } from '../../src/executors/contract.js';
import type { ImagePreparer, PrepareContext, PrepareOutcome } from '../../src/images/contract.js';
import { buildPlan } from '../../src/plan/build.js';
import { decideTrust } from '../../src/plan/trust.js';
import { StateLayout } from '../../src/records/layout.js';
import type { NodeRecord, RunRecord } from '../../src/records/schema.js';
import type { RunStore } from '../../src/records/store.js';
import { processAlive } from '../../src/util/lease.js';
import { context, jobs } from '../support/jobs.js';
import { testProject } from '../support/project.js';

/** Resolves when `signal` aborts. */
const abortOf = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An executor that runs each job as `script` says (for outcomes a real job cannot produce on demand). */
function scripted(name: string, script: (context: JobContext) => Promise<JobOutcome>): JobExecutor {
  return { name, runJob: script };
}

/** A promise and the function that resolves it. */
function signalled<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

interface Options {
  executors?: Partial<Record<'host' | 'qemu', JobExecutor>>;
  preparer?: ImagePreparer;
  failFast?: boolean;
  signal?: AbortSignal;
  maxParallel?: number;
  verbose?: boolean;
  timeoutGraceMs?: number;
  cancelGraceMs?: number;
  /** Runs in this project (a rerun), not a fresh one. */
  root?: string;
  rerun?: { of: string; snapshotRun: string };
  /** Told each note about the run itself, as it is made. */
  onNote?: (line: string) => void;
  /** Told when a job is about to be tried again (after its attempt was recorded, before the next starts). */
  onRetry?: () => void;
  /** The runner's environment (secret values come from it). */
  env?: NodeJS.ProcessEnv;
}

/** Starts a run of a jobs file in a fresh project, in this process: its promise, and what it reported as it went. */
async function start(yaml: string, options: Options = {}) {
  const project = { root: options.root ?? testProject(yaml, 'vmplan-guarantees-').root };
  const plan = buildPlan(jobs(yaml), context());
  const layout = new StateLayout(join(project.root, '.vmplan'));
  const events: string[] = [];
  const live: string[] = [];
  const notes: string[] = [];
  let store: RunStore | undefined;
  const progress: ProgressReporter = {
    nodeStarted: (node) => events.push(`start ${node.id}`),
    nodeFinished: (node, record: NodeRecord) => events.push(`end ${node.id} ${record.status}`),
    nodeRetrying: (node, attempt, of) => {
      events.push(`retry ${node.id} ${attempt.attempt}/${of} ${attempt.status}`);
      options.onRetry?.();
    },
    liveSink: () => ({ write: (text: string) => void live.push(text) }),
  };
  const executors =
    options.executors ??
    (await availableExecutors(['host'], {
      env: process.env,
      cacheDir: layout.cacheDir,
      base: project.root,
      options: {},
    }));
  const done = startRun({
    plan,
    planPath: 'plan.json',
    layout,
    repositoryRoot: project.root,
    env: options.env ?? process.env,
    executors,
    preparer: options.preparer,
    maxParallel: options.maxParallel,
    failFast: options.failFast ?? true,
    rerun: options.rerun,
    progress,
    trust: decideTrust('trusted', { event: null, forkPullRequest: false }, { imagePaths: [] }),
    note: (line) => {
      notes.push(line);
      options.onNote?.(line);
    },
    verbose: options.verbose,
    signal: options.signal ?? new AbortController().signal,
    onCreated: (created) => {
      store = created;
    },
    // Short graces unless the test gives its own, or undefined for the engine's defaults.
    timeoutGraceMs: 'timeoutGraceMs' in options ? options.timeoutGraceMs : 1000,
    cancelGraceMs: 'cancelGraceMs' in options ? options.cancelGraceMs : 1000,
  });
  const jobDir = (record: RunRecord, job: string) => join(layout.runDir(record.runId), 'jobs', job);
  const status = (record: RunRecord, job: string): NodeRecord =>
    JSON.parse(readFileSync(join(jobDir(record, job), 'status.json'), 'utf8'));
  return { done, events, live, notes, layout, store: () => store!, jobDir, status, root: project.root };
}

describe('stopping a job: the grace it gets and what the engine waits for', () => {
  /** The grace each of two jobs was given to stop: "hangs" timed out, then "waits" was cancelled with the run. */
  async function gracesGiven(grace: Pick<Options, 'timeoutGraceMs' | 'cancelGraceMs'>) {
    const graces: Record<string, number> = {};
    const host = scripted('host', async (job) => {
      await abortOf(job.signal);
      graces[job.node.job] = job.killGraceMs();
      return { status: 'failed', exitCode: 143, message: 'stopped' };
    });
    const controller = new AbortController();
    const run = await start(
      `version: 1
defaults: { executor: host }
jobs:
  hangs: { run: x, timeout-minutes: 0.01 }
  waits: { run: x }
`,
      { executors: { host }, failFast: false, maxParallel: 2, signal: controller.signal, ...grace },
    );
    // Once the timed-out job has ended, cancel the run: the other job is stopped as cancelled.
    while (!run.events.includes('end job:hangs timed_out')) await sleep(20);
    controller.abort('stop');
    const record = await run.done;
    expect(run.status(record, 'hangs')).toMatchObject({ status: 'timed_out' });
    expect(run.status(record, 'waits')).toMatchObject({ status: 'cancelled', message: 'stop' });
    return graces;
  }

  it('a timed-out job is given the timeout grace to stop, a cancelled one the (shorter) cancel grace', async () => {
    expect(await gracesGiven({ timeoutGraceMs: 3000, cancelGraceMs: 700 })).toEqual({
      hangs: 3000,
      waits: 700,
    });
  });

  it("by default the README's graces: 5 s after a timeout, 2 s after a cancel", async () => {
    expect(await gracesGiven({ timeoutGraceMs: undefined, cancelGraceMs: undefined })).toEqual({
      hangs: 5000,
      waits: 2000,
    });
  });

  it('keeps the result of an executor that stopped within its grace (its exit code), and abandons one that never stops so the run still ends', async () => {
    const controller = new AbortController();
    const bothRunning = { prompt: signalled(), stuck: signalled() };
    const host = scripted('host', async (job) => {
      const name = job.node.job as 'prompt' | 'stuck';
      bothRunning[name].resolve();
      await abortOf(job.signal);
      if (name === 'stuck') return new Promise<JobOutcome>(() => undefined);
      // Stops a little after it was asked to, well within its grace.
      await sleep(200);
      return { status: 'failed', exitCode: 143, message: 'terminated' };
    });
    const run = await start(
      `version: 1
defaults: { executor: host }
jobs:
  prompt: { run: x }
  stuck: { run: x }
`,
      { executors: { host }, maxParallel: 2, signal: controller.signal, cancelGraceMs: 1000 },
    );
    await Promise.all([bothRunning.prompt.promise, bothRunning.stuck.promise]);
    controller.abort('the user pressed Ctrl-C');
    const record = await run.done;
    expect(record.status).toBe('cancelled');
    expect(run.status(record, 'prompt')).toMatchObject({ status: 'cancelled', exitCode: 143 });
    // The engine stopped waiting for it: cancelled, with no exit code of its own.
    expect(run.status(record, 'stuck')).toMatchObject({ status: 'cancelled', exitCode: null });
  });

  it('a job being retried is stopped by a cancel of the run, and no further attempt starts', async () => {
    const controller = new AbortController();
    const second = signalled();
    let calls = 0;
    const host = scripted('host', async (job) => {
      calls += 1;
      if (calls === 1) return { status: 'failed', exitCode: 1, message: 'exited with code 1' };
      second.resolve();
      // Without the cancel reaching this attempt it would pass after a while.
      await Promise.race([abortOf(job.signal), sleep(20_000)]);
      return job.signal.aborted
        ? { status: 'failed', exitCode: 143, message: 'terminated' }
        : { status: 'passed', exitCode: 0, message: null };
    });
    const run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  flaky: { run: x, retries: 2 }\n',
      {
        executors: { host },
        signal: controller.signal,
      },
    );
    await second.promise;
    controller.abort('stop');
    const record = await run.done;
    expect(calls).toBe(2);
    const flaky = run.status(record, 'flaky');
    expect(flaky.status).toBe('cancelled');
    expect(flaky.attempts!.map((attempt) => [attempt.attempt, attempt.status])).toEqual([
      [1, 'failed'],
      [2, 'cancelled'],
    ]);
    expect(run.events).toContain('retry job:flaky 1/3 failed');
  });

  it('records the attempts of a retried job before the next one runs, each timed-out attempt as timed out', async () => {
    let seenByThird: NodeRecord | undefined;
    let calls = 0;
    let status: (() => NodeRecord) | undefined;
    const host = scripted('host', async (job) => {
      calls += 1;
      if (calls === 3) {
        seenByThird = status?.();
        return { status: 'passed', exitCode: 0, message: null };
      }
      // The executor's own timeout (a guest that reported it), then a timeout of the attempt itself.
      if (calls === 1) return { status: 'timed_out', exitCode: null, message: 'the guest timed out' };
      await abortOf(job.signal);
      return { status: 'failed', exitCode: 143, message: 'terminated' };
    });
    const run = await start(
      `version: 1
defaults: { executor: host }
jobs:
  slow: { run: x, retries: 2, retry-on: [timeout], timeout-minutes: 0.01 }
`,
      { executors: { host }, timeoutGraceMs: 200 },
    );
    const runId = await (async () => {
      while (run.store() === undefined) await sleep(10);
      return run.store().runId;
    })();
    status = () =>
      JSON.parse(readFileSync(join(run.layout.runDir(runId), 'jobs/slow/status.json'), 'utf8')) as NodeRecord;
    const record = await run.done;
    expect(record.status).toBe('passed');
    expect(seenByThird?.status).toBe('running');
    expect(seenByThird?.attempts?.map((attempt) => [attempt.attempt, attempt.status, attempt.cause])).toEqual(
      [
        [1, 'timed_out', 'timeout'],
        [2, 'timed_out', 'timeout'],
      ],
    );
    expect(run.events.filter((event) => event.startsWith('retry'))).toEqual([
      'retry job:slow 1/3 timed_out',
      'retry job:slow 2/3 timed_out',
    ]);
    expect(run.status(record, 'slow').attempts!.map((attempt) => attempt.status)).toEqual([
      'timed_out',
      'timed_out',
      'passed',
    ]);
  });
});

describe('images and VM jobs', () => {
  const prepared: PreparedImage = {
    name: 'base',
    arch: 'arm64',
    kernel: '/images/base/kernel',
    initrd: '/images/base/initrd',
    disk: null,
    cmdline: null,
  };
  const yaml = `version: 1
images:
  base: { arch: arm64, kernel: k, initrd: i, cpus: 1, memory: 256 }
  broken: { arch: arm64, kernel: k2, initrd: i2, cpus: 1, memory: 256 }
jobs:
  vm: { run: x, image: base, executor: qemu, cpus: 1, memory: 256 }
  vm-broken: { run: x, image: broken, executor: qemu, cpus: 1, memory: 256 }
`;

  it('prepares an image before the jobs that boot it, hands them the prepared image, and skips the users of one that failed', async () => {
    const recordedWhilePreparing: Record<string, NodeRecord['process']> = {};
    const preparer: ImagePreparer = {
      async prepare(image: PrepareContext): Promise<PrepareOutcome> {
        // What runs for the image is recorded while it runs (so a later vmplan can stop it).
        image.onProcess({ pid: process.pid, group: false, restSocket: null });
        const status = JSON.parse(readFileSync(join(image.nodeDir, 'status.json'), 'utf8')) as NodeRecord;
        recordedWhilePreparing[image.node.image] = status.process;
        return image.node.image === 'base'
          ? { status: 'passed', image: prepared, cached: true, message: null }
          : { status: 'failed', image: undefined, cached: false, message: 'kernel k2 is not there' };
      },
    };
    const booted: Record<string, PreparedImage | undefined> = {};
    const qemu = scripted('qemu', async (job) => {
      booted[job.node.job] = job.image;
      return { status: 'passed', exitCode: 0, message: null };
    });
    const run = await start(yaml, { executors: { qemu }, preparer, maxParallel: 1, failFast: false });
    const record = await run.done;
    expect(booted).toEqual({ vm: prepared });
    expect(recordedWhilePreparing).toEqual({
      base: { pid: process.pid, group: false, restSocket: null },
      broken: { pid: process.pid, group: false, restSocket: null },
    });
    expect(run.events.indexOf('end image:base passed')).toBeLessThan(run.events.indexOf('start job:vm'));
    expect(run.events).toContain('end image:broken failed');
    expect(run.status(record, 'vm-broken')).toMatchObject({
      status: 'skipped',
      message: 'needs image "broken", which failed',
    });
    const image = (name: string) =>
      JSON.parse(readFileSync(join(run.layout.runDir(record.runId), 'images', name, 'status.json'), 'utf8'));
    expect(image('base')).toMatchObject({ status: 'passed', cached: true });
    expect(image('broken')).toMatchObject({ status: 'failed', message: 'kernel k2 is not there' });
    // The run counts jobs, not images.
    expect(record).toMatchObject({
      status: 'failed',
      message: 'image "broken" failed; 1 of 2 job(s) did not pass',
    });
  });

  it('an image with no preparer in this build fails, and its jobs are skipped, never booted without it', async () => {
    let booted = 0;
    const qemu = scripted('qemu', async () => {
      booted += 1;
      return { status: 'passed', exitCode: 0, message: null };
    });
    const run = await start(yaml, { executors: { qemu }, failFast: false });
    const record = await run.done;
    expect(booted).toBe(0);
    const image = JSON.parse(
      readFileSync(join(run.layout.runDir(record.runId), 'images/base/status.json'), 'utf8'),
    ) as NodeRecord;
    expect(image).toMatchObject({
      status: 'failed',
      message: 'no image preparer is available in this build',
    });
    expect(run.status(record, 'vm')).toMatchObject({
      status: 'skipped',
      message: 'needs image "base", which failed',
    });
  });

  it('a VM job gets a guest log next to its host log; a host job none', async () => {
    const gotGuestLog: Record<string, boolean> = {};
    const runJob = async (job: JobContext): Promise<JobOutcome> => {
      gotGuestLog[job.node.job] = job.guestLog !== undefined;
      await job.guestLog?.note('guest: booted');
      return { status: 'passed', exitCode: 0, message: null };
    };
    const preparer: ImagePreparer = {
      prepare: async () => ({ status: 'passed', image: prepared, cached: true, message: null }),
    };
    const run = await start(
      `version: 1
images:
  base: { arch: arm64, kernel: k, initrd: i, cpus: 1, memory: 256 }
jobs:
  vm: { run: x, image: base, executor: qemu, cpus: 1, memory: 256 }
  plain: { run: x, executor: host }
`,
      { executors: { qemu: scripted('qemu', runJob), host: scripted('host', runJob) }, preparer },
    );
    const record = await run.done;
    expect(record.status).toBe('passed');
    expect(gotGuestLog).toEqual({ vm: true, plain: false });
    expect(readFileSync(join(run.jobDir(record, 'vm'), 'guest.log'), 'utf8')).toBe('guest: booted\n');
    expect(existsSync(join(run.jobDir(record, 'plain'), 'guest.log'))).toBe(false);
  });
});

describe('what a job shows live', () => {
  it("details (a VM's command line) go to host.log always, and live only with --verbose", async () => {
    const host = scripted('host', async (job) => {
      await job.log.detail('vmplan: qemu-system-aarch64 -m 256');
      return { status: 'passed', exitCode: 0, message: null };
    });
    const yaml = 'version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: x }\n';
    for (const verbose of [false, true]) {
      const run = await start(yaml, { executors: { host }, verbose });
      const record = await run.done;
      expect(readFileSync(join(run.jobDir(record, 'one'), 'host.log'), 'utf8')).toContain(
        'vmplan: qemu-system-aarch64 -m 256\n',
      );
      expect([verbose, run.live.join('').includes('qemu-system-aarch64')]).toEqual([verbose, verbose]);
    }
  });
});

describe('real host jobs: what the records say while and after they run', () => {
  it("records a running job's process group while it runs, so a later vmplan can stop it; none once it ended", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmplan-guarantees-'));
    const run = await start(
      `version: 1
defaults: { executor: host }
jobs:
  long: { run: 'touch ${dir}/started; while [ ! -e ${dir}/go ]; do sleep 0.05; done' }
`,
    );
    while (!existsSync(join(dir, 'started'))) await sleep(20);
    const runId = run.store().runId;
    const running = JSON.parse(
      readFileSync(join(run.layout.runDir(runId), 'jobs/long/status.json'), 'utf8'),
    ) as NodeRecord;
    expect(running.status).toBe('running');
    expect(running.process).toMatchObject({ group: true });
    expect(processAlive(running.process!.pid)).toBe(true);
    writeFileSync(join(dir, 'go'), '');
    const record = await run.done;
    expect(run.status(record, 'long')).toMatchObject({ status: 'passed', process: null });
  });

  it('an engine error while jobs run waits for them to stop (within their grace) before the run ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmplan-guarantees-'));
    const run = await start(
      `version: 1
defaults: { executor: host }
jobs:
  a: { run: 'while [ ! -e ${dir}/ready ]; do sleep 0.05; done; d=$VMPLAN_NODE_DIR; cd /; rm -rf "$d"; touch "$d"' }
  slow-to-stop: { run: 'trap "sleep 0.5; touch ${dir}/stopped; exit 143" TERM; touch ${dir}/ready; sleep 300 & wait' }
  later: { run: x, needs: slow-to-stop }
`,
      { maxParallel: 2, cancelGraceMs: 5000 },
    );
    const record = await run.done;
    expect(record.status).toBe('failed');
    expect(record.message).toMatch(/^vmplan error during the run \(its jobs were stopped\): /);
    // It was asked to stop and had finished stopping when the run ended.
    expect(existsSync(join(dir, 'stopped'))).toBe(true);
    expect(run.status(record, 'slow-to-stop')).toMatchObject({ status: 'cancelled', process: null });
    // What had not started was stopped with the run, not skipped for a dependency's sake.
    expect(run.status(record, 'later')).toMatchObject({
      status: 'cancelled',
      message: record.message,
    });
  });
});

describe('before and around the run', () => {
  it("an executor's own preflight refusal stops the run before anything exists", async () => {
    const host: JobExecutor = {
      ...scripted('host', async () => ({ status: 'passed', exitCode: 0, message: null })),
      preflight: async () => {
        throw new InputError('the host executor needs bash 5 here');
      },
    };
    const run = await start('version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: x }\n', {
      executors: { host },
    });
    await expect(run.done).rejects.toThrow('the host executor needs bash 5 here');
    expect(existsSync(run.layout.runsDir)).toBe(false);
  });

  it('a run cancelled before it starts is cancelled, not a problem of vmplan (no infrastructure problem, exit 130 not 3)', async () => {
    const controller = new AbortController();
    controller.abort('stopped early');
    let ran = false;
    const host = scripted('host', async () => {
      ran = true;
      return { status: 'passed', exitCode: 0, message: null };
    });
    const run = await start('version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: x }\n', {
      executors: { host },
      signal: controller.signal,
    });
    const record = await run.done;
    expect(ran).toBe(false);
    expect(record).toMatchObject({ status: 'cancelled', message: 'stopped early' });
    expect(run.status(record, 'one')).toMatchObject({ status: 'cancelled', message: 'stopped early' });
    expect(run.store().infrastructureProblems).toEqual([]);
    expect(run.notes.filter((note) => note.startsWith('vmplan:'))).toEqual([]);
  });
});

describe('where the time went', () => {
  it("records a job's phases from its start, and each attempt's from the attempt's own start", async () => {
    let calls = 0;
    const host = scripted('host', async () => {
      calls += 1;
      const start = Date.now();
      await sleep(200);
      const phases = [{ phase: 'command' as const, start, end: Date.now() }];
      return calls === 1
        ? { status: 'failed', exitCode: 1, message: 'exited with code 1', phases }
        : { status: 'passed', exitCode: 0, message: null, phases };
    });
    const run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: x, retries: 1 }\n',
      {
        executors: { host },
      },
    );
    const record = await run.done;
    const one = run.status(record, 'one');
    expect(one.status).toBe('passed');
    const command = (phases: { phase: string; ms: number; startMs: number }[] | undefined) =>
      phases?.find((phase) => phase.phase === 'command');
    // The second attempt's command ran after the first attempt's 200 ms: measured from the job's start.
    expect(command(one.phases)).toMatchObject({ ms: expect.any(Number) });
    expect(command(one.phases)!.ms).toBeGreaterThanOrEqual(150);
    expect(command(one.phases)!.startMs).toBeGreaterThanOrEqual(150);
    expect(command(one.attempts![0]!.phases)!.ms).toBeGreaterThanOrEqual(150);
    expect(command(one.attempts![1]!.phases)!.ms).toBeGreaterThanOrEqual(150);
  });
});

describe('a run stopped the moment its jobs would start', () => {
  it('a rerun cancelled as it starts runs no job and ends cancelled, saying why', async () => {
    let calls = 0;
    const host = scripted('host', async () => {
      calls += 1;
      return { status: 'passed', exitCode: 0, message: null };
    });
    const yaml = 'version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: x }\n';
    const first = await start(yaml, { executors: { host } });
    const firstRecord = await first.done;
    expect(calls).toBe(1);
    const controller = new AbortController();
    const rerun = await start(yaml, {
      executors: { host },
      root: first.root,
      rerun: { of: firstRecord.runId, snapshotRun: firstRecord.runId },
      signal: controller.signal,
      // The snapshot is reused, so nothing else notices the signal before the jobs would start.
      onNote: (line) => line.startsWith('Reusing') && controller.abort('stopped at once'),
    });
    const record = await rerun.done;
    expect(calls).toBe(1);
    expect(record).toMatchObject({ status: 'cancelled', message: 'stopped at once' });
    expect(rerun.status(record, 'one')).toMatchObject({ status: 'cancelled', message: 'stopped at once' });
  });
});

describe('fail-fast and a matrix', () => {
  it("a variant of a matrix with fail-fast: false fails alone; the run's message names the first failure", async () => {
    const ended = (run: { events: string[] }, id: string) =>
      (async () => {
        while (!run.events.some((event) => event.startsWith(`end job:${id} `))) await sleep(10);
      })();
    let run: Awaited<ReturnType<typeof start>> | undefined;
    const host = scripted('host', async (job) => {
      while (run === undefined || run.events.filter((event) => event.startsWith('start')).length < 4)
        await sleep(10);
      const id = job.node.job;
      // test-n-1 fails, then test-n-2; test-n-3 and the other job are still running then, and pass.
      if (id === 'test-n-2') await ended(run, 'test-n-1');
      if (id === 'test-n-3' || id === 'other')
        await Promise.race([ended(run, 'test-n-2'), abortOf(job.signal)]);
      if (job.signal.aborted) return { status: 'failed', exitCode: 143, message: 'terminated' };
      return id === 'test-n-1' || id === 'test-n-2'
        ? { status: 'failed', exitCode: 1, message: 'exited with code 1' }
        : { status: 'passed', exitCode: 0, message: null };
    });
    run = await start(
      `version: 1
defaults: { executor: host }
jobs:
  test:
    matrix: { n: [1, 2, 3], fail-fast: false }
    run: x
  other: { run: x }
`,
      { executors: { host }, maxParallel: 4, failFast: true },
    );
    const record = await run.done;
    const statuses = Object.fromEntries(
      ['test-n-1', 'test-n-2', 'test-n-3', 'other'].map((id) => [id, run!.status(record, id).status]),
    );
    expect(statuses).toEqual({
      'test-n-1': 'failed',
      'test-n-2': 'failed',
      'test-n-3': 'passed',
      other: 'passed',
    });
    expect(record).toMatchObject({
      status: 'failed',
      message: '"test-n-1" failed; 2 of 4 job(s) did not pass',
    });
  });

  it('a variant of a matrix that keeps fail-fast (the default) stops the run like any job', async () => {
    let run: Awaited<ReturnType<typeof start>> | undefined;
    const host = scripted('host', async (job) => {
      while (run === undefined || run.events.filter((event) => event.startsWith('start')).length < 2)
        await sleep(10);
      if (job.node.job === 'test-n-1')
        return { status: 'failed', exitCode: 1, message: 'exited with code 1' };
      await abortOf(job.signal);
      return { status: 'failed', exitCode: 143, message: 'terminated' };
    });
    run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  test:\n    matrix: { n: [1, 2] }\n    run: x\n',
      { executors: { host }, maxParallel: 2, failFast: true },
    );
    const record = await run.done;
    expect(run.status(record, 'test-n-2')).toMatchObject({
      status: 'cancelled',
      message: 'fail-fast after "test-n-1" failed',
    });
  });
});

describe('secrets', () => {
  it('a job gets only the secrets it names; every value of the run is masked in it', async () => {
    const given: Record<string, { secrets: Record<string, string>; masked: readonly string[] }> = {};
    const host = scripted('host', async (job) => {
      given[job.node.job] = { secrets: { ...job.secrets }, masked: [...job.runSecrets].sort() };
      return { status: 'passed', exitCode: 0, message: null };
    });
    const run = await start(
      `version: 1
defaults: { executor: host }
jobs:
  deploy: { run: x, secrets: [API_TOKEN] }
  publish: { run: x, secrets: [NPM_TOKEN] }
  build: { run: x }
`,
      { executors: { host }, env: { ...process.env, API_TOKEN: 'api-value', NPM_TOKEN: 'npm-value' } },
    );
    expect((await run.done).status).toBe('passed');
    // A fresh run takes its own snapshot; only a rerun says it reuses one.
    expect(run.notes.filter((line) => line.includes('snapshot'))).toEqual([]);
    expect(given).toEqual({
      deploy: { secrets: { API_TOKEN: 'api-value' }, masked: ['api-value', 'npm-value'] },
      publish: { secrets: { NPM_TOKEN: 'npm-value' }, masked: ['api-value', 'npm-value'] },
      build: { secrets: {}, masked: ['api-value', 'npm-value'] },
    });
  });
});

describe('retries: where an attempt ends, and what it leaves', () => {
  it('a cancel that lands between two attempts stops the next one as it starts, even an executor that never returns', async () => {
    const controller = new AbortController();
    let calls = 0;
    let secondStartedAborted: boolean | undefined;
    const host = scripted('host', async (job) => {
      calls += 1;
      if (calls === 1) return { status: 'failed', exitCode: 1, message: 'exited with code 1' };
      secondStartedAborted = job.signal.aborted;
      // Passes at once if nobody told it to stop; once told, it hangs (an executor that never stops).
      if (!job.signal.aborted) return { status: 'passed', exitCode: 0, message: null };
      return new Promise<JobOutcome>(() => undefined);
    });
    const run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  flaky: { run: x, retries: 2 }\n',
      {
        executors: { host },
        signal: controller.signal,
        cancelGraceMs: 300,
        // The run is cancelled after the first attempt was recorded, before the second starts.
        onRetry: () => controller.abort('stop'),
      },
    );
    const record = await run.done;
    expect(record.status).toBe('cancelled');
    expect(secondStartedAborted).toBe(true);
    expect(calls).toBe(2);
    expect(run.status(record, 'flaky')).toMatchObject({ status: 'cancelled', exitCode: null });
  });

  it("an attempt's workspace and snapshot view are removed, not kept with its other files", async () => {
    let calls = 0;
    const host = scripted('host', async (job) => {
      calls += 1;
      for (const folder of ['workspace', 'snapshot-view', 'artifacts']) {
        mkdirSync(join(job.jobDir, folder), { recursive: true });
        writeFileSync(join(job.jobDir, folder, 'file.txt'), `attempt ${calls}`);
      }
      return calls === 1
        ? { status: 'failed', exitCode: 1, message: 'exited with code 1' }
        : { status: 'passed', exitCode: 0, message: null };
    });
    const run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  flaky: { run: x, retries: 1 }\n',
      {
        executors: { host },
      },
    );
    const record = await run.done;
    expect(record.status).toBe('passed');
    const first = join(run.jobDir(record, 'flaky'), 'attempts/1');
    expect(readdirSync(first).sort()).toEqual(['artifacts', 'host.log', 'status.json']);
    expect(readFileSync(join(first, 'artifacts/file.txt'), 'utf8')).toBe('attempt 1');
    // The last attempt's own files stay where they were made.
    expect(readFileSync(join(run.jobDir(record, 'flaky'), 'workspace/file.txt'), 'utf8')).toBe('attempt 2');
  });

  it('a later attempt whose files cannot be kept apart ends the retries, its attempts still recorded', async () => {
    let calls = 0;
    const host = scripted('host', async (job) => {
      calls += 1;
      // The second attempt squats the folder its files would be kept in (a guest writes where it likes).
      if (calls === 2) writeFileSync(join(job.jobDir, 'attempts', '2'), 'squatter');
      return { status: 'failed', exitCode: 1, message: 'exited with code 1' };
    });
    const run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  flaky: { run: x, retries: 3 }\n',
      {
        executors: { host },
      },
    );
    const record = await run.done;
    expect(calls).toBe(2);
    const flaky = run.status(record, 'flaky');
    expect(flaky.status).toBe('failed');
    expect(flaky.message).toMatch(
      /^exited with code 1; not retried: attempt 2's files could not be kept apart \(/,
    );
    expect(flaky.attempts!.map((attempt) => [attempt.attempt, attempt.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
    expect(run.store().infrastructureProblems).toEqual([
      expect.stringMatching(/^flaky: not retried: attempt 2's files/),
    ]);
  });

  it("vmplan notes a job's end in its log when it did not pass, and only then", async () => {
    const host = scripted('host', async (job) =>
      job.node.job === 'bad'
        ? { status: 'failed', exitCode: 2, message: 'exited with code 2' }
        : { status: 'passed', exitCode: 0, message: 'restored from cache' },
    );
    const run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  bad: { run: x }\n  good: { run: x }\n',
      {
        executors: { host },
        failFast: false,
      },
    );
    const record = await run.done;
    expect(readFileSync(join(run.jobDir(record, 'bad'), 'host.log'), 'utf8')).toBe(
      'vmplan: failed: exited with code 2\n',
    );
    expect(readFileSync(join(run.jobDir(record, 'good'), 'host.log'), 'utf8')).toBe('');
  });
});
