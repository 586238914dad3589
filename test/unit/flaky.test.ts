// What counts as flaky: retries that passed, reruns that passed what failed, tests that flipped between attempts
// or runs of one snapshot — and how the reports, the check run and the CLI table show retried jobs.
import { describe, expect, it } from 'vitest';
import type { TestReport } from '../../src/parsers/model.js';
import { flakyTests, passedSince, type TestSummary } from '../../src/parsers/test-summary.js';
import { buildPlan } from '../../src/plan/build.js';
import { renderRunTable } from '../../src/records/render.js';
import type { Attempt, NodeRecord } from '../../src/records/schema.js';
import { attemptsNote, retryLine } from '../../src/records/status-words.js';
import { checkRunOutput } from '../../src/report/check-runs.js';
import { buildSummary } from '../../src/report/summary.js';
import { findFlaky, type RunResults } from '../../src/results/flaky.js';
import type { JobResult, Results } from '../../src/results/schema.js';
import { context, failedTest, finishedRun, jobReport, jobs } from '../support/jobs.js';

const attempt = (number: number, status: Attempt['status'], overrides: Partial<Attempt> = {}): Attempt => ({
  attempt: number,
  status,
  cause: status === 'passed' ? null : status === 'timed_out' ? 'timeout' : 'failure',
  startedAt: '2026-12-04T10:00:00.000Z',
  finishedAt: '2026-12-04T10:00:01.500Z',
  durationMs: 1500,
  exitCode: status === 'passed' ? 0 : 1,
  message: status === 'passed' ? null : 'exited with code 1',
  folder: `jobs/unit/attempts/${number}`,
  ...overrides,
});

const suite = (cases: [string, 'passed' | 'failed' | 'error' | 'skipped'][]): TestReport => ({
  format: 'junit',
  suites: [
    {
      name: 'calc',
      durationMs: null,
      cases: cases.map(([name, status]) => ({
        name,
        classname: 'calc',
        status,
        durationMs: null,
        message: null,
        details: null,
        file: null,
        line: null,
      })),
    },
  ],
});

describe('flaky tests of one job', () => {
  it('a test that failed (or errored) in one attempt and passed in another, with every attempt', () => {
    expect(
      flakyTests([
        [
          suite([
            ['adds', 'failed'],
            ['steady', 'passed'],
            ['gone', 'failed'],
          ]),
        ],
        [
          suite([
            ['adds', 'error'],
            ['steady', 'passed'],
          ]),
        ],
        [
          suite([
            ['adds', 'passed'],
            ['steady', 'passed'],
            ['new', 'skipped'],
          ]),
        ],
      ]),
    ).toEqual([{ test: 'calc › adds', suite: 'calc', history: ['failed', 'failed', 'passed'] }]);
  });

  it('a test reported twice in one attempt counts as failed when either report says so', () => {
    expect(
      flakyTests([[suite([['adds', 'failed']]), suite([['adds', 'passed']])], [suite([['adds', 'passed']])]]),
    ).toEqual([{ test: 'calc › adds', suite: 'calc', history: ['failed', 'passed'] }]);
    expect(flakyTests([[suite([['adds', 'passed']])], [suite([['adds', 'skipped']])]])).toEqual([]);
  });

  it('keeps the first 50', () => {
    const many = Array.from({ length: 60 }, (_, i) => [`t${i}`, 'failed'] as [string, 'failed']);
    const flaky = flakyTests([[suite(many)], [suite(many.map(([name]) => [name, 'passed']))]]);
    expect(flaky).toHaveLength(50);
    expect(flaky[49]!.test).toBe('calc › t49');
  });

  it('across a rerun: what failed before and passed now, once', () => {
    expect(
      passedSince(
        [
          { test: 'calc › adds', suite: 'calc' },
          { test: 'calc › still', suite: 'calc' },
          { test: 'calc › adds', suite: 'other' },
        ],
        [
          suite([
            ['adds', 'passed'],
            ['still', 'failed'],
          ]),
          suite([['adds', 'passed']]),
        ],
      ),
    ).toEqual([{ test: 'calc › adds', suite: 'calc', history: ['failed', 'passed'] }]);
    expect(passedSince([], [suite([['adds', 'passed']])])).toEqual([]);
  });
});

const tests = (failed: string[], total = 3, flaky: TestSummary['flaky'] = []): TestSummary => ({
  reports: 1,
  total,
  passed: total - failed.length,
  failed: failed.length,
  skipped: 0,
  durationMs: null,
  failures: failed.map((test) => failedTest({ test, suite: 'calc' })),
  slowest: [],
  problems: [],
  flaky,
});

const result = (overrides: Partial<JobResult>): JobResult => ({
  status: 'passed',
  description: '',
  executor: 'host',
  durationMs: 1,
  exitCode: 0,
  message: null,
  logTail: '',
  logTruncated: false,
  annotations: [],
  attempts: [],
  flaky: false,
  earlier: null,
  tests: null,
  startedAt: null,
  phases: [],
  ...overrides,
});

