import { z } from 'zod';
import { type Relativize, type TestCase, type TestReport, testName } from './model.js';
import { type FindBySuffix, testLocation } from './test-diagnostics.js';

/** Failed tests kept per job (the counts stay exact; the reports themselves are in the logs artifact). */
export const MAX_FAILED_TESTS = 50;
/** Slowest tests kept per job. */
export const SLOWEST_TESTS = 5;
/** Longest failure message kept. */
const MAX_MESSAGE = 1000;
/** Longest failure details (stack, diff) kept. */
const MAX_DETAILS = 4000;
/** Problems kept per job (reports unreadable, too large). */
const MAX_PROBLEMS = 20;

const count = z.number().int().nonnegative();

/** A failed (or errored) test, as the reports show it. */
export const FailedTestSchema = z.strictObject({
  /** "classname › name", or the name alone. */
  test: z.string(),
  suite: z.string(),
  status: z.enum(['failed', 'error']),
  message: z.string().nullable(),
  details: z.string().nullable(),
  /** Repository-relative place of the test or of its failure, when the report gives one. */
  file: z.string().nullable(),
  line: z.number().int().positive().nullable(),
  durationMs: z.number().nonnegative().nullable(),
});
/** A failed test. */
export type FailedTest = z.infer<typeof FailedTestSchema>;

/** A job's tests: counts, time, the failures and the slowest tests, from every report it wrote. */
export const TestSummarySchema = z.strictObject({
  reports: count.describe('Report files read.'),
  total: count,
  passed: count,
  /** Failed and errored. */
  failed: count,
  skipped: count,
  durationMs: z.number().nonnegative().nullable(),
  failures: z.array(FailedTestSchema).max(MAX_FAILED_TESTS),
  slowest: z
    .array(z.strictObject({ test: z.string(), suite: z.string(), durationMs: z.number().nonnegative() }))
    .max(SLOWEST_TESTS),
  /** Report files that could not be read, and why. */
  problems: z.array(z.string()).max(MAX_PROBLEMS + 1),
  /** Tests that failed in one attempt of the job and passed in another (retries), with each attempt's status. */
  flaky: z
    .array(
      z.strictObject({
        test: z.string(),
        suite: z.string(),
        history: z.array(z.enum(['passed', 'failed', 'skipped', 'missing'])),
      }),
    )
    .max(MAX_FAILED_TESTS)
    .default([]),
});
/** A job's test summary. */
export type TestSummary = z.infer<typeof TestSummarySchema>;

/**
 * One summary of a job's reports (in the order given): exact counts, the total time (each suite's own time, else
 * its cases'), the first failures with their place in the repository, and the slowest tests.
 */
export function summarizeTests(
  reports: TestReport[],
  relativize: Relativize,
  problems: string[] = [],
  findBySuffix?: FindBySuffix,
): TestSummary {
  const summary: TestSummary = {
    reports: reports.length,
    total: 0,
    passed: 0,
    failed: 0,
    skipped: 0,
    durationMs: null,
    failures: [],
    slowest: [],
    flaky: [],
    problems:
      problems.length > MAX_PROBLEMS
        ? [...problems.slice(0, MAX_PROBLEMS), `and ${problems.length - MAX_PROBLEMS} more`]
        : problems,
  };
  const timed: TestSummary['slowest'] = [];
  for (const report of reports) {
    for (const suite of report.suites) {
      const caseTime = suite.cases.reduce<number | null>(
        (sum, testCase) => (testCase.durationMs === null ? sum : (sum ?? 0) + testCase.durationMs),
        null,
      );
      const suiteTime = suite.durationMs ?? caseTime;
      if (suiteTime !== null) summary.durationMs = (summary.durationMs ?? 0) + suiteTime;
      for (const testCase of suite.cases) {
        summary.total++;
        if (testCase.status === 'passed') {
          summary.passed++;
          // The tool ran it again after it failed, and it passed: flaky within one run of the job.
          if ((testCase.reruns ?? 0) > 0 && summary.flaky.length < MAX_FAILED_TESTS)
            summary.flaky.push({
              test: clip(testName(testCase), MAX_MESSAGE)!,
              suite: clip(suite.name, MAX_MESSAGE)!,
              history: [...Array<'failed'>(testCase.reruns!).fill('failed'), 'passed'],
            });
        } else if (testCase.status === 'skipped') summary.skipped++;
        else {
          summary.failed++;
          if (summary.failures.length < MAX_FAILED_TESTS)
            summary.failures.push(failedTest(testCase, suite.name, relativize, findBySuffix));
        }
        // Tests that took no measurable time are not "slow": listing them would only be noise.
        if (testCase.durationMs !== null && testCase.durationMs > 0 && testCase.status !== 'skipped')
          timed.push({
            test: clip(testName(testCase), MAX_MESSAGE)!,
            suite: clip(suite.name, MAX_MESSAGE)!,
            durationMs: testCase.durationMs,
          });
      }
    }
  }
  summary.slowest = timed
    .sort((a, b) => b.durationMs - a.durationMs || (a.test < b.test ? -1 : a.test > b.test ? 1 : 0))
    .slice(0, SLOWEST_TESTS);
  return summary;
}

