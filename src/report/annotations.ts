import type { Diagnostic } from '../parsers/model.js';
import { plainText } from './markdown.js';
import type { JobReport } from './model.js';

/**
 * One annotation, before it becomes a workflow command or a check-run annotation. GitHub shows annotations as
 * plain text: job-derived titles and messages have their controls made visible and mentions broken (`plainText`).
 */
export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  title: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  job: string;
  /** Job failures rank before the diagnostics found in logs. */
  kind: 'job' | 'diagnostic';
}

/** The runner keeps this many annotations per level and step; more go to check runs only. */
export const WORKFLOW_ANNOTATIONS_PER_LEVEL = 10;
/** The runner truncates annotation messages to this length. */
export const MAX_ANNOTATION_MESSAGE = 4096;

/** Where a job is defined, to place its failure annotation on the jobs file. */
export type JobLocation = (job: string) => { file: string; line: number } | undefined;

/** One annotation per failed or timed-out job: `vmplan: unit failed (exit 3)`, on the job's definition. */
export function jobAnnotations(jobs: JobReport[], locate: JobLocation): Annotation[] {
  return jobs
    .filter((job) => job.status === 'failed' || job.status === 'timed_out')
    .map((job) => {
      const what =
        job.status === 'timed_out'
          ? 'timed out'
          : job.exitCode === null
            ? 'failed'
            : `failed (exit ${job.exitCode})`;
      const tail = lastLines(job.logTail, 5);
      const location = locate(job.job);
      return {
        level: 'error' as const,
        title: `vmplan: ${job.job} ${what}`,
        message: plainText([job.message ?? '', tail].filter((part) => part !== '').join('\n')),
        ...(location === undefined ? {} : { file: location.file, line: location.line }),
        job: job.job,
        kind: 'job' as const,
      };
    });
}

/** Diagnostics as annotations (titles say the tool and job). */
export function diagnosticAnnotations(diagnostics: Diagnostic[]): Annotation[] {
  return diagnostics.map((diagnostic) => ({
    level: diagnostic.severity,
    title: plainText(`${diagnostic.title} (${diagnostic.job})`),
    message: plainText(diagnostic.message),
    file: diagnostic.path,
    line: diagnostic.line,
    ...(diagnostic.column === undefined ? {} : { column: diagnostic.column }),
    job: diagnostic.job,
    kind: 'diagnostic' as const,
  }));
}

/**
 * The annotations worth a workflow command, at most ten per level less those `taken` (the runner keeps ten): job failures
 * first, then diagnostics from each failed job in turn (so one noisy job cannot hide the others), then the rest.
 */
export function mostUseful(
  annotations: Annotation[],
  taken: Partial<Record<Annotation['level'], number>> = {},
): Annotation[] {
  const chosen: Annotation[] = [];
  for (const level of ['error', 'warning', 'notice'] as const) {
    const perLevel = Math.max(0, WORKFLOW_ANNOTATIONS_PER_LEVEL - (taken[level] ?? 0));
    const ofLevel = annotations.filter((annotation) => annotation.level === level);
    const jobs = ofLevel.filter((annotation) => annotation.kind === 'job');
    const byJob = new Map<string, Annotation[]>();
    for (const annotation of ofLevel.filter((a) => a.kind === 'diagnostic')) {
      const list = byJob.get(annotation.job) ?? [];
      list.push(annotation);
      byJob.set(annotation.job, list);
    }
    // Round-robin over jobs.
    const interleaved: Annotation[] = [];
    for (let round = 0; interleaved.length < perLevel; round++) {
      const next = [...byJob.values()]
        .map((list) => list[round])
        .filter((a): a is Annotation => a !== undefined);
      if (next.length === 0) break;
      interleaved.push(...next);
    }
    chosen.push(...[...jobs, ...interleaved].slice(0, perLevel));
  }
  return chosen;
}

/** Shortens a message to what the runner keeps, saying so. */
export function clampMessage(message: string, limit = MAX_ANNOTATION_MESSAGE): string {
  if (message.length <= limit) return message;
  const note = '\n… (truncated; the full text is in the check run and the logs artifact)';
  return `${message.slice(0, limit - note.length)}${note}`;
}

function lastLines(text: string, count: number): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-count).join('\n');
}
