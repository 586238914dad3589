// startRun called in this process with real host jobs: what a cancelled run, a failed setup, an engine error and
// a refused preflight leave behind (records, processes, folders). The CLI tests cover the same through a child
// process; these make the engine's own code visible to mutation testing.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProgressReporter } from '../../src/engine/run-plan.js';
import { startRun } from '../../src/engine/start-run.js';
import { InputError } from '../../src/errors.js';
import { availableExecutors } from '../../src/executors/available.js';
import type { JobExecutor, JobOutcome } from '../../src/executors/contract.js';
import { buildPlan } from '../../src/plan/build.js';
import type { Plan } from '../../src/plan/schema.js';
import { decideTrust } from '../../src/plan/trust.js';
import { StateLayout } from '../../src/records/layout.js';
import type { NodeRecord, RunRecord } from '../../src/records/schema.js';
import type { RunStore } from '../../src/records/store.js';
import { context, jobs } from '../support/jobs.js';
import { prerequisite } from '../support/prerequisites.js';
import { processesWith } from '../support/processes.js';
import { testProject } from '../support/project.js';

const marker = () => `vmplan-engine-${randomBytes(4).toString('hex')}`;
/** A command that lives for minutes, findable by its marker in the process list. */
const longLived = (mark: string) => `node -e "setTimeout(() => {}, 300000)" ${mark}`;

