import { z } from 'zod';
import { DEFAULT_JOBS_FILE } from '../config/load.js';
import { ExecutorSchema } from '../config/schema.js';
import { InputError, type Problem } from '../errors.js';
import { executorOptions } from '../executors/catalog.js';
import { parseShard } from '../plan/shard.js';
import { TrustSettingSchema } from '../plan/trust.js';
import { parseUntrustedLimit, type UntrustedLimitSetting } from '../plan/untrusted-limits.js';
import { parseBytes } from '../util/bytes.js';
import { describeValue } from '../util/describe.js';
import { INPUTS } from './metadata.js';

/** A size (`20GB`, `500 MB`, `1.5GiB`, `0`) in bytes; empty is undefined. */
const sizeInput = z
  .string()
  .trim()
  .transform((value, context) => {
    if (value === '') return undefined;
    const bytes = parseBytes(value);
    if (bytes !== undefined) return bytes;
    context.addIssue({
      code: 'custom',
      message: `expected a size such as 20GB or 500MB, found ${describeValue(value)}`,
    });
    return z.NEVER;
  });

const booleanInput = z
  .string()
  .trim()
  .transform((value, context) => {
    const normalized = value.toLowerCase();
    if (['true', 'yes', '1'].includes(normalized)) return true;
    if (['false', 'no', '0', ''].includes(normalized)) return false;
    context.addIssue({ code: 'custom', message: `expected true or false, found ${describeValue(value)}` });
    return z.NEVER;
  });

const runIdInput = z
  .string()
  .trim()
  .refine((value) => value === '' || /^\d+$/.test(value), {
    error: (issue) => `expected a workflow run id (a number), found ${describeValue(issue.input)}`,
  })
  .transform((value) => (value === '' ? undefined : Number(value)));

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value));

/** Inputs for the executors' options: a boolean or an optional string each. */
function executorInputSchemas(): Record<string, typeof booleanInput | typeof optionalString> {
  return Object.fromEntries(
    executorOptions().map((option) => [
      option.name,
      option.type === 'boolean' ? booleanInput : optionalString,
    ]),
  );
}

/** The action's inputs, validated: each bad value is reported with the input's name. */
export const ActionInputsSchema = z.object({
  jobs: z.string().trim().min(1, { error: 'expected a path or inline YAML' }),
  only: z
    .string()
    .transform((value) =>
      value
        // A comma inside parentheses belongs to a matrix variant's name: `test (node 22, arm64)`.
        .split(/\n|,(?![^()\n]*\))/)
        .map((id) => id.trim())
        .filter((id) => id !== ''),
    )
    .transform((ids) => (ids.length === 0 ? undefined : ids)),
  executor: z
    .string()
    .trim()
    .transform((value) => (value === '' || value === 'auto' ? undefined : value))
    .pipe(ExecutorSchema.optional()),
  'max-parallel': z
    .string()
    .trim()
    .refine((value) => value === '' || /^[1-9]\d*$/.test(value), {
      error: (issue) => `expected a positive whole number, found ${describeValue(issue.input)}`,
    })
    .transform((value) => (value === '' ? undefined : Number(value))),
  'fail-fast': booleanInput,
  'state-dir': z.string().trim(),
  'cache-dir': z
    .string()
    .trim()
    .transform((value) => (value === '' ? undefined : value)),
  'cache-max-size': sizeInput,
  'min-free': sizeInput,
  plan: z
    .string()
    .trim()
    .transform((value) => (value === '' ? undefined : value)),
  'plan-only': booleanInput,
  'upload-logs': z.enum(['always', 'failure', 'never'], {
    error: (issue) => `expected always, failure or never, found ${describeValue(issue.input)}`,
  }),
  'check-runs': z.enum(['auto', 'true', 'false'], {
    error: (issue) => `expected auto, true or false, found ${describeValue(issue.input)}`,
  }),
  'github-token': z.string(),
  trust: TrustSettingSchema,
  'untrusted-network': z.enum(['nat', 'none'], {
    error: (issue) => `expected nat or none, found ${describeValue(issue.input)}`,
  }),
  'trusted-image-paths': z
    .string()
    .transform((value) =>
      value
        .split(/[,\n]/)
        .map((path) => path.trim())
        .filter((path) => path !== ''),
    )
    .pipe(
      z.array(
        z.string().refine((path) => path.startsWith('/'), {
          error: (issue) => `expected absolute folders, found ${describeValue(issue.input)}`,
        }),
      ),
    ),
  'untrusted-secrets': z
    .string()
    .transform((value) =>
      value
        .split(/[,\n]/)
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    )
    .pipe(
      z.array(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
          error: (issue) => `expected variable names, found ${describeValue(issue.input)}`,
        }),
      ),
    ),
  // The executors' own inputs (vfkit-path, keep-failed-disks, ...), from the executor table.
  ...executorInputSchemas(),
  mode: z.enum(['run', 'report'], {
    error: (issue) => `expected run or report, found ${describeValue(issue.input)}`,
  }),
  shard: z
    .string()
    .trim()
    .transform((value, context) => {
      if (value === '') return undefined;
      try {
        return parseShard(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message.replace(/^shard: /, '') });
        return z.NEVER;
      }
    }),
  durations: z
    .string()
    .trim()
    .transform((value) => (value === '' ? undefined : value)),
  'rerun-failed-from': runIdInput,
  'results-from': runIdInput,
  // Caps on untrusted runs, each a number (MiB, minutes) or undefined for the default.
  ...untrustedLimitInputs(),
});
/** The `untrusted-max-*` inputs' schemas: text in the units people write, a number out. */
function untrustedLimitInputs(): Record<UntrustedLimitSetting, z.ZodType<number | undefined, string>> {
  const schema = (setting: UntrustedLimitSetting) =>
    z
      .string()
      .trim()
      .transform((value, context) => {
        if (value === '') return undefined;
        const parsed = parseUntrustedLimit(setting, value);
        if (typeof parsed === 'number') return parsed;
        context.addIssue({
          code: 'custom',
          message: `expected ${parsed.expected}, found ${describeValue(value)}`,
        });
        return z.NEVER;
      });
  return {
    'untrusted-max-jobs': schema('untrusted-max-jobs'),
    'untrusted-max-memory': schema('untrusted-max-memory'),
    'untrusted-max-cpus': schema('untrusted-max-cpus'),
    'untrusted-max-timeout': schema('untrusted-max-timeout'),
  };
}

