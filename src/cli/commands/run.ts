import { rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gitTopLevel, repositoryRoot } from '../../context/local-context.js';
import { planDrift } from '../../context/plan-drift.js';
import { InputError } from '../../errors.js';
import { executorOptions, isVmExecutor } from '../../executors/catalog.js';
import type { CollectedRun, RunPorts } from '../../pipeline/ports.js';
import { runPipeline } from '../../pipeline/run.js';
import { signalExitCode } from '../../pipeline/signals.js';
import { readPlan } from '../../plan/io.js';
import { retargetPlan } from '../../plan/retarget.js';
import { recordedTrust } from '../../plan/run-trust.js';
import type { Plan } from '../../plan/schema.js';
import { selectFromPlan } from '../../plan/select.js';
import { parseShard, shardPlan } from '../../plan/shard.js';
import { cappedBy, decideTrust, type TrustPolicy } from '../../plan/trust.js';
import { untrustedLimitsFrom } from '../../plan/untrusted-limits.js';
import { StateLayout } from '../../records/layout.js';
import { renderRunTable } from '../../records/render.js';
import type { RunStore } from '../../records/store.js';
import { testLines } from '../../report/test-lines.js';
import { parseBytes } from '../../util/bytes.js';
import { defaultCacheDir } from '../../util/state-dir.js';
import { listOption, parseCommandArgs } from '../args.js';
import { failureDetail } from '../failure-detail.js';
import { type CliIo, EXIT } from '../io.js';
import { humanIo, JSON_FLAG, printJson } from '../json.js';
import { consoleProgress } from '../progress.js';
import type { FlagSpec, Flags } from '../spec.js';
import { terminalMode } from '../terminal.js';
import { executorFlag, planFromArgs, planningOptions } from './plan.js';
import { openShell, shellRefusal } from './shell-session.js';

/** The --cache-dir flag (run, rerun, gc). */
export const CACHE_DIR = {
  'cache-dir': {
    type: 'string',
    value: 'DIR',
    description:
      'Where images, named caches and durations are kept across runs (default VMPLAN_CACHE_DIR, else ~/Library/Caches/vmplan on macOS, ~/.cache/vmplan on Linux).',
  },
} as const satisfies Flags;

/** Flags of commands that run a plan (run, rerun). */
export const runningOptions = {
  'max-parallel': {
    type: 'string',
    value: 'N',
    description: "Most jobs running at once (default: the machine's CPU count).",
  },
  'fail-fast': { type: 'boolean', description: 'After the first failure, start nothing new (the default).' },
  'no-fail-fast': { type: 'boolean', description: 'Run every job whatever fails.' },
  'state-dir': {
    type: 'string',
    value: 'DIR',
    description: 'Where runs and logs are kept (default .vmplan at the repository root).',
  },
  ...CACHE_DIR,
  'min-free': {
    type: 'string',
    value: 'SIZE',
    description:
      'Free space the state and cache folders need before a run starts (default 2GB when a job runs in a VM; 0: no check).',
  },
  quiet: { type: 'boolean', description: "Print progress lines only, not the jobs' output." },
  verbose: {
    type: 'boolean',
    description: 'Also show VM command lines and the VM process output (always kept in each host.log).',
  },
  trust: {
    type: 'string',
    value: 'trusted|untrusted',
    choices: ['trusted', 'untrusted'],
    description:
      'untrusted: VM jobs only, no image builds on this machine, image files only from --trusted-image-path (docs/security.md).',
  },
  'trusted-image-path': {
    type: 'string',
    multiple: true,
    value: 'DIR',
    description: 'A folder an untrusted run may boot prebuilt image files from (repeatable).',
  },
  'untrusted-network': {
    type: 'string',
    value: 'nat|none',
    choices: ['nat', 'none'],
    description: 'none: guests of untrusted runs get no network device.',
  },
  'untrusted-secret': {
    type: 'string',
    multiple: true,
    value: 'NAME',
    description:
      "A runner variable an untrusted run's jobs may still name under secrets (repeatable); any other refuses the run.",
  },
  // Caps on untrusted runs (src/plan/untrusted-limits.ts).
  'untrusted-max-jobs': {
    type: 'string',
    value: 'N',
    description: 'Most jobs an untrusted run may run (default 50).',
  },
  'untrusted-max-memory': {
    type: 'string',
    value: 'SIZE',
    description: 'Most guest memory per job of an untrusted run (default 8GiB; a plain number is MiB).',
  },
  'untrusted-max-cpus': {
    type: 'string',
    value: 'N',
    description: 'Most guest CPUs per job of an untrusted run (default 4).',
  },
  'untrusted-max-timeout': {
    type: 'string',
    value: 'DURATION',
    description: 'Longest job timeout of an untrusted run (default 2h; a plain number is minutes).',
  },
  ...JSON_FLAG,
  // The executors' own flags (--vfkit-path, --keep-failed-disks, ...), from the executor table.
  ...(Object.fromEntries(
    executorOptions().map((option) => [
      option.name,
      { type: option.type, value: option.value, description: option.description },
    ]),
  ) as Record<string, FlagSpec>),
} as const satisfies Flags;