/** Waits for a job's process to appear in the process list. */
async function processAppears(mark: string): Promise<void> {
  while (processesWith(mark).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
}

interface Started {
  plan: Plan;
  layout: StateLayout;
  notes: string[];
  finished: string[];
  /** What the jobs showed live. */
  live: string[];
  store: () => RunStore;
  root: string;
}

/** Starts a run of a jobs file in a fresh project, in this process; returns its promise and what it tells. */
async function start(
  yaml: string,
  options: {
    signal?: AbortSignal;
    env?: NodeJS.ProcessEnv;
    maxParallel?: number;
    rerun?: { of: string; snapshotRun: string | undefined };
    setup?: (root: string) => void;
    onStarted?: (job: string) => void;
    verbose?: boolean;
    stateRoot?: (projectRoot: string) => string;
    project?: { root: string };
    /** An executor in place of the real host one (for outcomes a real job cannot produce on demand). */
    host?: JobExecutor;
  } = {},
): Promise<Started & { done: Promise<RunRecord> }> {
  const project = options.project ?? testProject(yaml, 'vmplan-engine-');
  options.setup?.(project.root);
  const plan = buildPlan(jobs(yaml), context());
  const layout = new StateLayout(options.stateRoot?.(project.root) ?? join(project.root, '.vmplan'));
  const notes: string[] = [];
  const finished: string[] = [];
  const live: string[] = [];
  let store: RunStore | undefined;
  const progress: ProgressReporter = {
    nodeStarted: (node) => options.onStarted?.(node.kind === 'execute' ? node.job : node.image),
    nodeFinished: (node, record: NodeRecord) => finished.push(`${node.id} ${record.status}`),
    liveSink: () => ({ write: (text: string) => void live.push(text) }),
  };
  const env = { ...process.env, ...options.env };
  const done = startRun({
    plan,
    planPath: 'plan.json',
    layout,
    repositoryRoot: project.root,
    env,
    executors:
      options.host !== undefined
        ? { host: options.host }
        : await availableExecutors(['host'], {
            env,
            cacheDir: layout.cacheDir,
            base: project.root,
            options: {},
          }),
    preparer: undefined,
    maxParallel: options.maxParallel,
    failFast: true,
    rerun: options.rerun,
    progress,
    trust: decideTrust('trusted', { event: null, forkPullRequest: false }, { imagePaths: [] }),
    note: (line) => notes.push(line),
    verbose: options.verbose,
    signal: options.signal ?? new AbortController().signal,
    onCreated: (created) => {
      store = created;
    },
    timeoutGraceMs: 1000,
    cancelGraceMs: 1000,
  });
  return { plan, layout, notes, finished, live, store: () => store!, root: project.root, done };
}

const statusOf = (layout: StateLayout, run: RunRecord, job: string): NodeRecord =>
  JSON.parse(readFileSync(join(layout.runDir(run.runId), 'jobs', job, 'status.json'), 'utf8'));

describe('startRun, in process', () => {
  it('a cancelled run stops its running job (the process is gone), cancels what waited, and says why', async () => {
    const mark = marker();
    const controller = new AbortController();
    let started: () => void = () => undefined;
    const slowStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const run = await start(
      `version: 1
defaults: { executor: host }
jobs:
  slow: { run: '${longLived(mark)}' }
  after: { run: echo after, needs: slow }
`,
      { signal: controller.signal, onStarted: (job) => job === 'slow' && started() },
    );
    await slowStarted;
    await processAppears(mark);
    expect(processesWith(mark)).toHaveLength(1);
    controller.abort('the user pressed Ctrl-C');
    const record = await run.done;
    expect(record).toMatchObject({ status: 'cancelled', message: 'the user pressed Ctrl-C' });
    expect(record.finishedAt).not.toBeNull();
    expect(statusOf(run.layout, record, 'slow')).toMatchObject({
      status: 'cancelled',
      message: 'the user pressed Ctrl-C',
      process: null,
    });
    expect(statusOf(run.layout, record, 'after')).toMatchObject({
      status: 'cancelled',
      message: 'the user pressed Ctrl-C',
    });
    expect(processesWith(mark)).toEqual([]);
    expect(run.finished.sort()).toEqual(['job:after cancelled', 'job:slow cancelled']);
  });

  it('a run cancelled before it starts runs nothing and ends cancelled', async () => {
    const controller = new AbortController();
    controller.abort('stopped early');
    const run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: touch "$VMPLAN_WORKSPACE/../ran" }\n',
      { signal: controller.signal },
    );
    const record = await run.done;
    expect(record.status).toBe('cancelled');
    expect(existsSync(join(run.layout.runDir(record.runId), 'jobs/one/ran'))).toBe(false);
    expect(statusOf(run.layout, record, 'one').status).toBe('cancelled');
  });

  it('a setup failure (the snapshot refuses a named pipe) ends the run failed and every node skipped, saying why', async () => {
    const run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: echo a }\n  b: { run: echo b, needs: a }\n',
      {
        setup: (root) => {
          execFileSync('mkfifo', [join(root, 'fifo')]);
          rmSync(join(root, '.git'), { recursive: true });
        },
      },
    );
    const record = await run.done;
    expect(record.status).toBe('failed');
    expect(record.message).toMatch(/^run setup failed: workspace snapshot: fifo is a named pipe;/);
    for (const job of ['a', 'b'])
      expect(statusOf(run.layout, record, job)).toMatchObject({ status: 'skipped', message: record.message });
    // The user's workspace is at fault, not vmplan: the note is the refusal itself, no infrastructure problem.
    expect(run.notes.at(-1)).toBe(record.message!.replace(/^run setup failed: /, ''));
    expect(run.store().infrastructureProblems).toEqual([]);
  });

  it('an engine error while jobs run (a record that cannot be written) stops them and ends every record', async () => {
    const mark = marker();
    const run = await start(
      `version: 1
defaults: { executor: host }
jobs:
  a: { run: 'sleep 0.5; d=$VMPLAN_NODE_DIR; cd /; rm -rf "$d"; touch "$d"' }
  long: { run: '${longLived(mark)}' }
`,
      { maxParallel: 2 },
    );
    const record = await run.done;
    expect(record.status).toBe('failed');
    expect(record.message).toMatch(/^vmplan error during the run \(its jobs were stopped\): .*jobs\/a/);
    expect(statusOf(run.layout, record, 'long')).toMatchObject({ status: 'cancelled', process: null });
    expect(processesWith(mark)).toEqual([]);
    expect(run.store().infrastructureProblems).toEqual([record.message]);
  });

  it('a run.json that cannot be written terminal: the run says it failed and why, not the outcome it could not record', async () => {
    // The job puts a folder where run.json is: no record can replace it, so neither try to end the run can write.
    const run = await start(`version: 1
defaults: { executor: host }
jobs:
  a: { run: 'r="$VMPLAN_NODE_DIR/../../run.json"; rm "$r" && mkdir "$r"' }
`);
    const record = await run.done;
    expect(record).toMatchObject({ status: 'failed', counts: { passed: 1 } });
    const reason = `${join(run.layout.runDir(record.runId), 'run.json')} is a folder`;
    expect(record.message).toMatch(`a record of the finished run could not be written: ${reason}`);
    expect(
      run.notes.filter((note) => note.startsWith(`vmplan: a record could not be written: ${reason}`)),
    ).toHaveLength(1);
    // vmplan's own trouble: the CLI exits 3 for it.
    expect(run.store().infrastructureProblems).toEqual([record.message]);
    expect(run.notes).toContain(`vmplan: ${record.message}`);
    expect(statusOf(run.layout, record, 'a').status).toBe('passed');
  });

  it('refuses before creating anything: a missing secret, an executor not here, a VM larger than the machine', async () => {
    const run = await start(
      `version: 1
images:
  big: { arch: arm64, kernel: k, initrd: i, cpus: 64, memory: 1048576 }
jobs:
  deploy: { run: echo, secrets: [API_TOKEN], executor: host }
  vm: { run: echo, image: big, executor: qemu }
`,
      { env: { API_TOKEN: '' } },
    );
    const refusal = await run.done.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(InputError);
    const messages = (refusal as InputError).problems.map((problem) => problem.message);
    expect(messages.map((message) => message.replace(/\d+/g, 'N')).sort()).toEqual([
      'job:vm asks for N CPUs; this machine has N',
      'job:vm asks for N MiB of memory; at most N MiB can go to guests here',
      'secret API_TOKEN is not set in the environment (needed by job:deploy)',
      'the qemu executor is not available here (needed by N job(s)); run with --executor host, or on a machine that has it',
    ]);
    expect(messages).toContain(
      'the qemu executor is not available here (needed by 1 job(s)); run with --executor host, or on a machine that has it',
    );
    expect(existsSync(run.layout.runsDir)).toBe(false);
  });

  it('a rerun whose snapshot is gone is refused before a run exists', async () => {
    const run = await start('version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: echo }\n', {
      rerun: { of: '20261203T100000Z-00000001', snapshotRun: '20261203T100000Z-00000001' },
    });
    await expect(run.done).rejects.toThrow(
      'run 20261203T100000Z-00000001 has no snapshot left to rerun (was it garbage-collected?)',
    );
    expect(existsSync(run.layout.runsDir)).toBe(false);
  });

  it('a rerun reuses the snapshot of the run it repeats, and says so', async () => {
    const yaml = 'version: 1\ndefaults: { executor: host }\njobs:\n  show: { run: cat version.txt }\n';
    const first = await start(yaml, { setup: (root) => writeFileSync(join(root, 'version.txt'), 'one\n') });
    const firstRecord = await first.done;
    expect(first.live.join('')).toContain('one\n');
    // The work tree moves on; the rerun still sees what the first run saw.
    writeFileSync(join(first.root, 'version.txt'), 'two\n');
    const rerun = await start(yaml, {
      project: { root: first.root },
      rerun: { of: firstRecord.runId, snapshotRun: firstRecord.runId },
    });
    const record = await rerun.done;
    expect(record).toMatchObject({
      status: 'passed',
      rerunOf: firstRecord.runId,
      snapshotRun: firstRecord.runId,
    });
    expect(rerun.notes).toEqual([`Reusing the workspace snapshot of run ${firstRecord.runId}`]);
    expect(rerun.live.join('')).toContain('one\n');
    expect(rerun.live.join('')).not.toContain('two');
  });

  it("a timed-out job's end is noted in its log and shown live after its own output", async () => {
    // The timeout counts from the job's start, its workspace included: 0.1 minute (6 s), not 1.2 s, so a busy
    // machine still gets to the echo first.
    const run = await start(
      'version: 1\ndefaults: { executor: host }\njobs:\n  one: { run: echo job-output; sleep 30, timeout-minutes: 0.1 }\n',
    );
    const record = await run.done;
    const log = readFileSync(join(run.layout.runDir(record.runId), 'jobs/one/host.log'), 'utf8');
    const shown = run.live.join('');
    expect(shown).toMatch(/job-output\n(.*\n)*vmplan: timed_out: timed out after 0\.1 minute\(s\); stopped/);
    expect(log).toMatch(/job-output\n(.*\n)*vmplan: timed_out: timed out after 0\.1 minute\(s\); stopped/);
    expect(statusOf(run.layout, record, 'one').message).toMatch(/^timed out after 0\.1 minute\(s\); stopped/);
  });
});