const runOf = (runId: string, snapshot: string, jobsOf: Record<string, JobResult>): RunResults => ({
  runId,
  snapshot,
  results: {
    schemaVersion: 1,
    planId: 'a'.repeat(64),
    shard: null,
    runId,
    status: 'passed',
    startedAt: '2026-12-04T10:00:00Z',
    finishedAt: '2026-12-04T10:01:00Z',
    jobs: jobsOf,
  } satisfies Results,
});

describe('findFlaky over runs', () => {
  const R1 = '20261204T100000Z-00000001';
  const R2 = '20261204T110000Z-00000002';
  const R3 = '20261204T120000Z-00000003';

  it('retries, reruns and flaky tests within runs; flips between runs of one snapshot only', () => {
    const findings = findFlaky([
      // Given out of order: sorted by run.
      runOf(R2, R1, {
        unit: result({
          flaky: true,
          earlier: { run: R1, status: 'failed', sameCode: true },
          tests: tests([]),
        }),
        lint: result({ status: 'failed', tests: null }),
      }),
      runOf(R1, R1, {
        unit: result({ status: 'failed', tests: tests(['calc › adds']) }),
        e2e: result({
          flaky: true,
          attempts: [attempt(1, 'timed_out'), attempt(2, 'failed'), attempt(3, 'passed')],
          tests: tests([], 3, [{ test: 'calc › slow', suite: 'calc', history: ['failed', 'passed'] }]),
        }),
        lint: result({}),
      }),
      // Another snapshot: its lint failure is no flip (the files may differ).
      runOf(R3, R3, { lint: result({ status: 'failed' }), unit: result({ status: 'cancelled' }) }),
    ]);
    expect(findings).toEqual([
      { job: 'e2e', test: null, how: 'passed on attempt 3 after timed out, failed', runs: [R1] },
      { job: 'e2e', test: 'calc › slow', how: 'failed → passed', runs: [R1] },
      { job: 'lint', test: null, how: `passed → failed on the snapshot of run ${R1}`, runs: [R1, R2] },
      { job: 'unit', test: null, how: `failed → passed on the snapshot of run ${R1}`, runs: [R1, R2] },
      { job: 'unit', test: null, how: `failed in ${R1}, passed in its rerun`, runs: [R2] },
      {
        job: 'unit',
        test: 'calc › adds',
        how: `failed → passed on the snapshot of run ${R1}`,
        runs: [R1, R2],
      },
    ]);
  });

  it('a job that timed out and passed in its rerun flipped; one that failed again in its rerun did not', () => {
    const timedOut = runOf(R1, R1, { e2e: result({ status: 'timed_out', exitCode: null }) });
    const passedRerun = runOf(R2, R1, {
      e2e: result({ flaky: true, earlier: { run: R1, status: 'timed_out', sameCode: true } }),
    });
    expect(findFlaky([timedOut, passedRerun])).toEqual([
      { job: 'e2e', test: null, how: `timed out → passed on the snapshot of run ${R1}`, runs: [R1, R2] },
      { job: 'e2e', test: null, how: `timed out in ${R1}, passed in its rerun`, runs: [R2] },
    ]);
    // The rerun failed too: nothing flipped, whatever the earlier run's status.
    const failedAgain = runOf(R3, R1, {
      e2e: result({
        status: 'failed',
        exitCode: 1,
        earlier: { run: R1, status: 'timed_out', sameCode: true },
      }),
    });
    expect(findFlaky([timedOut, failedAgain])).toEqual([]);
  });

  it('a run of the snapshot where the job was skipped or cancelled is no part of its flip', () => {
    const findings = findFlaky([
      runOf(R1, R1, { unit: result({ status: 'failed', tests: null }) }),
      runOf(R2, R1, { unit: result({ status: 'cancelled', tests: null }) }),
      runOf(R3, R1, { unit: result({ status: 'skipped', tests: null }) }),
      runOf('20261204T130000Z-00000004', R1, { unit: result({ tests: null }) }),
    ]);
    expect(findings).toEqual([
      {
        job: 'unit',
        test: null,
        how: `failed → passed on the snapshot of run ${R1}`,
        runs: [R1, '20261204T130000Z-00000004'],
      },
    ]);
  });

  it('a test counts as passed only where the run lists every failure and its tests ran', () => {
    const cut = { ...tests(['calc › other', 'calc › x']), failures: tests(['calc › other']).failures };
    const runs = [
      runOf(R1, R1, { unit: result({ status: 'failed', tests: tests(['calc › adds']) }) }),
      // Failures cut (2 failed, 1 listed): whether adds failed there is unknown.
      runOf(R2, R1, { unit: result({ status: 'failed', tests: cut }) }),
      // No tests ran.
      runOf(R3, R1, { unit: result({ status: 'failed', tests: tests([], 0) }) }),
    ];
    expect(findFlaky(runs)).toEqual([]);
    const R4 = '20261204T130000Z-00000004';
    expect(
      findFlaky([...runs, runOf(R4, R1, { unit: result({ status: 'failed', tests: tests(['calc › y']) }) })]),
    ).toEqual([
      {
        job: 'unit',
        test: 'calc › adds',
        how: `failed → passed on the snapshot of run ${R1}`,
        runs: [R1, R4],
      },
      { job: 'unit', test: 'calc › y', how: `passed → failed on the snapshot of run ${R1}`, runs: [R1, R4] },
    ]);
  });
});

