import { resolve } from 'node:path';
import { repositoryRoot } from '../../context/local-context.js';
import { InputError } from '../../errors.js';
import { executorOptions } from '../../executors/catalog.js';
import type { RunPorts } from '../../pipeline/ports.js';
import { runPipeline } from '../../pipeline/run.js';
import { signalExitCode } from '../../pipeline/signals.js';
import { readPlan } from '../../plan/io.js';
import type { Plan } from '../../plan/schema.js';
import { selectFromPlan } from '../../plan/select.js';
import { parseShard, shardPlan } from '../../plan/shard.js';
import { decideTrust, type TrustPolicy } from '../../plan/trust.js';
import { StateLayout } from '../../records/layout.js';
import { renderRunTable } from '../../records/render.js';
import { listOption, parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import { humanIo, JSON_FLAG, printJson } from '../json.js';
import { consoleProgress } from '../progress.js';
import type { FlagSpec, Flags } from '../spec.js';
import { planFromArgs, planningOptions } from './plan.js';

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
    description: 'Where runs, logs and caches are kept (default .vmplan at the repository root).',
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
} as const satisfies Flags;

/** The state folder: --state-dir, else `.vmplan` at the repository root. */
export function stateLayout(io: CliIo, stateDir: string | undefined): StateLayout {
  return new StateLayout(
    stateDir === undefined ? resolve(repositoryRoot(io.cwd), '.vmplan') : resolve(io.cwd, stateDir),
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

/** Runs a plan from the command line through the run pipeline: progress, the final table and the exit code. */
export async function executePlan(
  io: CliIo,
  plan: Plan,
  planPath: string,
  values: RunningValues,
  rerun: { of: string; snapshotRun: string } | undefined,
): Promise<number> {
  const maxParallel = parseMaxParallel(values['max-parallel']);
  if (values['fail-fast'] === true && values['no-fail-fast'] === true) {
    throw new InputError('use --fail-fast or --no-fail-fast, not both');
  }
  const layout = stateLayout(io, values['state-dir']);
  const json = values.json === true;
  const run = await runPipeline(
    {
      plan,
      basePlanId: plan.planId,
      planPath,
      layout,
      repositoryRoot: repositoryRoot(io.cwd),
      env: io.env,
      executors: {
        base: io.cwd,
        options: Object.fromEntries(
          executorOptions().map((option) => [
            option.name,
            values[option.name] as string | boolean | undefined,
          ]),
        ),
      },
      maxParallel,
      failFast: values['no-fail-fast'] !== true,
      rerun,
      locate: () => undefined,
      trust: trustFromFlags(values),
      verbose: values.verbose === true,
      signals: {
        reason: (signal) => `received ${signal}`,
        announce: (signal) => io.stderr(`\nvmplan: received ${signal}, stopping every job...\n`),
      },
    },
    cliPorts(humanIo(io, json), plan, layout, { maxParallel, quiet: values.quiet === true }),
  );
  if (json) printJson(io, 'run', run.record.status === 'passed', { run: run.record, nodes: run.nodes });
  if (run.signal !== undefined) return signalExitCode(run.signal);
  return run.record.status === 'passed' ? EXIT.ok : EXIT.failed;
}

/** --trust trusted|untrusted (default trusted: a developer runs their own code) and --trusted-image-path. */
function trustFromFlags(values: RunningValues): TrustPolicy {
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
  return decideTrust(
    setting ?? 'trusted',
    { event: null, forkPullRequest: false },
    { imagePaths: paths, network },
  );
}

/** Flag values of commands that run a plan (run, rerun). */
type RunningValues = {
  'max-parallel'?: string;
  'fail-fast'?: boolean;
  'no-fail-fast'?: boolean;
  'state-dir'?: string;
  quiet?: boolean;
  trust?: string;
  'trusted-image-path'?: string[];
  'untrusted-network'?: string;
  json?: boolean;
  verbose?: boolean;
  [executorOption: string]: string | boolean | string[] | undefined;
};

/** The CLI's side of the run pipeline: lines on stdout, live job output, the table at the end. */
function cliPorts(
  io: CliIo,
  plan: Plan,
  layout: StateLayout,
  options: { maxParallel: number | undefined; quiet: boolean },
): RunPorts {
  const jobs = plan.nodes.filter((node) => node.kind === 'execute').length;
  return {
    note: (line) => io.stdout(`${line}\n`),
    progress: consoleProgress(stdoutStream(io), {
      prefixOutput: jobs > 1 && (options.maxParallel ?? 2) > 1,
      quiet: options.quiet,
    }),
    runCreated: (store) =>
      io.stdout(`Run ${store.runId} (plan ${plan.planId.slice(0, 12)}, ${jobs} job(s))\n`),
    async report(run) {
      io.stdout(`\n${renderRunTable(run.record, run.nodes, plan)}\n`);
      const defaultState = layout.root === resolve(repositoryRoot(io.cwd), '.vmplan');
      io.stdout(
        `Logs: vmplan logs ${run.record.runId} [JOB]${defaultState ? '' : ` --state-dir ${layout.root}`}\n`,
      );
    },
  };
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