describe.skipIf(!prerequisite('root (to mount a small tmpfs as a full disk)', process.getuid?.() === 0))(
  'startRun on a full disk',
  () => {
    const mounts: string[] = [];
    afterAll(() => {
      for (const path of mounts) execFileSync('umount', [path]);
    });

    it('a job that fills the state folder is stopped, says why, and the run ends terminal with the problem named', async () => {
      const run = await start(
        `version: 1
defaults: { executor: host }
jobs:
  loud: { run: 'head -c 3000000 /dev/zero | tr "\\\\0" x | fold -w 100; sleep 30' }
`,
        {
          stateRoot: (root) => {
            const disk = join(root, 'small-disk');
            mkdirSync(disk);
            execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1200k', 'tmpfs', disk]);
            mounts.push(disk);
            return disk;
          },
        },
      );
      const record = await run.done;
      expect(record.status).toBe('failed');
      const loud = statusOf(run.layout, record, 'loud');
      expect(loud.status).toBe('failed');
      expect(loud.message).toBe(
        "vmplan could not write this job's log (ENOSPC: the state folder is out of space); the job was stopped",
      );
      expect(run.store().infrastructureProblems).toContain(
        "loud: vmplan could not write this job's log (ENOSPC: the state folder is out of space); the job was stopped",
      );
    });
  },
);

