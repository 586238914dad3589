import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { DEFAULT_JOBS_FILE, loadJobsFile } from '../../config/load.js';
import { type Executor, ExecutorSchema } from '../../config/schema.js';
import {
  localChanges,
  localSource,
  planTimestamp,
  platformExecutor,
  repositoryRoot,
} from '../../context/local-context.js';
import { resolveOciTags } from '../../context/oci-tags.js';
import { InputError, type Problem } from '../../errors.js';
import { EXECUTOR_NAMES } from '../../executors/catalog.js';
import { givenImageFileProblems } from '../../images/given-files.js';
import { buildPlan } from '../../plan/build.js';
import { serializePlan, writePlan } from '../../plan/io.js';
import { renderPlan } from '../../plan/render.js';
import type { Plan, PlanTrust } from '../../plan/schema.js';
import { secretValuesOf } from '../../plan/secrets.js';
import { readDurations } from '../../results/durations.js';
import { ensureStateDir } from '../../util/state-dir.js';
import { listOption, parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import { JSON_FLAG, printJson } from '../json.js';
import type { Flags } from '../spec.js';

/** Where `vmplan plan` writes by default. */
export const DEFAULT_PLAN_OUT = '.vmplan/plan.json';

/** Flags shared by every command that plans (plan, run). */
export const planningOptions = {
  only: {
    type: 'string',
    multiple: true,
    value: 'A,B',
    description:
      'Plan only these jobs and what they need (repeatable, comma-separated; a matrix job means all its variants, a variant id or name such as "test (node 22, arm64)" one).',
  },
  'changed-files': {
    type: 'string',
    value: 'FILE',
    description: 'A file listing the changed files (one path per line) for `paths` filters.',
  },
  base: { type: 'string', value: 'REF', description: 'Diff against this git ref for `paths` filters.' },
  executor: {
    type: 'string',
    value: EXECUTOR_NAMES.join('|'),
    choices: EXECUTOR_NAMES,
    description:
      'Force an executor for VM jobs, or `host` for everything (with --plan: run a plan made for another executor).',
  },
  durations: {
    type: 'string',
    value: 'FILE',
    description: 'Recorded job durations (results.json or durations.json) to balance shards.',
  },
} as const satisfies Flags;

/** The flags of `vmplan plan`. */
export const PLAN_FLAGS = {
  ...planningOptions,
  out: {
    type: 'string',
    value: 'PATH|-',
    description: `Where to write plan.json (default ${DEFAULT_PLAN_OUT}; - for stdout).`,
  },
  ...JSON_FLAG,
} as const satisfies Flags;

/** The trust of planning on a developer's machine (their own jobs file): tags resolve with their credentials. */
export const LOCAL_TRUST: PlanTrust = { trusted: true, reason: 'trust: trusted' };

/** --executor NAME, checked against the executor table. */
export function executorFlag(given: string | undefined): Executor | undefined {
  if (given === undefined) return undefined;
  const parsed = ExecutorSchema.safeParse(given);
  if (!parsed.success) throw new InputError(`--executor: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Plans a jobs file from the command line's view of the world (git, flags, platform), asking registries as `trust` allows. */
export async function planFromArgs(
  io: CliIo,
  file: string | undefined,
  values: { only?: string[]; 'changed-files'?: string; base?: string; executor?: string; durations?: string },
  trust: PlanTrust,
  /** Where the plan's relative image paths resolve (default: the repository root); `run --workspace` gives its folder. */
  imagesRoot?: string,
): Promise<Plan> {
  if (values['changed-files'] !== undefined && values.base !== undefined) {
    throw new InputError('use either --changed-files or --base, not both');
  }
  const executor = executorFlag(values.executor) ?? null;
  const root = repositoryRoot(io.cwd);
  const path = resolve(io.cwd, file ?? DEFAULT_JOBS_FILE);
  const name = displayName(root, path);
  // A jobs file named inside the repository must stay there (no link out of it); one named elsewhere is the user's.
  const loaded = loadJobsFile(path, name, name === path ? undefined : root);
  const only = listOption(values.only);
  const ociDigests = await resolveOciTags(loaded.config, io.env, trust);
  return locatedIn(loaded.locator, () => {
    const plan = buildPlan(loaded.config, {
      ociDigests,
      source: localSource(io.cwd),
      trust: { trusted: trust.trusted, reason: trust.reason },
      jobsFile: { name, sha256: loaded.sha256 },
      changes: localChanges(io.cwd, {
        changedFilesPath:
          values['changed-files'] === undefined ? undefined : resolve(io.cwd, values['changed-files']),
        base: values.base,
      }),
      ...(only === undefined ? {} : { only }),
      ...(executor === null ? {} : { executor }),
      ...(values.durations === undefined
        ? {}
        : { durations: readDurations(resolve(io.cwd, values.durations), values.durations) }),
      defaultExecutor: platformExecutor(),
      createdAt: planTimestamp(io.env),
    });
    // Prebuilt image files that are not there fail here, located, rather than when a job is about to boot them.
    const missing = givenImageFileProblems(plan, imagesRoot ?? root);
    if (missing.length > 0) throw new InputError(missing);
    return plan;
  });
}

/** Runs `plan` and gives its problems about the jobs file (those with a path) their file, line and column. */
function locatedIn<T>(locator: { locate(problem: Problem): Problem }, plan: () => T): T {
  try {
    return plan();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(
      error.problems.map((problem) =>
        problem.path !== undefined && problem.line === undefined ? locator.locate(problem) : problem,
      ),
    );
  }
}

/** `vmplan plan [FILE] [--only JOB...] [--changed-files FILE | --base REF] [--executor X] [--out PATH|-]` */
export async function planCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('plan', args, PLAN_FLAGS);
  if (positionals.length > 1)
    throw new InputError(`vmplan plan: expected one jobs file, got ${positionals.length}`);
  if (values.json === true && values.out === '-')
    throw new InputError(
      'vmplan plan: --out - prints the plan itself; --json prints a document around it: use one',
    );
  const plan = await planFromArgs(io, positionals[0], values, LOCAL_TRUST);
  const secretValues = secretValuesOf(plan, io.env);
  if (values.out === '-') {
    io.stdout(serializePlan(plan, secretValues));
    return EXIT.ok;
  }
  const out = resolve(io.cwd, values.out ?? DEFAULT_PLAN_OUT);
  if (values.out === undefined) ensureStateDir(dirname(out));
  writePlan(out, plan, secretValues);
  if (values.json === true) {
    printJson(io, 'plan', true, { path: out, plan });
    return EXIT.ok;
  }
  io.stdout(renderPlan(plan, { env: io.env }));
  io.stdout(`\nWrote ${relative(io.cwd, out) || out}\n`);
  return EXIT.ok;
}

/** A path relative to the repository root with forward slashes, or absolute when outside it. */
function displayName(root: string, path: string): string {
  const fromRoot = relative(root, path);
  if (fromRoot.startsWith('..') || isAbsolute(fromRoot)) return path;
  return fromRoot.split(sep).join('/');
}