function failedTest(
  testCase: TestCase,
  suite: string,
  relativize: Relativize,
  findBySuffix: FindBySuffix | undefined,
): FailedTest {
  const place = testLocation(testCase, relativize, findBySuffix);
  return {
    test: clip(testName(testCase), MAX_MESSAGE)!,
    suite: clip(suite, MAX_MESSAGE)!,
    status: testCase.status === 'error' ? 'error' : 'failed',
    message: clip(testCase.message, MAX_MESSAGE),
    details: clip(testCase.details, MAX_DETAILS),
    file: place?.path ?? null,
    line: place?.line ?? null,
    durationMs: testCase.durationMs,
  };
}

function clip(text: string | null, most: number): string | null {
  if (text === null) return null;
  return text.length <= most ? text : `${text.slice(0, most)}…`;
}

/** "12 passed, 1 failed, 2 skipped" (only the non-zero counts; "no tests" when there are none). */
export function testCounts(summary: Pick<TestSummary, 'passed' | 'failed' | 'skipped'>): string {
  const parts = [
    summary.passed > 0 ? `${summary.passed} passed` : '',
    summary.failed > 0 ? `${summary.failed} failed` : '',
    summary.skipped > 0 ? `${summary.skipped} skipped` : '',
  ].filter((part) => part !== '');
  return parts.length === 0 ? 'no tests' : parts.join(', ');
}

/** A test's status in one attempt of a job, for flaky tests: errors count as failures. */
type AttemptStatus = 'passed' | 'failed' | 'skipped' | 'missing';

/**
 * Tests that both failed and passed across a job's attempts (each attempt's reports, in order), with their
 * history: the first 50, in the order the reports first name them.
 */
export function flakyTests(attempts: TestReport[][]): TestSummary['flaky'] {
  const histories = new Map<string, { test: string; suite: string; history: AttemptStatus[] }>();
  attempts.forEach((reports, index) => {
    for (const report of reports)
      for (const suite of report.suites)
        for (const testCase of suite.cases) {
          const test = clip(testName(testCase), MAX_MESSAGE)!;
          const key = `${suite.name}\u0000${test}`;
          let entry = histories.get(key);
          if (entry === undefined) {
            entry = { test, suite: clip(suite.name, MAX_MESSAGE)!, history: attempts.map(() => 'missing') };
            histories.set(key, entry);
          }
          const status: AttemptStatus =
            testCase.status === 'error' ? 'failed' : (testCase.status as AttemptStatus);
          // A test reported twice in one attempt (two formats) counts as failed if either says so.
          if (entry.history[index] !== 'failed') entry.history[index] = status;
        }
  });
  return [...histories.values()]
    .filter((entry) => entry.history.includes('failed') && entry.history.includes('passed'))
    .slice(0, MAX_FAILED_TESTS);
}

/**
 * Tests that failed in the run a rerun repeats (its recorded failures) and passed in this one: flaky across
 * runs, with the history failed → passed.
 */
export function passedSince(
  earlierFailures: readonly { test: string; suite: string }[],
  reports: TestReport[],
): TestSummary['flaky'] {
  if (earlierFailures.length === 0) return [];
  const failedBefore = new Set(earlierFailures.map((failure) => `${failure.suite}\u0000${failure.test}`));
  const found: TestSummary['flaky'] = [];
  const seen = new Set<string>();
  for (const report of reports)
    for (const suite of report.suites)
      for (const testCase of suite.cases) {
        const test = clip(testName(testCase), MAX_MESSAGE)!;
        const key = `${clip(suite.name, MAX_MESSAGE)}\u0000${test}`;
        if (testCase.status !== 'passed' || !failedBefore.has(key) || seen.has(key)) continue;
        seen.add(key);
        found.push({ test, suite: clip(suite.name, MAX_MESSAGE)!, history: ['failed', 'passed'] });
      }
  return found;
}