describe('retries after the machine failed a job', () => {
  it('retry-on: [infrastructure] retries a VM that died or a host error, never a failing command', async () => {
    const script: Record<string, (JobOutcome | Error)[]> = {
      'a-died': [
        { status: 'failed', exitCode: null, message: 'the VM exited with 1', infrastructure: true },
        { status: 'passed', exitCode: 0, message: null },
      ],
      'b-threw': [
        new Error('could not clone the root disk'),
        { status: 'passed', exitCode: 0, message: null },
      ],
      'c-failing': [
        { status: 'failed', exitCode: 2, message: 'exited with code 2' },
        { status: 'passed', exitCode: 0, message: null },
      ],
    };
    const calls: string[] = [];
    const host: JobExecutor = {
      name: 'host',
      async runJob(context) {
        calls.push(context.node.job);
        const next = script[context.node.job]!.shift()!;
        if (next instanceof Error) throw next;
        return next;
      },
    };
    const run = await start(
      `version: 1
defaults: { executor: host, retries: 1, retry-on: [infrastructure] }
jobs:
  a-died: { run: x }
  b-threw: { run: x }
  c-failing: { run: x }
`,
      { host, maxParallel: 1 },
    );
    const record = await run.done;
    const status = (job: string) => statusOf(run.layout, record, job);
    expect(status('a-died').attempts!.map((a) => [a.status, a.cause])).toEqual([
      ['failed', 'infrastructure'],
      ['passed', null],
    ]);
    expect(status('b-threw').attempts!.map((a) => [a.status, a.cause, a.message])).toEqual([
      ['failed', 'infrastructure', 'vmplan error: could not clone the root disk'],
      ['passed', null, null],
    ]);
    expect(status('c-failing')).toMatchObject({ status: 'failed', exitCode: 2 });
    expect(status('c-failing').attempts).toBeUndefined();
    // One at a time, in id order (fail-fast stops nothing: the failing job runs last).
    expect(calls).toEqual(['a-died', 'a-died', 'b-threw', 'b-threw', 'c-failing']);
  });
});
