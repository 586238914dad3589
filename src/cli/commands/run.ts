import { resolve } from 'node:path';
import { repositoryRoot } from '../../context/local-context.js';
import { startRun } from '../../engine/start-run.js';
import { InputError } from '../../errors.js';
import { availableExecutors } from '../../executors/available.js';
import { killRecordedProcessNow } from '../../executors/stop-recorded.js';
import { HostImagePreparer } from '../../images/preparer.js';
import { readPlan } from '../../plan/io.js';
import type { Plan } from '../../plan/schema.js';
import { selectFromPlan } from '../../plan/select.js';
import { parseShard, shardPlan } from '../../plan/shard.js';
import { StateLayout } from '../../records/layout.js';
import { renderRunTable } from '../../records/render.js';
import type { RunRecord } from '../../records/schema.js';
import type { RunStore } from '../../records/store.js';
import { listOption, parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import { consoleProgress } from '../progress.js';
import { planFromArgs, planningOptions } from './plan.js';

/** Options of commands that run a plan (run, rerun). */
export const runningOptions = {
  'max-parallel': { type: 'string' },
  'fail-fast': { type: 'boolean' },
  'no-fail-fast': { type: 'boolean' },
  'state-dir': { type: 'string' },
  'vfkit-path': { type: 'string' },
  'keep-failed-disks': { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

/** The state folder: --state-dir, else `.vmplan` at the repository root. */
export function stateLayout(io: CliIo, stateDir: string | undefined): StateLayout {
  return new StateLayout(
    stateDir === undefined ? resolve(repositoryRoot(io.cwd), '.vmplan') : resolve(io.cwd, stateDir),
  );
}

/** `vmplan run [FILE | --plan plan.json] [--only ...] [--executor X] [--max-parallel N] [--[no-]fail-fast] [--state-dir DIR]` */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', args, {
    ...planningOptions,
    ...runningOptions,
    plan: { type: 'string' },
    shard: { type: 'string' },
  });
  if (positionals.length > 1)
    throw new InputError(`vmplan run: expected at most one jobs file, got ${positionals.length}`);
  let plan: Plan;
  let planPath: string;
  if (values.plan !== undefined) {
    if (positionals.length > 0) throw new InputError('vmplan run: give a jobs file or --plan, not both');
    for (const flag of ['changed-files', 'base', 'executor', 'durations'] as const) {
      if (values[flag] !== undefined)
        throw new InputError(`vmplan run: --${flag} applies when planning; a --plan is already planned`);
    }
    plan = readPlan(resolve(io.cwd, values.plan), values.plan);
    const only = listOption(values.only);
    if (only !== undefined)
      plan = selectFromPlan(plan, only, `not selected (--only ${only.join(', ')})`, new Date().toISOString());
    planPath = values.plan;
  } else {
    plan = planFromArgs(io, positionals[0], values);
    planPath = plan.source.jobsFile;
  }
  if (values.shard !== undefined) plan = shardPlan(plan, parseShard(values.shard), new Date().toISOString());
  return executePlan(io, plan, planPath, values, undefined);
}

/** Runs a plan from the command line: signals, exit handler, progress, the final table and exit code. */
export async function executePlan(
  io: CliIo,
  plan: Plan,
  planPath: string,
  values: {
    'max-parallel'?: string;
    'fail-fast'?: boolean;
    'no-fail-fast'?: boolean;
    'state-dir'?: string;
    'vfkit-path'?: string;
    'keep-failed-disks'?: boolean;
    quiet?: boolean;
  },
  rerun: { of: string; snapshotRun: string } | undefined,
): Promise<number> {
  const maxParallel = parseMaxParallel(values['max-parallel']);
  if (values['fail-fast'] === true && values['no-fail-fast'] === true) {
    throw new InputError('use --fail-fast or --no-fail-fast, not both');
  }
  const failFast = values['no-fail-fast'] !== true;
  const layout = stateLayout(io, values['state-dir']);
  const jobs = plan.nodes.filter((node) => node.kind === 'execute').length;
  const progress = consoleProgress(stdoutStream(io), {
    prefixOutput: jobs > 1 && (maxParallel ?? 2) > 1,
    quiet: values.quiet === true,
  });

  const controller = new AbortController();
  let store: RunStore | undefined;
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled !== undefined) {
      // A second signal: kill what runs, finish the records now and leave.
      killWhatRuns();
      finishQuietly(store, `cancelled: received ${signalled}, then ${signal}`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = signal;
    io.stderr(`\nvmplan: received ${signal}, stopping every job...\n`);
    controller.abort(`received ${signal}`);
  };
  // Jobs run in their own process groups: a vmplan that exits early (a crash) must not leave them behind.
  const killWhatRuns = () => {
    if (store === undefined || store.finished) return;
    for (const node of store.allNodes())
      if (node.status === 'running' && node.process !== null && node.process !== undefined)
        killRecordedProcessNow(node.process, layout.runDir(store.runId));
  };
  const onExit = () => {
    killWhatRuns();
    finishQuietly(store, 'vmplan exited before the run finished');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);

  let record: RunRecord;
  try {
    record = await startRun({
      plan,
      planPath,
      layout,
      repositoryRoot: repositoryRoot(io.cwd),
      env: io.env,
      executors: availableExecutors({
        env: io.env,
        cacheDir: layout.cacheDir,
        vfkitPath: values['vfkit-path'],
        base: io.cwd,
        keepFailedDisks: values['keep-failed-disks'] === true,
      }),
      preparer: new HostImagePreparer(layout.cacheDir, io.env),
      maxParallel,
      failFast,
      rerun,
      progress,
      note: (line) => io.stdout(`${line}\n`),
      signal: controller.signal,
      onCreated: (created) => {
        store = created;
        io.stdout(`Run ${created.runId} (plan ${plan.planId.slice(0, 12)}, ${jobs} job(s))\n`);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
  io.stdout(`\n${renderRunTable(record, store!.allNodes(), plan)}\n`);
  io.stdout(
    `Logs: vmplan logs ${record.runId} [JOB]${layout.root === resolve(repositoryRoot(io.cwd), '.vmplan') ? '' : ` --state-dir ${layout.root}`}\n`,
  );
  if (signalled !== undefined) return signalled === 'SIGINT' ? 130 : 143;
  return record.status === 'passed' ? EXIT.ok : EXIT.failed;
}

function parseMaxParallel(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value))
    throw new InputError(`--max-parallel: expected a positive whole number, found "${value}"`);
  return Number(value);
}

/** The CLI's stdout as a stream: the real one (with backpressure) when there is one. */
function stdoutStream(io: CliIo): NodeJS.WritableStream {
  if (io.stdoutStream !== undefined) return io.stdoutStream;
  const write = (text: string): boolean => {
    io.stdout(text);
    return true;
  };
  return { write } as unknown as NodeJS.WritableStream;
}

/** Ends a run as cancelled while vmplan is leaving; a record that cannot be written must not change how it leaves. */
function finishQuietly(store: RunStore | undefined, message: string): void {
  try {
    store?.finish('cancelled', message);
  } catch (error) {
    process.stderr.write(`vmplan: a record could not be written: ${(error as Error).message}\n`);
  }
}
