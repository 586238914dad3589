import * as core from '@actions/core';
import { formatProblem, type InputError } from '../errors.js';
import { statusLabel } from '../records/status-words.js';
import {
  type Annotation,
  clampMessage,
  mostUseful,
  WORKFLOW_ANNOTATIONS_PER_LEVEL,
} from '../report/annotations.js';
import type { JobReport } from '../report/model.js';
import type { ActionsLog } from './actions-log.js';
import { setOutput } from './metadata.js';

/**
 * Emits the most useful annotations as workflow commands. The runner keeps ten per level and step, so the
 * slots the step uses otherwise (warnings already shown, the error of a failing step) are left free.
 */
export function emitAnnotations(
  log: ActionsLog,
  annotations: Annotation[],
  taken: Partial<Record<Annotation['level'], number>>,
): void {
  log.command(() => {
    for (const annotation of mostUseful(annotations, taken)) {
      const properties = {
        title: annotation.title,
        ...(annotation.file === undefined ? {} : { file: annotation.file }),
        ...(annotation.line === undefined ? {} : { startLine: annotation.line }),
        ...(annotation.column === undefined ? {} : { startColumn: annotation.column }),
      };
      const message = clampMessage(annotation.message || annotation.title);
      if (annotation.level === 'error') core.error(message, properties);
      else if (annotation.level === 'warning') core.warning(message, properties);
      else core.notice(message, properties);
    }
  });
}

/** Sets status, passed, failed and results, and fails the step when not every job passed. */
export function finishWithResults(status: string, jobs: JobReport[]): void {
  const failedJobs = jobs.filter((job) => job.status !== 'passed');
  setOutput('status', status);
  setOutput('passed', String(jobs.length - failedJobs.length));
  setOutput('failed', String(failedJobs.length));
  setOutput(
    'results',
    JSON.stringify(
      Object.fromEntries(
        jobs.map((job) => [
          job.job,
          { status: job.status, durationMs: job.durationMs, exitCode: job.exitCode },
        ]),
      ),
    ),
  );
  if (status !== 'passed') {
    const names = failedJobs.slice(0, 5).map((job) => `${job.job} (${statusLabel(job.status)})`);
    const what = status === 'cancelled' ? 'cancelled' : `${failedJobs.length} job(s) did not pass`;
    core.setFailed(
      `vmplan: ${what}${names.length === 0 ? '' : `: ${names.join(', ')}`}${failedJobs.length > 5 ? ', …' : ''}`,
    );
  }
}

/** Appends markdown to the step summary (when the runner provides one). */
export async function writeSummary(markdown: string): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY === undefined) return;
  await core.summary.addRaw(markdown).write();
}

/**
 * Fails the step on bad input. Problems located in a file of the repository (the jobs file, given by path) become
 * error annotations on their line, so they show on the file in the pull request; the rest are one message.
 */
export function failOnInputError(error: InputError): void {
  const located = error.problems.filter(
    (problem) =>
      problem.file !== undefined && problem.line !== undefined && !problem.file.startsWith('input '),
  );
  if (located.length === 0) {
    core.setFailed(error.message);
    return;
  }
  // Nine, so the step's own failure is the tenth error the runner keeps.
  for (const problem of error.problems.slice(0, WORKFLOW_ANNOTATIONS_PER_LEVEL - 1)) {
    const where =
      problem.file === undefined || problem.line === undefined || problem.file.startsWith('input ')
        ? {}
        : {
            file: problem.file,
            startLine: problem.line,
            ...(problem.column === undefined ? {} : { startColumn: problem.column }),
          };
    core.error(formatProblem(problem), { title: 'vmplan: invalid input', ...where });
  }
  const rest = error.problems.slice(WORKFLOW_ANNOTATIONS_PER_LEVEL - 1).map(formatProblem);
  core.setFailed(
    `vmplan: ${error.problems.length} problem(s) in the input, nothing ran${rest.length === 0 ? '' : `; also:\n${rest.join('\n')}`}`,
  );
}