/** Validated action inputs. */
export type ActionInputs = z.infer<typeof ActionInputsSchema>;

/** Input names, as action.yml declares them. */
export const INPUT_NAMES = Object.keys(ActionInputsSchema.shape) as (keyof ActionInputs)[];

/**
 * Reads and validates every input through `get` (core.getInput); throws one InputError naming each bad input,
 * e.g. `input "max-parallel": expected a positive whole number, found "two"`.
 */
export function readInputs(get: (name: string) => string, defaults: { stateDir: string }): ActionInputs {
  const raw: Record<string, string> = {};
  for (const name of INPUT_NAMES) raw[name] = get(name) === '' ? defaultOf(name, defaults) : get(name);
  const result = ActionInputsSchema.safeParse(raw);
  if (!result.success) {
    const problems: Problem[] = result.error.issues.map((issue) => ({
      message: `input "${String(issue.path[0])}": ${issue.message}`,
    }));
    throw new InputError(problems);
  }
  const data = result.data;
  const sources = [
    data.plan !== undefined && 'plan',
    data['rerun-failed-from'] !== undefined && 'rerun-failed-from',
  ].filter(Boolean);
  if (sources.length > 1)
    throw new InputError('inputs "plan" and "rerun-failed-from" both given: give one of them');
  const jobsGiven = get('jobs').trim();
  if (result.data.plan !== undefined && jobsGiven !== '' && jobsGiven !== DEFAULT_JOBS_FILE) {
    throw new InputError(
      'inputs "plan" and "jobs" both given: the plan is already made from a jobs file; give one of them',
    );
  }
  return result.data;
}

/** The values of the executors' options among the inputs, by option name. */
export function executorInputs(inputs: ActionInputs): Record<string, string | boolean | undefined> {
  const values = inputs as unknown as Record<string, string | boolean | undefined>;
  return Object.fromEntries(executorOptions().map((option) => [option.name, values[option.name]]));
}

/**
 * An input's default as action.yml declares it, for when the runner gave none (a local run of the action). A
 * workflow expression there (`${{ runner.temp }}`) is the runner's to fill in: the caller's value stands in.
 */
function defaultOf(name: string, local: { stateDir: string }): string {
  const declared = INPUTS[name]?.default ?? '';
  if (!declared.includes('${{')) return declared;
  return name === 'state-dir' ? local.stateDir : '';
}

/** The `jobs` input is inline YAML when it spans lines or is a flow mapping; otherwise it is a path. */
export function isInlineJobs(value: string): boolean {
  return value.includes('\n') || value.trimStart().startsWith('{');
}
