// The job summary's smaller parts, each at its edge: when a section appears, what its lines say, where a list
// or a message is cut. The golden files show whole summaries; these pin the rules behind them.
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import type { JobReport, RunReport } from '../../src/report/model.js';
import { buildSummary } from '../../src/report/summary.js';
import { attempt, context, finishedRun, jobReport, jobs, testSummary } from '../support/jobs.js';

const plan = buildPlan(
  jobs(`version: 1
images:
  guest: { arch: arm64, kernel: k, initrd: i }
jobs:
  build: { run: make, executor: host }
  unit: { run: make test, image: guest, executor: qemu, needs: build }
`),
  context(),
);

function report(jobList: JobReport[], overrides: Partial<RunReport> = {}): RunReport {
  return { plan, run: finishedRun(plan), jobs: jobList, links: {}, ...overrides };
}

const lines = (summary: string) => summary.split('\n');

const tests = (overrides: Parameters<typeof testSummary>[0] = {}) =>
  testSummary({ total: 1, failed: 0, ...overrides });

describe('the head of the summary', () => {
  it('counts jobs and images apart in the plan line', () => {
    expect(buildSummary(report([]))).toContain(': 2 job(s), 1 image(s), ');
  });

  it('lists images only when some were prepared', () => {
    expect(buildSummary(report([], { images: [] }))).not.toContain('Images:');
    expect(
      buildSummary(
        report([], {
          images: [{ image: 'guest', status: 'passed', cached: true, durationMs: 40, message: null }],
        }),
      ),
    ).toContain('Images: `guest` from the cache (40 ms).');
  });

  it('caps the excluded jobs at 200 lines, saying how many more', () => {
    const excluded = Array.from({ length: 203 }, (_, i) => ({
      ...plan.excluded[0],
      job: `x${i}`,
      message: 'no',
    }));
    const summary = lines(buildSummary(report([], { plan: { ...plan, excluded } as typeof plan })));
    expect(summary.filter((line) => line.startsWith('- `x'))).toHaveLength(200);
    expect(summary).toContain('- … and 3 more excluded job(s)');
  });
});

describe('retried jobs', () => {
  it('says nothing of attempts for a job that ran once', () => {
    const summary = buildSummary(
      report([jobReport({ status: 'passed', attempts: [attempt(1, 'passed', null)] })]),
    );
    expect(summary).not.toContain('attempts)');
    expect(summary).not.toContain('Retried jobs');
  });

  it('lists each attempt after an empty line, with why the ones that did not pass failed, first line only', () => {
    const summary = lines(
      buildSummary(
        report([
          jobReport({
            job: 'unit',
            status: 'passed',
            flaky: true,
            attempts: [attempt(1, 'failed', ' exited 1 \nstack'), attempt(2, 'passed', 'ignored')],
          }),
        ]),
      ),
    );
    const at = summary.indexOf('**Retried jobs** (1 flaky):');
    expect(summary[at - 1]).toBe('');
    expect(summary[at + 1]).toBe(
      '- `unit` — flaky: 1. failed in 1.0 s, exit 1: exited 1; 2. passed in 1.0 s, exit 0',
    );
  });

  it('cuts why an attempt failed at 120 characters, saying so', () => {
    const summary = buildSummary(
      report([
        jobReport({
          job: 'unit',
          attempts: [attempt(1, 'failed', 'a'.repeat(120)), attempt(2, 'failed', 'b'.repeat(121))],
        }),
      ]),
    );
    expect(summary).toContain(
      `- \`unit\`: 1. failed in 1.0 s, exit 1: ${'a'.repeat(120)}; 2. failed in 1.0 s, exit 1: ${'b'.repeat(120)}…\n`,
    );
  });

  it('lists the flaky jobs first, then the others, each group in plan order', () => {
    const retried = (job: string, flaky: boolean) =>
      jobReport({
        job,
        status: flaky ? 'passed' : 'failed',
        flaky,
        attempts: flaky
          ? [attempt(1, 'failed', 'x'), attempt(2, 'passed', null)]
          : [attempt(1, 'failed', 'x'), attempt(2, 'failed', 'x')],
      });
    const summary = lines(
      buildSummary(
        report([retried('lint', false), retried('unit', true), retried('e2e', false), retried('docs', true)]),
      ),
    );
    const at = summary.indexOf('**Retried jobs** (2 flaky):');
    expect(summary.slice(at + 1, at + 5).map((line) => line.split(':')[0])).toEqual([
      '- `unit` — flaky',
      '- `docs` — flaky',
      '- `lint`',
      '- `e2e`',
    ]);
  });

  it('caps the list at 200 jobs', () => {
    const many = Array.from({ length: 201 }, (_, i) =>
      jobReport({
        job: `j${i}`,
        status: 'failed',
        attempts: [attempt(1, 'failed', 'x'), attempt(2, 'failed', 'x')],
      }),
    );
    expect(lines(buildSummary(report(many), 10_000_000))).toContain('- … and 3 more retried job(s)');
  });
});

