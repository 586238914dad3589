import { z } from 'zod';
import type { Limits } from '../config/schema.js';
import { parseBytes } from '../util/bytes.js';

/** A job's caps as the plan holds them (each present only when the jobs file set it) and as a run uses them. */
export const JobLimitsSchema = z.strictObject({
  artifactBytes: z.int().positive().describe('Bytes brought back (allocated bytes of each file).'),
  artifactFiles: z.int().positive().describe('Files brought back.'),
  reportFiles: z.int().positive().describe('Test report files brought back and read.'),
  logBytes: z.int().positive().describe('Bytes kept of guest.log, and of console.log.'),
});
/** A job's caps, every one set. */
export type JobLimits = z.infer<typeof JobLimitsSchema>;

/** The caps of a trusted run's job that sets none: enough for a large real project. */
export const DEFAULT_LIMITS: JobLimits = {
  artifactBytes: 8 * 2 ** 30,
  artifactFiles: 50_000,
  reportFiles: 2_000,
  logBytes: 256 * 2 ** 20,
};

/** The most an untrusted run's job gets, whatever its jobs file says. */
export const UNTRUSTED_LIMITS: JobLimits = {
  artifactBytes: 2 ** 30,
  artifactFiles: 10_000,
  reportFiles: 500,
  logBytes: 64 * 2 ** 20,
};

/** The caps a jobs file sets for a job (its own over `defaults.limits`), for the plan; undefined when none. */
export function plannedLimits(
  job: Limits | undefined,
  defaults: Limits | undefined,
): Partial<JobLimits> | undefined {
  const merged = { ...defaults, ...job };
  const bytes = (value: number | string | undefined) =>
    value === undefined ? undefined : typeof value === 'number' ? value : parseBytes(value);
  const planned: Partial<JobLimits> = {};
  const artifactBytes = bytes(merged['artifact-bytes']);
  if (artifactBytes !== undefined) planned.artifactBytes = artifactBytes;
  if (merged['artifact-files'] !== undefined) planned.artifactFiles = merged['artifact-files'];
  if (merged['report-files'] !== undefined) planned.reportFiles = merged['report-files'];
  const logBytes = bytes(merged['log-bytes']);
  if (logBytes !== undefined) planned.logBytes = logBytes;
  return Object.keys(planned).length === 0 ? undefined : planned;
}

/** The caps a job runs with: the plan's over the defaults, and never above UNTRUSTED_LIMITS in an untrusted run. */
export function effectiveLimits(planned: Partial<JobLimits> | undefined, trusted: boolean): JobLimits {
  const limits = { ...DEFAULT_LIMITS, ...planned };
  if (trusted) return limits;
  return {
    artifactBytes: Math.min(limits.artifactBytes, UNTRUSTED_LIMITS.artifactBytes),
    artifactFiles: Math.min(limits.artifactFiles, UNTRUSTED_LIMITS.artifactFiles),
    reportFiles: Math.min(limits.reportFiles, UNTRUSTED_LIMITS.reportFiles),
    logBytes: Math.min(limits.logBytes, UNTRUSTED_LIMITS.logBytes),
  };
}
