// The check run, the annotations and the terminal lines at their edges: what each says for each kind of job,
// and where each cuts what is too long.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/parsers/model.js';
import {
  type Annotation,
  clampMessage,
  diagnosticAnnotations,
  jobAnnotations,
  mostUseful,
} from '../../src/report/annotations.js';
import { checkRunOutput, failedTestsText } from '../../src/report/check-runs.js';
import { shortDuration } from '../../src/report/model.js';
import { suffixFinder } from '../../src/report/repo-files.js';
import { testLines } from '../../src/report/test-lines.js';
import { attempt, failedTest, jobReport, testSummary } from '../support/jobs.js';

const tests = testSummary;
const failure = failedTest;

describe('the check run of a job', () => {
  it('gives the test time only when known, and the attempts only when it ran more than once', () => {
    const once = checkRunOutput(jobReport({ tests: tests(), attempts: [attempt(1)], logTail: '' }), 0);
    expect(once.summary).toContain('\nTests: 1 passed, 1 failed.');
    expect(once.summary).not.toContain('attempts');
    const timed = checkRunOutput(jobReport({ tests: tests({ durationMs: 250 }), logTail: '' }), 0);
    expect(timed.summary).toContain('\nTests: 1 passed, 1 failed in 250 ms.');
  });

  it('has no text without a log or failures, and the failures alone without a log', () => {
    expect(checkRunOutput(jobReport({ logTail: '' }), 0)).not.toHaveProperty('text');
    const failed = tests({ failures: [failure({ message: 'no' })] });
    expect(checkRunOutput(jobReport({ tests: failed, logTail: '' }), 0).text).toBe(
      '### t\n\n```text\nno\n```\n\n',
    );
  });

  it('quotes a log that fits whole, and the end of a longer one', () => {
    // Compared as booleans: a failing comparison of 65 kB strings would flood the output.
    const room = (header: string) => 65_535 - header.length - 6 - 4;
    const fits = 'x'.repeat(room('Log:\n\n'));
    const whole = checkRunOutput(jobReport({ logTail: fits, logTruncated: false }), 0).text;
    expect(whole === `Log:\n\n\`\`\`\n${fits}\n\`\`\``).toBe(true);
    const end = 'y'.repeat(room('End of the log:\n\n'));
    const cut = checkRunOutput(jobReport({ logTail: `a${end}`, logTruncated: true }), 0).text;
    expect(cut?.length).toBe(65_535 - 2);
    expect(cut === `End of the log:\n\n\`\`\`\n${end}\n\`\`\``).toBe(true);
  });
});

describe('the failed tests of a check run', () => {
  it('names each failed test with its place, then its message and details in a block; a bare heading without them', () => {
    const text = failedTestsText(
      tests({
        failed: 2,
        failures: [
          failure({ test: 'a', file: 'src/a.ts', line: 3, message: 'boom', details: 'at a.ts:3' }),
          failure({ test: 'b' }),
        ],
      }),
      10_000,
    );
    expect(text).toBe('### a (`src/a.ts:3`)\n\n```text\nboom\n\nat a.ts:3\n```\n\n### b\n\n\n');
    expect(failedTestsText(tests({ failures: [failure({ details: 'only details' })] }), 10_000)).toBe(
      '### t\n\n```text\nonly details\n```\n\n',
    );
  });

  it('keeps what fits with room for the closing line, and counts the rest', () => {
    const closing = (left: number) =>
      `_${left} more failed test(s): the reports are in the logs artifact._\n\n`;
    const one = '### a\n\n\n';
    const list = tests({
      failed: 3,
      failures: [failure({ test: 'a' }), failure({ test: 'b' }), failure({ test: 'c' })],
    });
    expect(failedTestsText(list, one.length + closing(3).length)).toBe(`${one}${closing(2)}`);
    expect(failedTestsText(list, one.length + closing(3).length - 1)).toBe(closing(3));
    expect(failedTestsText(tests({ failed: 1, failures: [failure({ test: 'a' })] }), 1000)).toBe(one);
  });
});

