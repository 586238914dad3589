// Where the test sections of the reports cut, and in what order they list: the terminal's failed tests, the
// summary's flaky tests and slowest tests across jobs.
import { describe, expect, it } from 'vitest';
import type { TestSummary } from '../../src/parsers/test-summary.js';
import { buildPlan } from '../../src/plan/build.js';
import { buildSummary } from '../../src/report/summary.js';
import { testLines } from '../../src/report/test-lines.js';
import { context, finishedRun, jobReport, jobs } from '../support/jobs.js';

const failure = (test: string): TestSummary['failures'][number] => ({
  test,
  suite: 's',
  status: 'failed',
  message: `${test} broke\nsecond line`,
  details: null,
  file: null,
  line: null,
  durationMs: null,
});

const summary = (overrides: Partial<TestSummary>): TestSummary => ({
  reports: 1,
  total: 0,
  passed: 0,
  failed: 0,
  skipped: 0,
  durationMs: null,
  failures: [],
  slowest: [],
  problems: [],
  flaky: [],
  ...overrides,
});

describe('the terminal lines', () => {
  it('shows 10 failed tests, then how many more (counting those results.json did not keep)', () => {
    const failures = Array.from({ length: 11 }, (_, i) => failure(`t${i}`));
    const lines = testLines([jobReport({ tests: summary({ total: 70, failed: 60, passed: 10, failures }) })]);
    expect(lines[0]).toBe('Tests of unit: 10 passed, 60 failed');
    expect(lines.slice(1, 11)).toEqual(failures.slice(0, 10).map((f) => `  ✗ ${f.test}: ${f.test} broke`));
    expect(lines[11]).toBe('  and 50 more failed test(s)');
    expect(lines).toHaveLength(12);
    const exact = testLines([jobReport({ tests: summary({ failed: 10, failures: failures.slice(0, 10) }) })]);
    expect(exact).toHaveLength(11);
    expect(exact.at(-1)).toBe('  ✗ t9: t9 broke');
  });

  it('lists flaky tests (10 at most) and problems after the failures; nothing for jobs without reports', () => {
    const flaky = Array.from({ length: 12 }, (_, i) => ({
      test: `f${i}`,
      suite: 's',
      history: ['failed', 'passed'] as ('failed' | 'passed')[],
    }));
    const lines = testLines([
      jobReport({ job: 'none', tests: null }),
      jobReport({ tests: summary({ total: 1, passed: 1, flaky, problems: ['a.xml: not JUnit XML'] }) }),
    ]);
    expect(lines[0]).toBe('Tests of unit: 1 passed');
    expect(lines.slice(1, 11)).toEqual(
      flaky.slice(0, 10).map((f) => `  ~ flaky: ${f.test} (failed, passed)`),
    );
    expect(lines.slice(11)).toEqual(['  ! a.xml: not JUnit XML']);
    expect(testLines([jobReport({ tests: null })])).toEqual([]);
    expect(testLines([jobReport({ tests: summary({}) })])).toEqual(['Tests of unit: no tests']);
  });
});

describe('the summary test sections', () => {
  const plan = buildPlan(
    jobs('version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: x }\n  b: { run: x }\n'),
    context(),
  );
  const build = (reports: Parameters<typeof jobReport>[0][]) =>
    buildSummary({ plan, run: finishedRun(plan), jobs: reports.map((r) => jobReport(r)), links: {} });

  it('the slowest 10 across jobs, longest first, equal times by job', () => {
    const slow = (prefix: string, times: number[]) =>
      summary({
        total: times.length,
        passed: times.length,
        slowest: times.map((ms, i) => ({ test: `${prefix}${i}`, suite: 's', durationMs: ms })),
      });
    const text = build([
      { job: 'b', status: 'passed', tests: slow('b', [900, 500, 5, 4, 3]) },
      { job: 'a', status: 'passed', tests: slow('a', [900, 2000, 6, 2, 1]) },
    ]);
    const rows = [...text.matchAll(/^\| `(\w)` \| (\w+) \| ([\d.]+ m?s) \|$/gm)].map(
      (m) => `${m[1]}:${m[2]}:${m[3]}`,
    );
    expect(rows).toEqual([
      'a:a1:2.0 s',
      'a:a0:900 ms',
      'b:b0:900 ms',
      'b:b1:500 ms',
      'a:a2:6 ms',
      'b:b2:5 ms',
      'b:b3:4 ms',
      'b:b4:3 ms',
      'a:a3:2 ms',
      'a:a4:1 ms',
    ]);
  });

  it('flaky tests: their attempts as marks, 50 at most, then how many more', () => {
    const flaky = Array.from({ length: 30 }, (_, i) => ({
      test: `t${i}`,
      suite: 's',
      history: ['failed', 'missing', 'skipped', 'passed'] as ('failed' | 'missing' | 'skipped' | 'passed')[],
    }));
    const text = build([
      { job: 'a', status: 'passed', tests: summary({ total: 30, passed: 30, flaky }) },
      { job: 'b', status: 'passed', tests: summary({ total: 30, passed: 30, flaky }) },
    ]);
    expect(text).toContain('**Flaky tests** (failed in one attempt, passed in another):');
    expect(text.match(/^\| `[ab]` \| t\d+ \| ❌ → – → ↷ → ✅ \|$/gm)).toHaveLength(50);
    expect(text).toContain('_10 more flaky test(s)._');
    expect(build([{ job: 'a', status: 'passed', tests: summary({ total: 1, passed: 1 }) }])).not.toContain(
      'Flaky',
    );
  });

  it('flaky tests at the limit: 50 listed and no note; 51 listed as 50 and one more', () => {
    const flaky = (count: number) =>
      summary({
        total: count,
        passed: count,
        flaky: Array.from({ length: count }, (_, i) => ({
          test: `t${i}`,
          suite: 's',
          history: ['failed', 'passed'] as ('failed' | 'passed')[],
        })),
      });
    const rows = (text: string) => text.match(/^\| `[ab]` \| t\d+ \| ❌ → ✅ \|$/gm)?.length;
    const fifty = build([{ job: 'a', status: 'passed', tests: flaky(50) }]);
    expect(rows(fifty)).toBe(50);
    expect(fifty).not.toContain('more flaky test(s)');
    const fiftyOne = build([
      { job: 'a', status: 'passed', tests: flaky(30) },
      { job: 'b', status: 'passed', tests: flaky(21) },
    ]);
    expect(rows(fiftyOne)).toBe(50);
    expect(fiftyOne).toContain('_1 more flaky test(s)._');
  });
});