/** The flags of `vmplan run`. */
export const RUN_FLAGS = {
  ...planningOptions,
  ...runningOptions,
  plan: {
    type: 'string',
    value: 'plan.json',
    description: 'Run this plan (e.g. downloaded from a workflow run) instead of planning a jobs file.',
  },
  shard: { type: 'string', value: 'i/n', description: 'Run only shard i of n of the plan.' },
  workspace: {
    type: 'string',
    value: 'DIR',
    description:
      "The folder jobs get as their workspace (default: the git repository's work tree, as git would commit it). Needed outside git.",
  },
  'shell-on-failure': {
    type: 'boolean',
    description:
      'When a VM job fails, open a shell in its VM once the run has ended (vmplan shell; its root disk as it ended). Interactive terminals only.',
  },
} as const satisfies Flags;

/**
 * The state folder (--state-dir, else `.vmplan` at the repository root) and the cache folder (--cache-dir, else the
 * per-user one: see defaultCacheDir).
 */
export function stateLayout(io: CliIo, stateDir: string | undefined, cacheDir?: string): StateLayout {
  return new StateLayout(
    stateDir === undefined ? resolve(repositoryRoot(io.cwd), '.vmplan') : resolve(io.cwd, stateDir),
    resolve(io.cwd, cacheDir ?? defaultCacheDir(io.env)),
  );
}

/** `vmplan run [FILE | --plan plan.json] [--only ...] [--executor X] [--max-parallel N] [--[no-]fail-fast] [--state-dir DIR]` */
export async function runCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', args, RUN_FLAGS);
  if (positionals.length > 1)
    throw new InputError(`vmplan run: expected at most one jobs file, got ${positionals.length}`);
  let plan: Plan;
  let planPath: string;
  if (values.plan !== undefined) {
    if (positionals.length > 0) throw new InputError('vmplan run: give a jobs file or --plan, not both');
    for (const flag of ['changed-files', 'base', 'durations'] as const) {
      if (values[flag] !== undefined)
        throw new InputError(`vmplan run: --${flag} applies when planning; a --plan is already planned`);
    }
    plan = readPlan(resolve(io.cwd, values.plan), values.plan);
    const human = humanIo(io, values.json === true);
    for (const warning of planDrift(
      plan,
      values.workspace === undefined ? repositoryRoot(io.cwd) : resolve(io.cwd, values.workspace),
    ))
      human.stderr(`vmplan: warning: ${warning}\n`);
    const executor = executorFlag(values.executor);
    if (executor !== undefined) {
      const retargeted = retargetPlan(plan, executor, new Date().toISOString());
      plan = retargeted.plan;
      human.stderr(
        `vmplan: ${retargeted.change ?? `--executor ${values.executor}: the plan already runs every job so`}\n`,
      );
    }
    const only = listOption(values.only);
    if (only !== undefined)
      plan = selectFromPlan(plan, only, `not selected (--only ${only.join(', ')})`, new Date().toISOString());
    planPath = values.plan;
  } else {
    plan = await planFromArgs(
      io,
      positionals[0],
      values,
      trustFromFlags(values),
      values.workspace === undefined ? undefined : resolve(io.cwd, values.workspace),
    );
    planPath = plan.source.jobsFile;
  }
  if (values.shard !== undefined) plan = shardPlan(plan, parseShard(values.shard), new Date().toISOString());
  return executePlan(io, plan, planPath, values, undefined);
}

