import * as core from '@actions/core';
import { type Annotation, clampMessage, mostUseful } from '../report/annotations.js';
import type { JobReport } from '../report/model.js';
import type { ActionsLog } from './actions-log.js';

/** Emits the most useful annotations as workflow commands (the runner keeps ten per level). */
export function emitAnnotations(log: ActionsLog, annotations: Annotation[]): void {
  log.command(() => {
    for (const annotation of mostUseful(annotations)) {
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
  core.setOutput('status', status);
  core.setOutput('passed', String(jobs.length - failedJobs.length));
  core.setOutput('failed', String(failedJobs.length));
  core.setOutput(
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
    const names = failedJobs.slice(0, 5).map((job) => `${job.job} (${job.status.replace('_', ' ')})`);
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