describe('annotations', () => {
  it('says how each failed job ended, with its message and the last five log lines', () => {
    const locate = (job: string) => (job === 'a' ? { file: '.github/vmplan.yml', line: 4 } : undefined);
    const annotations = jobAnnotations(
      [
        jobReport({
          job: 'a',
          status: 'failed',
          exitCode: null,
          message: null,
          logTail: '1\n2\n3\n4\n5\n6\n\n',
        }),
        jobReport({ job: 'b', status: 'failed', exitCode: 2, message: 'exited 2', logTail: '' }),
        jobReport({ job: 'c', status: 'timed_out', exitCode: null, message: 'timed out', logTail: 'last\n' }),
        jobReport({ job: 'd', status: 'passed' }),
      ],
      locate,
    );
    expect(annotations.map((one) => [one.title, one.message, one.file, one.line])).toEqual([
      ['vmplan: a failed', '2\n3\n4\n5\n6', '.github/vmplan.yml', 4],
      ['vmplan: b failed (exit 2)', 'exited 2', undefined, undefined],
      ['vmplan: c timed out', 'timed out\nlast', undefined, undefined],
    ]);
  });

  it('keeps a diagnostic column only when the tool gave one', () => {
    const diagnostic: Diagnostic = {
      job: 'unit',
      path: 'src/a.c',
      line: 3,
      column: undefined,
      severity: 'warning',
      title: 'gcc',
      message: 'unused',
      tool: 'gcc',
    };
    const [without, withColumn] = diagnosticAnnotations([diagnostic, { ...diagnostic, column: 7 }]);
    expect(without).not.toHaveProperty('column');
    expect(withColumn).toMatchObject({ column: 7, title: 'gcc (unit)', level: 'warning', file: 'src/a.c' });
  });

  it('keeps ten per level less those already taken, job failures first, then diagnostics job by job', () => {
    const make = (job: string, kind: Annotation['kind'], n: number): Annotation => ({
      level: 'error',
      title: `${job}${n}`,
      message: '',
      job,
      kind,
    });
    const diagnostics = [
      ...Array.from({ length: 8 }, (_, i) => make('a', 'diagnostic', i)),
      make('b', 'diagnostic', 0),
    ];
    const all = [...diagnostics, make('a', 'job', 0), make('b', 'job', 0)];
    expect(mostUseful(all).map((one) => one.title)).toEqual([
      'a0',
      'b0',
      'a0',
      'b0',
      'a1',
      'a2',
      'a3',
      'a4',
      'a5',
      'a6',
    ]);
    expect(mostUseful(all, { error: 7 }).map((one) => one.title)).toEqual(['a0', 'b0', 'a0']);
    expect(mostUseful(all, { error: 12 })).toEqual([]);
    expect(mostUseful([make('a', 'diagnostic', 0)], { warning: 10 })).toHaveLength(1);
  });

  it('cuts a message only past the limit, saying so within it', () => {
    expect(clampMessage('x'.repeat(100), 100)).toBe('x'.repeat(100));
    const cut = clampMessage('x'.repeat(101), 100);
    expect(cut).toHaveLength(100);
    expect(cut).toMatch(/^x+\n… \(truncated; the full text is in the check run and the logs artifact\)$/);
  });
});

describe('the terminal lines of a job with tests', () => {
  it('cut names and messages at 200 characters, first line only', () => {
    const summary = tests({
      failures: [failure({ test: 'n'.repeat(250), message: `${'m'.repeat(250)}\nsecond` })],
      flaky: [{ test: 'f'.repeat(250), suite: 's', history: ['failed', 'passed'] }],
    });
    expect(testLines([jobReport({ job: 'unit', tests: summary })])).toEqual([
      'Tests of unit: 1 passed, 1 failed',
      `  ✗ ${'n'.repeat(200)}: ${'m'.repeat(200)}`,
      `  ~ flaky: ${'f'.repeat(200)} (failed, passed)`,
    ]);
  });
});

describe('durations in reports', () => {
  it('are tenths of a second below a second and whole durations from a second on', () => {
    expect([999, 1000, null].map(shortDuration)).toEqual(['1.0 s', '1.0 s', '–']);
    expect(shortDuration(400)).toBe('0.4 s');
  });
});

describe("finding a report's file in the repository", () => {
  it('matches a whole path or a whole last part, prefers the shortest then the first in order, skips .git', () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-suffix-'));
    for (const path of [
      'Top.java',
      'b/pkg/Same.java',
      'a/pkg/Same.java',
      '.git/x/Hidden.java',
      'deep/.git2/Kept.java',
    ]) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), '');
    }
    const find = suffixFinder(root);
    expect(find('Top.java')).toBe('Top.java');
    expect(find('pkg/Same.java')).toBe('a/pkg/Same.java');
    expect(find('Hidden.java')).toBeUndefined();
    expect(find('Kept.java')).toBe('deep/.git2/Kept.java');
    expect(find('op.java')).toBeUndefined();
  });
});
