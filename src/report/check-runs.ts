import type { CheckRunCompletion, CheckRunOutput } from '../github/check-runs-client.js';
import { type TestSummary, testCounts } from '../parsers/test-summary.js';
import type { NodeStatus } from '../records/schema.js';
import { statusLabel } from '../records/status-words.js';
import type { Annotation } from './annotations.js';
import { codeSpan, fencedText, markdownInline, markdownLines } from './markdown.js';
import { type JobReport, shortDuration, testDuration } from './model.js';

/** The Checks API takes at most this many annotations per request. */
export const CHECK_ANNOTATIONS_PER_REQUEST = 50;
const MAX_OUTPUT_TEXT = 65_535;

/** A check-run annotation as the Checks API wants it. */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
}

/** The check run's name for a job: `vmplan / unit`, or a matrix variant's display name `vmplan / test (node 22, arm64)`. */
export function checkRunName(job: string, name?: string): string {
  return `vmplan / ${name ?? job}`;
}

/** A job's status as a check-run conclusion. */
export function conclusionOf(
  status: NodeStatus,
): 'success' | 'failure' | 'timed_out' | 'cancelled' | 'skipped' {
  switch (status) {
    case 'passed':
      return 'success';
    case 'timed_out':
      return 'timed_out';
    case 'cancelled':
      return 'cancelled';
    case 'skipped':
      return 'skipped';
    default:
      return 'failure';
  }
}

/** A check run's title, summary and text (the end of the log) for a finished job. */
export function checkRunOutput(job: JobReport, annotationCount: number): CheckRunOutput {
  const exit = job.exitCode === null ? '' : ` (exit ${job.exitCode})`;
  const title = `${job.job}: ${statusLabel(job.status)}${exit} in ${shortDuration(job.durationMs)}`.slice(
    0,
    255,
  );
  const tests = job.tests;
  const lines = [
    `**${markdownInline(job.description)}** — ${statusLabel(job.status)} on ${job.executor} in ${shortDuration(job.durationMs)}${exit}.`,
    job.message === null || job.status === 'passed' ? '' : `\n${markdownLines(job.message)}`,
    tests === null
      ? ''
      : `\nTests: ${testCounts(tests)}${tests.durationMs === null ? '' : ` in ${testDuration(tests.durationMs)}`}.`,
    job.attempts.length > 1
      ? `\n${job.flaky ? 'Flaky: ' : ''}${job.attempts.length} attempts: ${job.attempts
          .map((attempt) => `${statusLabel(attempt.status)} in ${shortDuration(attempt.durationMs)}`)
          .join(', ')}.`
      : '',
    annotationCount > 0 ? `\n${annotationCount} annotation(s).` : '',
  ];
  const summary = lines.join('').slice(0, MAX_OUTPUT_TEXT);
  const failures = tests === null ? '' : failedTestsText(tests, Math.floor(MAX_OUTPUT_TEXT / 2));
  if (job.logTail === '') return failures === '' ? { title, summary } : { title, summary, text: failures };
  const fence = '```';
  const header = `${failures}${job.logTruncated ? 'End of the log:\n\n' : 'Log:\n\n'}`;
  const room = MAX_OUTPUT_TEXT - header.length - 2 * fence.length - 4;
  const tail = job.logTail.length > room ? job.logTail.slice(-room) : job.logTail;
  return { title, summary, text: `${header}${fence}\n${fencedText(tail)}\n${fence}` };
}

/**
 * The failed tests as Markdown (name, place, message, details), within `room` characters: the tests that do not
 * fit are counted in a closing line that says where the whole reports are.
 */
export function failedTestsText(tests: TestSummary, room: number): string {
  if (tests.failed === 0) return '';
  const fence = '```';
  const parts: string[] = [];
  let used = 0;
  let shown = 0;
  const closing = (left: number) =>
    `_${left} more failed test(s): the reports are in the logs artifact._\n\n`;
  for (const failure of tests.failures) {
    const where = failure.file === null ? '' : ` (${codeSpan(`${failure.file}:${failure.line}`)})`;
    const body = [failure.message, failure.details].filter((text) => text !== null).join('\n\n');
    const part = `### ${markdownInline(failure.test)}${where}\n\n${body === '' ? '' : `${fence}text\n${fencedText(body)}\n${fence}\n`}\n`;
    if (used + part.length + closing(tests.failed).length > room) break;
    parts.push(part);
    used += part.length;
    shown++;
  }
  const left = tests.failed - shown;
  return `${parts.join('')}${left > 0 ? closing(left) : ''}`;
}

/** A running job's check run: its name and what it shows. */
export function checkRunStart(job: string, name?: string): { name: string; output: CheckRunOutput } {
  return {
    name: checkRunName(job, name),
    output: { title: `${job}: running`, summary: `vmplan is running \`${job}\`.` },
  };
}

/** A finished job's check run: name, conclusion, output and its annotations in batches the API takes. */
export function checkRunCompletion(report: JobReport, annotations: Annotation[]): CheckRunCompletion {
  const annotationBatches = checkAnnotationBatches(annotations);
  return {
    name: checkRunName(report.job, report.name),
    conclusion: conclusionOf(report.status),
    output: checkRunOutput(report, annotationBatches.flat().length),
    annotationBatches,
  };
}

/** Annotations with a place in the repository, as Checks API annotations, in requests of 50. */
export function checkAnnotationBatches(annotations: Annotation[]): CheckAnnotation[][] {
  const converted: CheckAnnotation[] = annotations
    .filter((annotation) => annotation.file !== undefined && annotation.line !== undefined)
    .map((annotation) => ({
      path: annotation.file!,
      start_line: annotation.line!,
      end_line: annotation.line!,
      annotation_level: annotation.level === 'error' ? 'failure' : annotation.level,
      message: annotation.message.slice(0, 64 * 1024 - 1) || annotation.title,
      title: annotation.title.slice(0, 255),
    }));
  const batches: CheckAnnotation[][] = [];
  for (let start = 0; start < converted.length; start += CHECK_ANNOTATIONS_PER_REQUEST) {
    batches.push(converted.slice(start, start + CHECK_ANNOTATIONS_PER_REQUEST));
  }
  return batches;
}