describe('retried jobs in the reports', () => {
  const plan = buildPlan(
    jobs('version: 1\ndefaults: { executor: host }\njobs:\n  unit: { run: x, retries: 2 }\n'),
    context(),
  );
  const flaky = jobReport({
    status: 'passed',
    exitCode: 0,
    message: null,
    logTail: '',
    attempts: [
      attempt(1, 'failed'),
      attempt(2, 'timed_out', { message: 'timed out after 1 minute(s)\nstopped', exitCode: null }),
      attempt(3, 'passed'),
    ],
    flaky: true,
  });

  it('the summary: the status cell and every attempt, flaky jobs first', () => {
    const failed = jobReport({ job: 'e2e', attempts: [attempt(1, 'failed'), attempt(2, 'failed')] });
    const summary = buildSummary({ plan, run: finishedRun(plan), jobs: [failed, flaky], links: {} });
    expect(summary).toContain('| ✅ passed, flaky (3 attempts) | `unit` |');
    expect(summary).toContain('| ❌ failed (2 attempts) | `e2e` |');
    expect(summary).toContain(
      [
        '**Retried jobs** (1 flaky):',
        '- `unit` — flaky: 1. failed in 1.5 s, exit 1: exited with code 1; 2. timed out in 1.5 s: timed out after 1 minute(s); 3. passed in 1.5 s, exit 0',
        '- `e2e`: 1. failed in 1.5 s, exit 1: exited with code 1; 2. failed in 1.5 s, exit 1: exited with code 1',
      ].join('\n'),
    );
    expect(buildSummary({ plan, run: finishedRun(plan), jobs: [jobReport()], links: {} })).not.toContain(
      'Retried',
    );
  });

  it('the check run says it was flaky and lists the attempts', () => {
    expect(checkRunOutput(flaky, 0).summary).toContain(
      '\nFlaky: 3 attempts: failed in 1.5 s, timed out in 1.5 s, passed in 1.5 s.',
    );
    expect(
      checkRunOutput(jobReport({ attempts: [attempt(1, 'failed'), attempt(2, 'failed')] }), 0).summary,
    ).toContain('\n2 attempts: failed in 1.5 s, failed in 1.5 s.');
    expect(checkRunOutput(jobReport(), 0).summary).not.toContain('attempts');
  });

  it('the CLI: the table, the line after a job, the retry line', () => {
    const record = (status: NodeRecord['status'], attempts?: Attempt[]) =>
      ({ status, ...(attempts === undefined ? {} : { attempts }) }) as NodeRecord;
    expect(attemptsNote(record('passed', [attempt(1, 'failed'), attempt(2, 'passed')]))).toBe(
      ' (flaky: passed on attempt 2 of 2)',
    );
    expect(attemptsNote(record('failed', [attempt(1, 'failed'), attempt(2, 'failed')]))).toBe(
      ' (2 attempts)',
    );
    expect(attemptsNote(record('passed'))).toBe('');
    expect(attemptsNote(record('passed', [attempt(1, 'passed')]))).toBe('');
    expect(retryLine(attempt(1, 'failed'), 3)).toBe(
      'attempt 1 of 3 failed (exit 1): exited with code 1; retrying',
    );
    expect(retryLine(attempt(2, 'timed_out', { exitCode: null, message: null }), 3)).toBe(
      'attempt 2 of 3 timed out; retrying',
    );
    const run = finishedRun(plan);
    const node = {
      schemaVersion: 1,
      nodeId: 'job:unit',
      kind: 'execute',
      job: 'unit',
      executor: 'host',
      status: 'passed',
      startedAt: null,
      finishedAt: null,
      durationMs: 4500,
      exitCode: 0,
      message: null,
      logs: { host: 'jobs/unit/host.log', guest: null },
      attempts: [attempt(1, 'failed'), attempt(2, 'passed')],
    } satisfies NodeRecord;
    expect(renderRunTable(run, [node], plan)).toMatch(/^unit +passed \(flaky, 2 attempts\) +4\.5 s/m);
    expect(renderRunTable(run, [{ ...node, status: 'failed', exitCode: 1 }], plan)).toMatch(
      /^unit +failed \(2 attempts\) +4\.5 s/m,
    );
  });
});
