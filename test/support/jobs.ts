import { parseJobsFile } from '../../src/config/parse.js';
import type { JobsFile } from '../../src/config/schema.js';
import { InputError } from '../../src/errors.js';
import type { TestSummary } from '../../src/parsers/test-summary.js';
import type { PlanContext } from '../../src/plan/build.js';
import type { Plan } from '../../src/plan/schema.js';
import type { Attempt, RunRecord } from '../../src/records/schema.js';
import type { RunStart } from '../../src/records/store.js';
import type { JobReport } from '../../src/report/model.js';

/** Parses a jobs file that must be valid. */
export function jobs(text: string): JobsFile {
  return parseJobsFile(text, 'vmplan.yml').config;
}

/** The message of the InputError `refused` throws (it must throw one). */
export function refusalOf(refused: () => unknown): string {
  try {
    refused();
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error('expected the input to be refused');
}

/** The error lines a jobs file produces (it must be invalid). */
export function jobsErrors(text: string, file = '.github/vmplan.yml'): string[] {
  return refusalOf(() => parseJobsFile(text, file)).split('\n');
}

/** A plan context for tests, with overrides. */
export function context(overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    source: { repository: 'acme/app', commit: 'a'.repeat(40), ref: 'refs/heads/main', event: 'push' },
    jobsFile: { name: '.github/vmplan.yml', sha256: 'b'.repeat(64) },
    trust: { trusted: true, reason: 'trust: trusted' },
    changes: { known: false, reason: 'test' },
    defaultExecutor: 'vfkit',
    createdAt: '2026-11-29T10:23:00.000Z',
    ...overrides,
  };
}

/** How a plain run of `plan` starts (no selection, no rerun, default options), as RunStore.create takes it. */
export function runStart(plan: Plan, runId: string): RunStart {
  return {
    runId,
    planId: plan.planId,
    planPath: 'plan.json',
    source: plan.source,
    selection: null,
    changes: plan.scope.changes,
    rerunOf: null,
    snapshotRun: runId,
    options: { maxParallel: null, failFast: true, executor: null },
  };
}

/** A finished run record of `plan` (failed, 1m05s on a Mac), with overrides. */
export function finishedRun(plan: Plan, overrides: Partial<RunRecord> = {}): RunRecord {
  const runId = '20261203T100000Z-0000abcd';
  return {
    ...runStart(plan, runId),
    schemaVersion: 1,
    status: 'failed',
    host: { hostname: 'mac', pid: 1, platform: 'darwin', arch: 'arm64' },
    startedAt: '2026-12-03T10:00:00.000Z',
    finishedAt: '2026-12-03T10:01:05.000Z',
    durationMs: 65_000,
    message: '"unit" failed',
    counts: { failed: 1 },
    ...overrides,
  };
}

/** A job's report for the reports' tests (a failed vfkit job "unit"), with overrides. */
export function jobReport(overrides: Partial<JobReport> = {}): JobReport {
  return {
    job: 'unit',
    description: 'Unit tests',
    executor: 'vfkit',
    status: 'failed',
    durationMs: 3400,
    exitCode: 3,
    message: 'exited with code 3',
    logTail: 'line 1\nline 2\n',
    logTruncated: false,
    tests: null,
    attempts: [],
    flaky: false,
    earlier: null,
    ...overrides,
  };
}

/** A job's test summary (1 passed, 1 failed, nothing else), with overrides. */
export function testSummary(overrides: Partial<TestSummary> = {}): TestSummary {
  return {
    reports: 1,
    total: 2,
    passed: 1,
    failed: 1,
    skipped: 0,
    durationMs: null,
    failures: [],
    slowest: [],
    flaky: [],
    problems: [],
    ...overrides,
  };
}

/** One failed test of a summary (test "t" of suite "s", nothing known but its name), with overrides. */
export function failedTest(
  overrides: Partial<TestSummary['failures'][number]> = {},
): TestSummary['failures'][number] {
  return {
    test: 't',
    suite: 's',
    status: 'failed',
    message: null,
    details: null,
    file: null,
    line: null,
    durationMs: null,
    ...overrides,
  };
}

/** Attempt `number` of a retried job: one second, failed with exit 1 unless it passed. */
export function attempt(
  number: number,
  status: Attempt['status'] = 'failed',
  message: string | null = null,
): Attempt {
  return {
    attempt: number,
    status,
    cause: status === 'passed' ? null : 'failure',
    startedAt: '2026-12-04T10:00:00.000Z',
    finishedAt: '2026-12-04T10:00:01.000Z',
    durationMs: 1000,
    exitCode: status === 'passed' ? 0 : 1,
    message,
    folder: `attempts/${number}`,
  };
}
