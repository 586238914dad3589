import { z } from 'zod';
import type { Problem } from '../errors.js';
import { parseBytes } from '../util/bytes.js';
import type { Plan } from './schema.js';

/**
 * What an untrusted run may ask of the runner at most: a pull request's jobs file could otherwise ask for 500 jobs
 * of 64 CPUs, 1 TiB and a week each. Set by the operator (`untrusted-max-*` inputs, `--untrusted-max-*` flags).
 */
export const UntrustedLimitsSchema = z.strictObject({
  /** Jobs in the plan run. */
  maxJobs: z.number().int().positive(),
  /** A job's guest memory, MiB. */
  maxMemoryMiB: z.number().int().positive(),
  /** A job's guest CPUs. */
  maxCpus: z.number().int().positive(),
  /** A job's timeout, minutes. */
  maxTimeoutMinutes: z.number().positive(),
});
/** Caps on an untrusted run. */
export type UntrustedLimits = z.infer<typeof UntrustedLimitsSchema>;

/** The caps when the operator sets none: 50 jobs, 8 GiB, 4 CPUs, 2 hours. */
export const DEFAULT_UNTRUSTED_LIMITS: UntrustedLimits = {
  maxJobs: 50,
  maxMemoryMiB: 8192,
  maxCpus: 4,
  maxTimeoutMinutes: 120,
};

/** The settings, by the name of their input (`--` before it for the flag), in the order they are documented. */
export const UNTRUSTED_LIMIT_SETTINGS = {
  'untrusted-max-jobs': { key: 'maxJobs', what: 'a whole number of jobs, e.g. 50' },
  'untrusted-max-memory': { key: 'maxMemoryMiB', what: 'a size such as 8GiB or 4096 (MiB)' },
  'untrusted-max-cpus': { key: 'maxCpus', what: 'a whole number of CPUs, e.g. 4' },
  'untrusted-max-timeout': { key: 'maxTimeoutMinutes', what: 'a duration such as 2h or 90m (minutes)' },
} as const satisfies Record<string, { key: keyof UntrustedLimits; what: string }>;

/** One setting's name. */
export type UntrustedLimitSetting = keyof typeof UNTRUSTED_LIMIT_SETTINGS;

/** A setting's text as its number (MiB, minutes), or the words saying what was expected. */
export function parseUntrustedLimit(
  setting: UntrustedLimitSetting,
  text: string,
): number | { expected: string } {
  const value = text.trim();
  const expected = { expected: UNTRUSTED_LIMIT_SETTINGS[setting].what };
  let parsed: number | undefined;
  if (setting === 'untrusted-max-jobs' || setting === 'untrusted-max-cpus')
    parsed = /^\d+$/.test(value) ? Number(value) : undefined;
  else if (setting === 'untrusted-max-memory') {
    const bytes = /^\d+$/.test(value) ? Number(value) * 2 ** 20 : parseBytes(value);
    parsed = bytes === undefined ? undefined : Math.floor(bytes / 2 ** 20);
  } else {
    const match = /^(\d+(?:\.\d+)?)\s*(m|min|h)?$/i.exec(value);
    parsed = match === null ? undefined : Number(match[1]) * (match[2]?.toLowerCase() === 'h' ? 60 : 1);
  }
  return parsed === undefined || !(parsed > 0) ? expected : parsed;
}

/**
 * Limits from settings given as text (unset or empty ones keep their default); a setting that is not a value
 * of its kind is a problem naming it (`prefix` is `--` for flags, '' for inputs).
 */
export function untrustedLimitsFrom(
  settings: Partial<Record<UntrustedLimitSetting, string | undefined>>,
  prefix = '',
): { limits: UntrustedLimits; problems: string[] } {
  const limits = { ...DEFAULT_UNTRUSTED_LIMITS };
  const problems: string[] = [];
  for (const setting of Object.keys(UNTRUSTED_LIMIT_SETTINGS) as UntrustedLimitSetting[]) {
    const text = settings[setting];
    if (text === undefined || text.trim() === '') continue;
    const parsed = parseUntrustedLimit(setting, text);
    if (typeof parsed === 'number') limits[UNTRUSTED_LIMIT_SETTINGS[setting].key] = parsed;
    else problems.push(`${prefix}${setting}: expected ${parsed.expected}, found ${JSON.stringify(text)}`);
  }
  return { limits, problems };
}

/** What in the plan goes over the caps: one located problem each (the job count on `jobs`). */
export function untrustedLimitProblems(plan: Plan, limits: UntrustedLimits, reason: string): Problem[] {
  const file = plan.source.jobsFile;
  const problems: Problem[] = [];
  const jobs = plan.nodes.filter((node) => node.kind === 'execute');
  if (jobs.length > limits.maxJobs)
    problems.push({
      file,
      path: ['jobs'],
      message: `${jobs.length} jobs to run; ${reason} runs at most ${limits.maxJobs} (untrusted-max-jobs)`,
    });
  for (const node of jobs) {
    const over = (field: string, asked: string, most: string, setting: UntrustedLimitSetting) =>
      problems.push({
        file,
        path: ['jobs', node.job, field],
        message: `asks for ${asked}; ${reason} allows at most ${most} (${setting})`,
      });
    if (node.memory !== null && node.memory > limits.maxMemoryMiB)
      over('memory', `${node.memory} MiB`, `${limits.maxMemoryMiB} MiB`, 'untrusted-max-memory');
    if (node.cpus !== null && node.cpus > limits.maxCpus)
      over('cpus', `${node.cpus} CPUs`, `${limits.maxCpus}`, 'untrusted-max-cpus');
    if (node.timeoutMinutes > limits.maxTimeoutMinutes)
      over(
        'timeout-minutes',
        `${node.timeoutMinutes} minutes`,
        `${limits.maxTimeoutMinutes} minutes`,
        'untrusted-max-timeout',
      );
  }
  return problems;
}
