import type { ExecuteNode, Plan } from '../plan/schema.js';
import type { Annotation } from '../report/annotations.js';
import type { JobReport } from '../report/model.js';
import type { JobResult, Results } from './schema.js';

/** Results of several runners merged over one plan, as the reports want them. */
export interface MergedResults {
  status: 'passed' | 'failed' | 'cancelled';
  jobs: JobReport[];
  annotations: Annotation[];
  /** What was wrong with the inputs (a missing shard, a result for another plan), for the summary. */
  problems: string[];
}

/** A job's report from its result. */
export function jobReportFromResult(job: string, result: JobResult): JobReport {
  const { annotations: _annotations, ...report } = result;
  return { job, ...report };
}

/**
 * Merges the results of a plan's shards (or of one runner). Results of another plan are ignored with a note; a
 * shard that ran more than once (GitHub's "re-run failed jobs") counts with its latest results; a job reported
 * by two different shards is a conflict (kept: the first, noted); a job nobody reported — a shard that never
 * uploaded results — counts as not run, so a missing shard can never look like success.
 */
export function mergeResults(plan: Plan, given: Results[]): MergedResults {
  const problems: string[] = [];
  const all = latestPerShard(given, problems);
  const byJob = new Map<string, { result: JobResult; from: string }>();
  const seenShards = new Set<number>();
  let shardCount: number | undefined;
  let cancelled = false;
  for (const results of all) {
    const from =
      results.shard === null ? `run ${results.runId}` : `shard ${results.shard.index}/${results.shard.count}`;
    if (results.planId !== plan.planId) {
      problems.push(
        `results of ${from} belong to plan ${results.planId.slice(0, 12)}, not ${plan.planId.slice(0, 12)}: ignored`,
      );
      continue;
    }
    if (results.shard !== null) {
      seenShards.add(results.shard.index);
      shardCount = results.shard.count;
    }
    if (results.status === 'cancelled') cancelled = true;
    for (const [job, result] of Object.entries(results.jobs)) {
      const existing = byJob.get(job);
      if (existing !== undefined) {
        problems.push(
          `job "${job}" was reported by both ${existing.from} and ${from}: kept the result of ${existing.from}`,
        );
        continue;
      }
      byJob.set(job, { result, from });
    }
  }
  if (shardCount !== undefined) {
    for (let index = 1; index <= shardCount; index++) {
      if (!seenShards.has(index))
        problems.push(
          `no results from shard ${index}/${shardCount} (it did not finish or did not upload results.json)`,
        );
    }
  }
  const executeNodes = plan.nodes.filter((node): node is ExecuteNode => node.kind === 'execute');
  const jobs = executeNodes.map((node): JobReport => {
    const found = byJob.get(node.job);
    if (found !== undefined) return jobReportFromResult(node.job, found.result);
    return {
      job: node.job,
      description: node.description,
      executor: node.executor,
      status: 'skipped',
      durationMs: null,
      exitCode: null,
      message: 'no result: the runner that had this job did not report (see the notes above)',
      logTail: '',
      logTruncated: false,
      tests: null,
      attempts: [],
      flaky: false,
      earlier: null,
    };
  });
  const annotations = executeNodes.flatMap((node) => byJob.get(node.job)?.result.annotations ?? []);
  const allPassed = jobs.every((job) => job.status === 'passed');
  return {
    status: cancelled ? 'cancelled' : allPassed ? 'passed' : 'failed',
    jobs,
    annotations,
    problems,
  };
}

/** Recorded durations of passed jobs, from results, to balance the next shards. */
export function durationsFrom(all: Results[]): Record<string, number> {
  const durations: Record<string, number> = {};
  for (const results of all) {
    for (const [job, result] of Object.entries(results.jobs)) {
      if (result.status === 'passed' && result.durationMs !== null) durations[job] = result.durationMs;
    }
  }
  return durations;
}

/** Of the results of one shard (or of the whole plan) uploaded several times, the latest; noted. */
function latestPerShard(all: Results[], problems: string[]): Results[] {
  const latest = new Map<string, Results>();
  const key = (results: Results) =>
    `${results.planId}:${results.shard === null ? 'whole' : `${results.shard.index}/${results.shard.count}`}`;
  for (const results of all) {
    const seen = latest.get(key(results));
    if (seen === undefined || Date.parse(results.startedAt) > Date.parse(seen.startedAt))
      latest.set(key(results), results);
  }
  for (const results of all) {
    const kept = latest.get(key(results))!;
    if (kept === results) continue;
    const what = results.shard === null ? 'the plan' : `shard ${results.shard.index}/${results.shard.count}`;
    problems.push(
      `${what} ran again (run ${kept.runId}): its earlier results (run ${results.runId}) were replaced`,
    );
  }
  return all.filter((results) => latest.get(key(results)) === results);
}
