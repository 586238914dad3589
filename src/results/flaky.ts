import { statusLabel } from '../records/status-words.js';
import { compareText } from '../util/canonical-json.js';
import type { Results } from './schema.js';

/** One run's results with the snapshot it ran (runs of one snapshot ran the very same files: they should agree). */
export interface RunResults {
  runId: string;
  /** The run whose snapshot it used: itself, or the run it reruns. */
  snapshot: string;
  results: Results;
}

/** A job or test that flipped: how, and in which runs. */
export interface FlakyFinding {
  job: string;
  /** For a test: its name ("classname › name"); null for the job itself. */
  test: string | null;
  /** How it flipped, in words. */
  how: string;
  /** The runs that show it, oldest first. */
  runs: string[];
}

const FAILING = new Set(['failed', 'timed_out']);

/**
 * The jobs and tests that flipped in the given runs: a job that passed on a retry or in a rerun of a run where it
 * failed; a job that failed in one run and passed in another on the same snapshot (a rerun: the same files, so
 * nothing but chance changed); a test that failed in one attempt (or run of one snapshot) and passed in another.
 * Sorted by job, then test.
 */
export function findFlaky(runs: RunResults[]): FlakyFinding[] {
  const findings: FlakyFinding[] = [];
  const ordered = [...runs].sort((a, b) => compareText(a.runId, b.runId));
  for (const { runId, results } of ordered) {
    for (const [job, result] of Object.entries(results.jobs)) {
      if (result.flaky && result.attempts.length > 1)
        findings.push({
          job,
          test: null,
          how: `passed on attempt ${result.attempts.length} after ${result.attempts
            .slice(0, -1)
            .map((attempt) => statusLabel(attempt.status))
            .join(', ')}`,
          runs: [runId],
        });
      if (result.flaky && result.earlier !== null && FAILING.has(result.earlier.status))
        findings.push({
          job,
          test: null,
          how: `${statusLabel(result.earlier.status)} in ${result.earlier.run}, passed in its rerun`,
          runs: [runId],
        });
      for (const test of result.tests?.flaky ?? [])
        findings.push({ job, test: test.test, how: test.history.join(' → '), runs: [runId] });
    }
  }
  findings.push(...flippedOnOneSnapshot(ordered));
  return findings.sort(
    (a, b) =>
      compareText(a.job, b.job) ||
      compareText(a.test ?? '', b.test ?? '') ||
      compareText(a.runs[0] ?? '', b.runs[0] ?? ''),
  );
}

/** Jobs, and tests of jobs, that failed in one run and passed in another on the same snapshot. */
function flippedOnOneSnapshot(ordered: RunResults[]): FlakyFinding[] {
  const byCommitJob = new Map<string, { runId: string; status: string; failedTests: string[] | null }[]>();
  for (const { runId, snapshot, results } of ordered) {
    for (const [job, result] of Object.entries(results.jobs)) {
      if (result.status !== 'passed' && !FAILING.has(result.status)) continue;
      const key = `${snapshot}\u0000${job}`;
      const tests = result.tests;
      // A run tells a test passed only when it lists every failure and the job's tests ran.
      const complete = tests !== null && tests.total > 0 && tests.failures.length === tests.failed;
      const entry = {
        runId,
        status: result.status,
        failedTests: complete ? tests.failures.map((f) => f.test) : null,
      };
      byCommitJob.set(key, [...(byCommitJob.get(key) ?? []), entry]);
    }
  }
  const findings: FlakyFinding[] = [];
  for (const [key, entries] of byCommitJob) {
    const [snapshot, job] = key.split('\u0000') as [string, string];
    if (
      entries.some((entry) => entry.status === 'passed') &&
      entries.some((entry) => FAILING.has(entry.status))
    )
      findings.push({
        job,
        test: null,
        how: `${entries.map((entry) => statusLabel(entry.status)).join(' → ')} on the snapshot of run ${snapshot}`,
        runs: entries.map((entry) => entry.runId),
      });
    const known = entries.filter((entry) => entry.failedTests !== null);
    const failedSomewhere = new Set(known.flatMap((entry) => entry.failedTests!));
    for (const test of [...failedSomewhere].sort(compareText)) {
      if (known.every((entry) => entry.failedTests!.includes(test))) continue;
      const seen = known.map((entry) => (entry.failedTests!.includes(test) ? 'failed' : 'passed'));
      findings.push({
        job,
        test,
        how: `${seen.join(' → ')} on the snapshot of run ${snapshot}`,
        runs: known.map((entry) => entry.runId),
      });
    }
  }
  return findings;
}