/** Runs a plan from the command line through the run pipeline: progress, the final table and the exit code. */
export async function executePlan(
  io: CliIo,
  plan: Plan,
  planPath: string,
  values: RunningValues,
  rerun: { of: string; snapshotRun: string | undefined } | undefined,
): Promise<number> {
  const maxParallel = parseMaxParallel(values['max-parallel']);
  const shellOnFailure = values['shell-on-failure'] === true;
  if (shellOnFailure) {
    // Refused before anything runs: a shell needs a person at a terminal, and never runs in CI.
    const refusal = values.json === true ? 'cannot be combined with --json' : shellRefusal(io);
    if (refusal !== undefined) throw new InputError(`--shell-on-failure: ${refusal}`);
  }
  // The failed job's root disk is part of the VM state the shell opens: kept for it, removed after it.
  const keepDisks = shellOnFailure && values['keep-failed-disks'] !== true;
  if (values['fail-fast'] === true && values['no-fail-fast'] === true) {
    throw new InputError('use --fail-fast or --no-fail-fast, not both');
  }
  const layout = stateLayout(io, values['state-dir'], values['cache-dir']);
  const json = values.json === true;
  const workspace = workspaceRoot(io, values.workspace, rerun?.snapshotRun !== undefined);
  const run = await runPipeline(
    {
      plan,
      basePlanId: plan.planId,
      planPath,
      layout,
      repositoryRoot: workspace,
      env: io.env,
      executors: {
        base: io.cwd,
        options: Object.fromEntries(
          executorOptions().map((option) => [
            option.name,
            option.name === 'keep-failed-disks' && keepDisks
              ? true
              : (values[option.name] as string | boolean | undefined),
          ]),
        ),
      },
      maxParallel,
      failFast: values['no-fail-fast'] !== true,
      rerun,
      locate: () => undefined,
      trust: trustForPlan(plan, values),
      verbose: values.verbose === true,
      ...minFree(values['min-free']),
      signals: {
        reason: (signal) => `received ${signal}`,
        announce: (signal) => io.stderr(`\nvmplan: received ${signal}, stopping every job...\n`),
      },
    },
    cliPorts(humanIo(io, json), plan, layout, {
      maxParallel,
      quiet: values.quiet === true,
      repositoryRoot: workspace,
    }),
  );
  if (json) printJson(io, 'run', run.record.status === 'passed', { run: run.record, nodes: run.nodes });
  if (run.signal !== undefined) {
    // Stopped: no shell, and no disk kept only for one (every job stopped mid-way kept its clone).
    if (keepDisks) removeDisksKeptForShell(layout, run);
    return signalExitCode(run.signal);
  }
  if (shellOnFailure) await shellIntoFailure(io, layout, run, values, keepDisks);
  if (run.infrastructure.length > 0) {
    io.stderr(
      `vmplan could not do its own work on this machine (exit ${EXIT.infrastructure}):\n${run.infrastructure.map((problem) => `  - ${problem}`).join('\n')}\n`,
    );
    return EXIT.infrastructure;
  }
  return run.record.status === 'passed' ? EXIT.ok : EXIT.failed;
}