describe('the test sections', () => {
  it('has a tests column with the time only when the reports gave one', () => {
    const summary = buildSummary(report([jobReport({ status: 'passed', tests: tests() })]));
    expect(summary).toContain('| 1 passed |');
    expect(summary).not.toContain('1 passed in');
    expect(
      buildSummary(report([jobReport({ status: 'passed', tests: tests({ durationMs: 1500 }) })])),
    ).toContain('| 1 passed in 1.5 s |');
  });

  it('has no failed-tests table when no test failed', () => {
    expect(buildSummary(report([jobReport({ status: 'passed', tests: tests() })]))).not.toContain(
      'Failed tests',
    );
  });

  it('cuts a failure message to its first line and 200 characters, and says how many failures it left out', () => {
    const failure = (test: string, message: string) => ({
      test,
      suite: 's',
      status: 'failed' as const,
      message,
      details: null,
      file: null,
      line: null,
      durationMs: null,
    });
    const summary = lines(
      buildSummary(
        report([
          jobReport({
            job: 'unit',
            tests: tests({
              total: 60,
              passed: 0,
              failed: 60,
              failures: [
                failure('exact', `${'a'.repeat(200)}\nsecond line`),
                failure('long', `  ${'b'.repeat(201)}  `),
                ...Array.from({ length: 55 }, (_, i) => failure(`t${i}`, 'x')),
              ],
            }),
          }),
        ]),
      ),
    );
    expect(summary).toContain(`| \`unit\` | exact | ${'a'.repeat(200)} | – |`);
    expect(summary).toContain(`| \`unit\` | long | ${'b'.repeat(200)}… | – |`);
    const more = summary.indexOf('_10 more failed test(s): the reports are in the logs artifact._');
    expect(more).toBeGreaterThan(0);
    expect(summary[more - 1]).toBe('');
  });

  it('lists up to 50 flaky tests, saying how many more only past that', () => {
    const flaky = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        test: `f${i}`,
        suite: 's',
        history: ['failed', 'passed'] as const,
      })).map((entry) => ({ ...entry, history: [...entry.history] }));
    const fifty = buildSummary(report([jobReport({ status: 'passed', tests: tests({ flaky: flaky(50) }) })]));
    expect(fifty).not.toContain('more flaky test(s)');
    const more = lines(
      buildSummary(report([jobReport({ status: 'passed', tests: tests({ flaky: flaky(52) }) })])),
    );
    expect(more.slice(-3, -1)).toEqual(['', '_2 more flaky test(s)._']);
  });

  it('orders the slowest tests of all jobs by time, then by job', () => {
    const slow = (test: string, durationMs: number) => ({ test, suite: 's', durationMs });
    const summary = lines(
      buildSummary(
        report([
          jobReport({
            job: 'b',
            status: 'passed',
            tests: tests({ slowest: [slow('b1', 100), slow('b2', 900)] }),
          }),
          jobReport({
            job: 'a',
            status: 'passed',
            tests: tests({ slowest: [slow('a1', 100), slow('a2', 500)] }),
          }),
        ]),
      ),
    );
    const start = summary.indexOf('<details><summary>Slowest tests</summary>');
    expect(summary.slice(start + 4, start + 8)).toEqual([
      '| `b` | b2 | 900 ms |',
      '| `a` | a2 | 500 ms |',
      '| `a` | a1 | 100 ms |',
      '| `b` | b1 | 100 ms |',
    ]);
  });

  it('lists the reports it could not read after an empty line, capped at 200', () => {
    const problems = Array.from({ length: 202 }, (_, i) => `p${i}.xml: bad`);
    const summary = lines(
      buildSummary(
        report([jobReport({ job: 'unit', status: 'passed', tests: tests({ problems }) })]),
        10_000_000,
      ),
    );
    const at = summary.indexOf('**Test reports not read:**');
    expect(summary[at - 1]).toBe('');
    expect(summary[at + 1]).toBe('- `unit`: p0.xml: bad');
    expect(summary).toContain('- … and 2 more problem(s)');
  });
});

describe('the timeline and the failed logs', () => {
  it('puts the timeline under its own heading, blank lines around', () => {
    const summary = buildSummary(
      report([jobReport({ status: 'passed', startedAt: '2026-12-04T10:00:00.000Z', durationMs: 10 })]),
    );
    expect(summary).toContain("\n\n**Timeline** (each node's phases; failed ones in red):\n\n```mermaid\n");
  });

  it('cuts a failed log to what is left of a small budget rather than leaving it out', () => {
    const log = `${'x'.repeat(99)}\n`.repeat(200);
    const summary = buildSummary(report([jobReport({ job: 'unit', logTail: log })]), 6_000);
    expect(summary).toContain('<details><summary>❌ <code>unit</code>');
    expect(summary).toContain('_The end of the log (the whole log is in the logs artifact):_');
    expect(summary).not.toContain('more failed job(s)');
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(6_000);
  });

  it('heads a failed log with the status and exit code alone when the job has no message', () => {
    const summary = lines(buildSummary(report([jobReport({ job: 'unit', exitCode: 1, message: null })])));
    expect(summary).toContain('<details><summary>❌ <code>unit</code> failed, exit 1</summary>');
  });

  it('quotes a failed log whole up to 16 KiB, and its end after that', () => {
    const exact = `first line\n${'x'.repeat(16 * 1024 - 'first line\n'.length - 1)}\n`;
    const whole = buildSummary(report([jobReport({ job: 'unit', logTail: exact, logTruncated: false })]));
    expect(whole).toContain(
      '<details><summary>❌ <code>unit</code> failed, exit 3: exited with code 3</summary>',
    );
    expect(whole).toContain('```text\nfirst line\n');
    expect(whole).not.toContain('The end of the log');
    const longer = buildSummary(
      report([jobReport({ job: 'unit', logTail: `more\n${exact}`, logTruncated: false })]),
    );
    expect(longer).toContain('_The end of the log (the whole log is in the logs artifact):_');
    expect(longer).not.toContain('first line');
  });
});
