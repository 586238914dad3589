import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { DEFAULT_JOBS_FILE, loadJobsFile } from '../../config/load.js';
import { ExecutorSchema } from '../../config/schema.js';
import {
  localChanges,
  localSource,
  planTimestamp,
  platformExecutor,
  repositoryRoot,
} from '../../context/local-context.js';
import { InputError } from '../../errors.js';
import { buildPlan } from '../../plan/build.js';
import { serializePlan, writePlan } from '../../plan/io.js';
import { renderPlan } from '../../plan/render.js';
import type { Plan } from '../../plan/schema.js';
import { secretValuesOf } from '../../plan/secrets.js';
import { readDurations } from '../../results/durations.js';
import { ensureStateDir } from '../../util/state-dir.js';
import { listOption, parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';

/** Where `vmplan plan` writes by default. */
export const DEFAULT_PLAN_OUT = '.vmplan/plan.json';

/** Options shared by every command that plans (plan, run). */
export const planningOptions = {
  only: { type: 'string', multiple: true },
  'changed-files': { type: 'string' },
  base: { type: 'string' },
  executor: { type: 'string' },
  durations: { type: 'string' },
} as const;

/** Plans a jobs file from the command line's view of the world (git, flags, platform). */
export function planFromArgs(
  io: CliIo,
  file: string | undefined,
  values: { only?: string[]; 'changed-files'?: string; base?: string; executor?: string; durations?: string },
): Plan {
  if (values['changed-files'] !== undefined && values.base !== undefined) {
    throw new InputError('use either --changed-files or --base, not both');
  }
  let executor: Plan['scope']['executor'] = null;
  if (values.executor !== undefined) {
    const parsed = ExecutorSchema.safeParse(values.executor);
    if (!parsed.success) throw new InputError(`--executor: ${parsed.error.issues[0]?.message}`);
    executor = parsed.data;
  }
  const root = repositoryRoot(io.cwd);
  const path = resolve(io.cwd, file ?? DEFAULT_JOBS_FILE);
  const name = displayName(root, path);
  const loaded = loadJobsFile(path, name);
  const only = listOption(values.only);
  return buildPlan(loaded.config, {
    source: localSource(io.cwd),
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
}

/** `vmplan plan [FILE] [--only JOB...] [--changed-files FILE | --base REF] [--executor X] [--out PATH|-]` */
export function planCommand(args: string[], io: CliIo): number {
  const { values, positionals } = parseCommandArgs('plan', args, {
    ...planningOptions,
    out: { type: 'string' },
  });
  if (positionals.length > 1)
    throw new InputError(`vmplan plan: expected one jobs file, got ${positionals.length}`);
  const plan = planFromArgs(io, positionals[0], values);
  const secretValues = secretValuesOf(plan, io.env);
  if (values.out === '-') {
    io.stdout(serializePlan(plan, secretValues));
    return EXIT.ok;
  }
  const out = resolve(io.cwd, values.out ?? DEFAULT_PLAN_OUT);
  if (values.out === undefined) ensureStateDir(dirname(out));
  writePlan(out, plan, secretValues);
  io.stdout(renderPlan(plan));
  io.stdout(`\nWrote ${relative(io.cwd, out) || out}\n`);
  return EXIT.ok;
}

/** A path relative to the repository root with forward slashes, or absolute when outside it. */
function displayName(root: string, path: string): string {
  const fromRoot = relative(root, path);
  if (fromRoot.startsWith('..') || isAbsolute(fromRoot)) return path;
  return fromRoot.split(sep).join('/');
}