/**
 * --shell-on-failure, once the run has ended: a shell in the first VM job that failed (or timed out), then the
 * root disks kept only for it removed. The run's exit code stays the run's.
 */
async function shellIntoFailure(
  io: CliIo,
  layout: StateLayout,
  run: CollectedRun,
  values: RunningValues,
  keptForShell: boolean,
): Promise<void> {
  const failed = run.nodes.find(
    (node) =>
      node.kind === 'execute' &&
      node.job !== null &&
      (node.status === 'failed' || node.status === 'timed_out') &&
      isVmExecutor(node.executor),
  );
  try {
    if (failed?.job == null) {
      if (run.record.status !== 'passed') io.stderr('vmplan: no VM job failed: no shell to open\n');
      return;
    }
    await openShell(io, layout, run.record.runId, failed.job, values);
  } catch (error) {
    // The run's result stands whatever the shell met (an image gone from the cache, a VM that would not start).
    io.stderr(`vmplan: no shell in job ${failed?.job ?? '?'}: ${(error as Error).message}\n`);
  } finally {
    if (keptForShell) removeDisksKeptForShell(layout, run);
  }
}

/** The root disks --shell-on-failure alone kept (the user did not ask for --keep-failed-disks): removed. */
function removeDisksKeptForShell(layout: StateLayout, run: CollectedRun): void {
  for (const node of run.plan.nodes)
    if (node.kind === 'execute')
      rmSync(join(layout.nodeDir(run.record.runId, node), 'disk.img'), { force: true });
}

/**
 * The folder snapshotted for the jobs: --workspace, else the git work tree around the current folder. Outside git
 * there is no safe default (running in ~/Downloads or /tmp would copy all of it), so the folder must be named.
 * A rerun reuses its old snapshot and only needs a folder to build images from.
 */
function workspaceRoot(io: CliIo, explicit: string | undefined, reusesSnapshot: boolean): string {
  if (explicit !== undefined) {
    const folder = resolve(io.cwd, explicit);
    let isFolder = false;
    try {
      isFolder = statSync(folder).isDirectory();
    } catch {
      // missing: reported below
    }
    if (!isFolder) throw new InputError(`--workspace ${explicit}: ${folder} is not a folder`);
    return folder;
  }
  const top = gitTopLevel(io.cwd);
  if (top !== undefined || reusesSnapshot) return top ?? io.cwd;
  throw new InputError(
    `${io.cwd} is not inside a git repository, so vmplan cannot tell what belongs in the jobs' workspace ` +
      '(it snapshots what git would commit). Run inside a repository, or name the folder to copy with ' +
      '--workspace DIR (every file in it, minus workspace.exclude).',
  );
}

/**
 * --trust trusted|untrusted (default trusted: a developer runs their own code), --trusted-image-path,
 * --untrusted-network, --untrusted-secret and the --untrusted-max-* caps.
 */
export function trustFromFlags(values: RunningValues): TrustPolicy {
  const setting = values.trust;
  if (setting !== undefined && setting !== 'trusted' && setting !== 'untrusted')
    throw new InputError(`--trust: expected trusted or untrusted, found ${JSON.stringify(setting)}`);
  const network = values['untrusted-network'];
  if (network !== undefined && network !== 'nat' && network !== 'none')
    throw new InputError(`--untrusted-network: expected nat or none, found ${JSON.stringify(network)}`);
  const paths = listOption(values['trusted-image-path']) ?? [];
  const relative = paths.find((path) => !path.startsWith('/'));
  if (relative !== undefined)
    throw new InputError(
      `--trusted-image-path: expected an absolute folder, found ${JSON.stringify(relative)}`,
    );
  const secrets = listOption(values['untrusted-secret']) ?? [];
  const badName = secrets.find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  if (badName !== undefined)
    throw new InputError(`--untrusted-secret: expected a variable name, found ${JSON.stringify(badName)}`);
  const caps = untrustedLimitsFrom(values, '--');
  if (caps.problems.length > 0) throw new InputError(caps.problems.join('\n'));
  return decideTrust(
    setting ?? 'trusted',
    { event: null, forkPullRequest: false },
    { imagePaths: paths, network, untrustedSecrets: secrets, caps: caps.limits },
  );
}

