import type { RunRecord } from '../records/schema.js';
import type { Annotation } from '../report/annotations.js';
import type { JobReport } from '../report/model.js';
import { RESULTS_SCHEMA_VERSION, type Results } from './schema.js';

/** Most of a job's log kept in results.json (the whole log is in the logs artifact). */
const RESULT_LOG_TAIL_BYTES = 16 * 1024;

/** results.json for a finished run: every job of the run with its status, the end of its log, its annotations. */
export function buildResults(
  givenPlanId: string,
  shard: Results['shard'],
  run: RunRecord,
  jobs: JobReport[],
  annotations: Annotation[],
): Results {
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    planId: givenPlanId,
    shard,
    runId: run.runId,
    status: run.status === 'running' ? 'failed' : run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    jobs: Object.fromEntries(
      jobs.map((job) => {
        const tail = Buffer.from(job.logTail, 'utf8');
        const cut = tail.length > RESULT_LOG_TAIL_BYTES;
        return [
          job.job,
          {
            status: job.status,
            description: job.description,
            executor: job.executor,
            durationMs: job.durationMs,
            exitCode: job.exitCode,
            message: job.message,
            logTail: cut
              ? tail
                  .subarray(-RESULT_LOG_TAIL_BYTES)
                  .toString('utf8')
                  .replace(/^[^\n]*\n/, '')
              : job.logTail,
            logTruncated: job.logTruncated || cut,
            annotations: annotations.filter((annotation) => annotation.job === job.job),
            attempts: job.attempts,
            flaky: job.flaky,
            earlier: job.earlier,
            tests: job.tests,
            startedAt: job.startedAt ?? null,
            phases: job.phases ?? [],
          },
        ];
      }),
    ),
  };
}