/**
 * The trust a plan runs under: --trust when given; else no more trusted than the plan was made (a plan made
 * untrusted, e.g. downloaded from a pull request's run, runs untrusted unless the user says --trust trusted).
 */
function trustForPlan(plan: Plan, values: RunningValues): TrustPolicy {
  const policy = trustFromFlags(values);
  return values.trust === undefined ? cappedBy(policy, recordedTrust(plan, '--trust trusted')) : policy;
}

/** Flag values of commands that run a plan (run, rerun). */
type RunningValues = {
  'max-parallel'?: string;
  'fail-fast'?: boolean;
  'no-fail-fast'?: boolean;
  'state-dir'?: string;
  'cache-dir'?: string;
  'min-free'?: string;
  quiet?: boolean;
  trust?: string;
  'trusted-image-path'?: string[];
  'untrusted-network'?: string;
  'untrusted-secret'?: string[];
  'untrusted-max-jobs'?: string;
  'untrusted-max-memory'?: string;
  'untrusted-max-cpus'?: string;
  'untrusted-max-timeout'?: string;
  json?: boolean;
  verbose?: boolean;
  workspace?: string;
  'shell-on-failure'?: boolean;
  [executorOption: string]: string | boolean | string[] | undefined;
};

/** The CLI's side of the run pipeline: lines on stdout, live job output, the table at the end. */
function cliPorts(
  io: CliIo,
  plan: Plan,
  layout: StateLayout,
  options: { maxParallel: number | undefined; quiet: boolean; repositoryRoot: string },
): RunPorts {
  const jobs = plan.nodes.filter((node) => node.kind === 'execute').length;
  const stream = stdoutStream(io);
  let store: RunStore | undefined;
  const progress = consoleProgress(stream, {
    prefixOutput: jobs > 1 && (options.maxParallel ?? 2) > 1,
    quiet: options.quiet,
    mode: terminalMode(stream, io.env),
    total: plan.nodes.length,
    heartbeatMs: heartbeatMs(io.env),
    failureDetail: failureDetail(layout, () => store?.record, options.repositoryRoot),
  });
  return {
    note: (line) => progress.print(`${line}\n`),
    progress,
    runCreated: (created) => {
      store = created;
      progress.print(`Run ${created.runId} (plan ${plan.planId.slice(0, 12)}, ${jobs} job(s))\n`);
    },
    async report(run) {
      progress.stop();
      io.stdout(`\n${renderRunTable(run.record, run.nodes, plan)}\n`);
      const tests = testLines(run.jobs);
      if (tests.length > 0) io.stdout(`${tests.join('\n')}\n`);
      const defaultState = layout.root === resolve(repositoryRoot(io.cwd), '.vmplan');
      io.stdout(
        `Logs: vmplan logs ${run.record.runId} [JOB]${defaultState ? '' : ` --state-dir ${layout.root}`}\n`,
      );
    },
  };
}

/** VMPLAN_HEARTBEAT_SECONDS: silence before a "still running" line (default 30). */
function heartbeatMs(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.VMPLAN_HEARTBEAT_SECONDS;
  if (value === undefined || value === '') return undefined;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0)
    throw new InputError(`VMPLAN_HEARTBEAT_SECONDS: expected a positive number of seconds, found "${value}"`);
  return Number(value) * 1000;
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

/** --min-free SIZE, checked. */
function minFree(given: string | undefined): { minFreeBytes?: number } {
  if (given === undefined) return {};
  const bytes = parseBytes(given);
  if (bytes === undefined)
    throw new InputError(`--min-free: expected a size such as 5GB or 500MB, found "${given}"`);
  return { minFreeBytes: bytes };
}
