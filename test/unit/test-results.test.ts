// Test results as the reports show them: real JUnit dialects (pytest, vitest, jest-junit, Surefire, node --test),
// TAP and `go test -json` read into one summary per job — exact counts, time, failures placed on the failing line,
// the slowest tests — and that summary in the job summary (golden Markdown), the check run and the terminal.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativizer } from '../../src/parsers/diagnostics/parse.js';
import { reportFormat } from '../../src/parsers/formats/registry.js';
import type { TestCase, TestReport } from '../../src/parsers/model.js';
import { testFailureDiagnostics, testLocation } from '../../src/parsers/test-diagnostics.js';
import { summarizeTests, type TestSummary } from '../../src/parsers/test-summary.js';
import { buildPlan } from '../../src/plan/build.js';
import { checkRunOutput, failedTestsText } from '../../src/report/check-runs.js';
import { suffixFinder } from '../../src/report/repo-files.js';
import { buildSummary } from '../../src/report/summary.js';
import { testLines } from '../../src/report/test-lines.js';
import { context, finishedRun, jobReport, jobs } from '../support/jobs.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/tool-output/${name}`, import.meta.url), 'utf8');

/** The files of the small projects the fixtures came from (README there). */
const repository = [
  'tests/test_calc.py',
  'src/calc.test.ts',
  'src/calc.test.js',
  'src/main/java/calc/Calc.java',
  'src/test/java/calc/CalcTest.java',
  'src/test/java/calc/RetryTest.java',
  'test/math.test.mjs',
  'calc/calc_test.go',
  'broken/broken.go',
];
const relativize = relativizer(['/workspace'], (path) => repository.includes(path));
const findBySuffix = (suffix: string) =>
  repository.find((path) => path === suffix || path.endsWith(`/${suffix}`));

const summaryOf = (format: string, file: string) =>
  summarizeTests([reportFormat(format)!.parse(fixture(file))], relativize, [], findBySuffix);

/** [test, status, file:line, message] of each failure. */
const failures = (summary: TestSummary) =>
  summary.failures.map((f) => [f.test, f.status, f.file === null ? null : `${f.file}:${f.line}`, f.message]);

describe('real reports, summarized', () => {
  it('pytest (xunit2, the default): failures placed on the failing line from the traceback', () => {
    const summary = summaryOf('junit', 'pytest-junit.xml');
    expect([summary.total, summary.passed, summary.failed, summary.skipped]).toEqual([6, 2, 3, 1]);
    expect(failures(summary)).toEqual([
      [
        'tests.test_calc › test_adds_negative',
        'failed',
        'tests/test_calc.py:13',
        'assert -3 == -4\n +  where -3 = add(-1, -2)',
      ],
      ['tests.test_calc.TestDivide › test_by_zero', 'failed', 'tests/test_calc.py:26', 'RuntimeError: boom'],
      [
        'tests.test_calc › test_uses_broken',
        'error',
        'tests/test_calc.py:31',
        'failed on setup with "ValueError: fixture failed"',
      ],
    ]);
  });

  it("pytest's xunit1 lines are 0-based: the test's line is one more (and the failing line still wins)", () => {
    const report = reportFormat('junit')!.parse(fixture('pytest-xunit1.xml'));
    const byName = new Map(report.suites[0]!.cases.map((c) => [c.name, c]));
    // `def test_adds():` is line 8 of tests/test_calc.py, `def test_adds_negative():` line 12.
    expect([byName.get('test_adds')!.line, byName.get('test_adds_negative')!.line]).toEqual([8, 12]);
    const summary = summarizeTests([report], relativize, [], findBySuffix);
    expect(failures(summary).map((f) => f[2])).toEqual([
      'tests/test_calc.py:13',
      'tests/test_calc.py:26',
      'tests/test_calc.py:31',
    ]);
    // Without a failing line in its text, a case goes on its own (now 1-based) line.
    const bare = { ...byName.get('test_adds_negative')!, status: 'failed', details: null } as TestCase;
    const diagnostics = testFailureDiagnostics(
      'py',
      { format: 'junit', suites: [{ name: 'pytest', durationMs: null, cases: [bare] }] },
      relativize,
    );
    expect(diagnostics.map((d) => `${d.path}:${d.line}`)).toEqual(['tests/test_calc.py:12']);
  });

  it('Surefire (JUnit 5): the stack frame of the test class, found in the repository by its package', () => {
    const summary = summaryOf('junit', 'surefire-junit5.xml');
    expect([summary.total, summary.passed, summary.failed, summary.skipped]).toEqual([4, 1, 2, 1]);
    expect(failures(summary)).toEqual([
      ['calc.CalcTest › dividesByZero', 'error', 'src/test/java/calc/CalcTest.java:25', '/ by zero'],
      [
        'calc.CalcTest › addsNegatives',
        'failed',
        'src/test/java/calc/CalcTest.java:16',
        'expected: <-4> but was: <-3>',
      ],
    ]);
    expect(summary.durationMs).toBe(287);
  });

  it("Surefire's own reruns: a test that failed, then passed is flaky; one that kept failing fails once", () => {
    const summary = summaryOf('junit', 'surefire-rerun.xml');
    expect([summary.total, summary.passed, summary.failed, summary.skipped]).toEqual([2, 1, 1, 0]);
    expect(failures(summary)).toEqual([
      [
        'calc.RetryTest › neverPasses',
        'failed',
        'src/test/java/calc/RetryTest.java:18',
        'always wrong ==> expected: <1> but was: <2>',
      ],
    ]);
    expect(summary.flaky).toEqual([
      { test: 'calc.RetryTest › passesOnSecondTry', suite: 'calc.RetryTest', history: ['failed', 'passed'] },
    ]);
  });

  it('a rerun that errored counts as a failed run too: <flakyError> makes a flaky test, <rerunError> a rerun', () => {
    const report = reportFormat('junit')!.parse(`<?xml version="1.0"?>
<testsuite name="calc.ErrTest" tests="2">
  <testcase name="crashesOnce" classname="calc.ErrTest">
    <flakyError type="java.lang.IllegalStateException" message="boom">at calc.ErrTest.crashesOnce(ErrTest.java:9)</flakyError>
  </testcase>
  <testcase name="crashesAlways" classname="calc.ErrTest">
    <error type="java.lang.IllegalStateException" message="boom">at calc.ErrTest.crashesAlways(ErrTest.java:14)</error>
    <rerunError type="java.lang.IllegalStateException" message="boom">at calc.ErrTest.crashesAlways(ErrTest.java:14)</rerunError>
  </testcase>
</testsuite>`);
    expect(report.suites[0]!.cases.map((each) => [each.name, each.status, each.reruns])).toEqual([
      ['crashesOnce', 'passed', 1],
      ['crashesAlways', 'error', 1],
    ]);
    expect(summarizeTests([report], relativize, [], findBySuffix).flaky).toEqual([
      { test: 'calc.ErrTest › crashesOnce', suite: 'calc.ErrTest', history: ['failed', 'passed'] },
    ]);
  });

  it('jest-junit: no message attribute (the first line of the stack says it), absolute paths', () => {
    const summary = summaryOf('junit', 'jest-junit.xml');
    expect([summary.total, summary.passed, summary.failed, summary.skipped]).toEqual([4, 1, 2, 1]);
    expect(failures(summary)).toEqual([
      [
        'calc adds negatives',
        'failed',
        'src/calc.test.js:9',
        'Error: expect(received).toBe(expected) // Object.is equality',
      ],
      ['calc divide throws on zero', 'failed', 'src/calc.test.js:16', 'Error: boom'],
    ]);
  });

  it('vitest: nested describe names, the failing line from its ❯ frame', () => {
    const summary = summaryOf('junit', 'vitest-junit.xml');
    expect(failures(summary)).toEqual([
      [
        'src/calc.test.ts › calc > adds negatives',
        'failed',
        'src/calc.test.ts:11',
        'expected -3 to be -4 // Object.is equality',
      ],
      ['src/calc.test.ts › calc > divide > throws on zero', 'failed', 'src/calc.test.ts:18', 'boom'],
    ]);
  });

  it('node --test (TAP and JUnit reporters) and go test -json give the same kind of summary', () => {
    const tap = summaryOf('tap', 'node-test-tap.txt');
    expect([tap.total, tap.passed, tap.failed, tap.skipped]).toEqual([7, 3, 2, 2]);
    // The assertion's line (from the stack), not the test's.
    expect(failures(tap).map((f) => f[2])).toEqual(['test/math.test.mjs:17', 'test/math.test.mjs:9']);
    const go = summaryOf('go-json', 'go-test-json.txt');
    expect(go.failed).toBeGreaterThan(0);
    expect(go.failures.every((f) => f.file === null || repository.includes(f.file))).toBe(true);
    const nodeJunit = summaryOf('junit', 'node-test-junit.xml');
    expect(nodeJunit.failed).toBeGreaterThan(0);
  });
});

describe('go-junit-report', () => {
  // The shape go-junit-report (v2) writes for `go test -v` output — written here by hand: the tool cannot be built
  // on this machine (no Go module proxy). Its failure message is the placeholder "Failed"; the text holds Go's own
  // `file_test.go:LINE: message` lines, the file named without its folder; the classname is the package's import path.
  const xml = `<testsuites tests="3" failures="1">
  <testsuite name="example.com/mod/calc" tests="3" failures="1" errors="0" hostname="ci" time="0.151" timestamp="2026-12-04T10:00:00Z">
    <properties><property name="go.version" value="go1.22.0"></property></properties>
    <testcase name="TestAdd" classname="example.com/mod/calc" time="0.020">
      <failure message="Failed"><![CDATA[    calc_test.go:11: Add(2, 2) = 5, want 4
    calc_test.go:12: and again]]></failure>
    </testcase>
    <testcase name="TestSub" classname="example.com/mod/calc" time="0.130"></testcase>
    <testcase name="TestWindows" classname="example.com/mod/calc" time="0.000">
      <skipped message="Skipped"><![CDATA[    calc_test.go:20: not on this OS]]></skipped>
    </testcase>
  </testsuite>
</testsuites>`;

  it("reads the message from the text, not the placeholder, and finds the bare file in the test's package", () => {
    const parsed = reportFormat('junit')!.parse(xml);
    const summary = summarizeTests([parsed], relativize, [], findBySuffix);
    expect([summary.total, summary.passed, summary.failed, summary.skipped]).toEqual([3, 1, 1, 1]);
    expect(failures(summary)).toEqual([
      ['example.com/mod/calc › TestAdd', 'failed', 'calc/calc_test.go:11', 'Add(2, 2) = 5, want 4'],
    ]);
    expect(parsed.suites[0]!.cases[2]!.message).toBe('not on this OS');
    const placed = testFailureDiagnostics('go', parsed, relativize, findBySuffix);
    expect(placed.map((d) => `${d.path}:${d.line}`)).toEqual(['calc/calc_test.go:11']);
    // A failure text (the job's) naming thousands of files: each name looked up in the package once, at most 64.
    let packageLookups = 0;
    const counting = relativizer(['/workspace'], (path) => {
      if (path.startsWith('mod/calc/') || path.startsWith('calc/')) packageLookups++;
      return repository.includes(path);
    });
    const noisy = Array.from({ length: 5000 }, (_, i) => `f${i % 2500}_test.go:1: x`).join('\n');
    const flood = { ...parsed.suites[0]!.cases[0]!, details: `${noisy}\ncalc_test.go:11: real` };
    expect(testLocation(flood, counting, () => undefined)).toBeUndefined();
    expect(packageLookups).toBeLessThanOrEqual(64 * 3);
    // A file of that name elsewhere in the repository, but not in the package, is not the test's.
    const elsewhere = relativizer(['/workspace'], (path) => path === 'other/calc_test.go');
    expect(summarizeTests([parsed], elsewhere, [], () => undefined).failures[0]!.file).toBeNull();
  });

  it("places a bare file name in the test's package even when the repository root has a file of that name", () => {
    const parsed = reportFormat('junit')!.parse(xml);
    const files = ['calc_test.go', 'mod/calc/calc_test.go'];
    const both = relativizer(['/workspace'], (path) => files.includes(path));
    const suffix = (tail: string) => files.find((path) => path === tail || path.endsWith(`/${tail}`));
    expect(testFailureDiagnostics('go', parsed, both, suffix).map((d) => `${d.path}:${d.line}`)).toEqual([
      'mod/calc/calc_test.go:11',
    ]);
  });

  it('finds the bare file of a package at the repository root (the module itself)', () => {
    const root = xml.replaceAll('example.com/mod/calc', 'example.com/calc');
    const parsed = reportFormat('junit')!.parse(root);
    // The module is the repository: calc_test.go is at its root, and only there (no calc/ folder).
    const files = ['go.mod', 'calc.go', 'calc_test.go'];
    const atRoot = relativizer(['/workspace'], (path) => files.includes(path));
    const suffix = (tail: string) => files.find((path) => path === tail || path.endsWith(`/${tail}`));
    expect(failures(summarizeTests([parsed], atRoot, [], suffix))).toEqual([
      ['example.com/calc › TestAdd', 'failed', 'calc_test.go:11', 'Add(2, 2) = 5, want 4'],
    ]);
    expect(testFailureDiagnostics('go', parsed, atRoot, suffix).map((d) => `${d.path}:${d.line}`)).toEqual([
      'calc_test.go:11',
    ]);
  });
});

describe('cargo-nextest', () => {
  // The shape cargo-nextest writes (the Jenkins JUnit dialect) for a failing assertion that it retried once —
  // written here by hand: cargo cannot reach crates.io from this machine. No message attribute; the text is the
  // panic, whose first line names the place and whose second says what failed.
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="2" failures="1" errors="0" time="0.021">
  <testsuite name="calc::basic" tests="2" disabled="0" errors="0" failures="1">
    <testcase name="adds" classname="calc::basic" time="0.003"></testcase>
    <testcase name="adds_negative" classname="calc::basic" time="0.004">
      <failure type="test failure">thread &apos;adds_negative&apos; panicked at tests/basic.rs:9:5:
assertion \`left == right\` failed
  left: -3
 right: -4
note: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace</failure>
      <rerunFailure type="test failure">thread &apos;adds_negative&apos; panicked at tests/basic.rs:9:5:
assertion \`left == right\` failed</rerunFailure>
    </testcase>
  </testsuite>
</testsuites>`;

  it("reads the panic's message, places it on the panicking line, and counts the retry", () => {
    const parsed = reportFormat('junit')!.parse(xml);
    const rust = relativizer(['/workspace'], (path) => path === 'tests/basic.rs');
    const summary = summarizeTests([parsed], rust);
    expect([summary.total, summary.passed, summary.failed]).toEqual([2, 1, 1]);
    expect(failures(summary)).toEqual([
      ['calc::basic › adds_negative', 'failed', 'tests/basic.rs:9', 'assertion `left == right` failed'],
    ]);
    expect(parsed.suites[0]!.cases[1]!.reruns).toBe(1);
  });
});

const passing = (name: string, durationMs: number | null): TestCase => ({
  name,
  classname: '',
  status: 'passed',
  durationMs,
  message: null,
  details: null,
  file: null,
  line: null,
});
const report = (...suites: TestReport['suites']): TestReport => ({ format: 'junit', suites });

describe('summarizeTests', () => {
  it('counts every case exactly, keeps the first 50 failures, and clips long messages and names', () => {
    const many = Array.from(
      { length: 120 },
      (_, i): TestCase => ({
        ...passing(`t${i}`, 1),
        status: i % 2 === 0 ? 'failed' : 'error',
        message: 'x'.repeat(5000),
        details: 'y'.repeat(9000),
      }),
    );
    const summary = summarizeTests(
      [
        report({
          name: 's',
          durationMs: null,
          cases: [...many, { ...passing('skip', null), status: 'skipped' }],
        }),
      ],
      relativize,
    );
    expect([summary.total, summary.failed, summary.skipped, summary.passed]).toEqual([121, 120, 1, 0]);
    expect(summary.failures).toHaveLength(50);
    expect(summary.failures.map((f) => f.test).slice(0, 3)).toEqual(['t0', 't1', 't2']);
    expect(summary.failures[0]!.message).toBe(`${'x'.repeat(1000)}…`);
    expect(summary.failures[0]!.details).toBe(`${'y'.repeat(4000)}…`);
    expect(summary.failures[1]!.status).toBe('error');
    const long = summarizeTests(
      [
        report({
          name: 'n'.repeat(3000),
          durationMs: null,
          cases: [{ ...many[0]!, name: 'm'.repeat(3000) }],
        }),
      ],
      relativize,
    );
    expect([long.failures[0]!.test.length, long.failures[0]!.suite.length]).toEqual([1001, 1001]);
  });

  it("takes each suite's own time, else its cases' time; null when nothing says", () => {
    const timed = summarizeTests(
      [
        report(
          { name: 'a', durationMs: 1000, cases: [passing('x', 10), passing('y', 20)] },
          { name: 'b', durationMs: null, cases: [passing('z', 30), passing('w', null)] },
        ),
        report({ name: 'c', durationMs: 5, cases: [] }),
      ],
      relativize,
    );
    expect([timed.durationMs, timed.reports]).toEqual([1035, 2]);
    expect(
      summarizeTests([report({ name: 'a', durationMs: null, cases: [passing('x', null)] })], relativize)
        .durationMs,
    ).toBeNull();
    expect(summarizeTests([], relativize).durationMs).toBeNull();
  });

  it('lists the five slowest run tests, longest first, equal times by name; skipped tests are not among them', () => {
    const cases = [
      passing('b', 50),
      passing('a', 50),
      passing('fast', 1),
      passing('c', 70),
      passing('d', 10),
      passing('e', 20),
      { ...passing('skipped', 999), status: 'skipped' as const },
      passing('untimed', null),
    ];
    const summary = summarizeTests([report({ name: 's', durationMs: null, cases })], relativize);
    expect(summary.slowest.map((t) => [t.test, t.durationMs])).toEqual([
      ['c', 70],
      ['a', 50],
      ['b', 50],
      ['e', 20],
      ['d', 10],
    ]);
  });

  it('keeps 20 problems and says how many more', () => {
    const problems = Array.from({ length: 25 }, (_, i) => `file${i}.xml: not JUnit XML`);
    const summary = summarizeTests([], relativize, problems);
    expect(summary.problems).toHaveLength(21);
    expect(summary.problems.at(-1)).toBe('and 5 more');
    expect(summarizeTests([], relativize, problems.slice(0, 20)).problems).toHaveLength(20);
  });
});

const plan = buildPlan(
  jobs(`version: 1
defaults: { executor: host }
jobs:
  build: { run: make }
  unit: { run: make test, reports: { junit: [reports/*.xml] } }
`),
  context(),
);

describe('the job summary with test results (golden)', () => {
  const cases: [string, string, string][] = [
    ['pytest', 'junit', 'pytest-junit.xml'],
    ['surefire', 'junit', 'surefire-junit5.xml'],
    ['surefire-rerun', 'junit', 'surefire-rerun.xml'],
    ['jest', 'junit', 'jest-junit.xml'],
    ['vitest', 'junit', 'vitest-junit.xml'],
    ['node-tap', 'tap', 'node-test-tap.txt'],
    ['go-json', 'go-json', 'go-test-json.txt'],
  ];
  for (const [name, format, file] of cases) {
    it(`${name}: the tests column, the failed tests and the slowest`, async () => {
      const summary = buildSummary({
        plan,
        run: finishedRun(plan, { counts: { passed: 1, failed: 1 } }),
        jobs: [
          jobReport({ job: 'build', status: 'passed', exitCode: 0, message: null, logTail: '' }),
          jobReport({ logTail: 'FAILED\n', tests: summaryOf(format, file) }),
        ],
        links: {},
      });
      await expect(summary).toMatchFileSnapshot(`../fixtures/test-summaries/${name}.md`);
    });
  }

  it('no tests column when no job has test reports', () => {
    const summary = buildSummary({ plan, run: finishedRun(plan), jobs: [jobReport()], links: {} });
    expect(summary).toContain('| status | job | duration | exit | executor | logs |');
    expect(summary).not.toContain('tests |');
  });

  it('at most 50 failed tests across jobs, then how many more; problems listed', () => {
    const tests = summarizeTests(
      [
        report({
          name: 's',
          durationMs: null,
          cases: Array.from({ length: 40 }, (_, i) => ({
            ...passing(`t${i}`, 1),
            status: 'failed' as const,
          })),
        }),
      ],
      relativize,
      ['reports/bad.xml: not JUnit XML: <b>'],
    );
    const summary = buildSummary({
      plan,
      run: finishedRun(plan),
      jobs: [jobReport({ job: 'a', tests }), jobReport({ job: 'b', tests })],
      links: {},
    });
    expect(summary.match(/^\| `[ab]` \| t\d+ \| failed \| – \|$/gm)).toHaveLength(50);
    expect(summary).toContain('_30 more failed test(s): the reports are in the logs artifact._');
    expect(summary).toContain('- `a`: reports/bad.xml: not JUnit XML: &lt;b&gt;');
    expect(summary).toContain('| 40 failed in 40 ms ⚠️ |');
  });
});

describe('the check run and the terminal', () => {
  const tests = summaryOf('junit', 'surefire-junit5.xml');

  it('the summary has the tests line; the text, the failed tests before the log', () => {
    const output = checkRunOutput(jobReport({ tests, logTail: 'BUILD FAILURE\n' }), 2);
    expect(output.summary).toContain('\nTests: 1 passed, 2 failed, 1 skipped in 287 ms.');
    expect(output.text).toMatch(
      /^### calc\.CalcTest › dividesByZero \(`src\/test\/java\/calc\/CalcTest\.java:25`\)\n\n```text\n\/ by zero\n\njava\.lang\.ArithmeticException/,
    );
    expect(output.text!.indexOf('### calc.CalcTest › addsNegatives')).toBeLessThan(
      output.text!.indexOf('Log:'),
    );
    expect(output.text).toMatch(/Log:\n\n```\nBUILD FAILURE\n\n```$/);
  });

  it('stays within 65,535 characters with many long failures and a long log, and says what it left out', () => {
    const failure = tests.failures[0]!;
    const big: TestSummary = {
      ...tests,
      failed: 500,
      failures: Array.from({ length: 50 }, (_, i) => ({
        ...failure,
        test: `t${i}`,
        details: 'd'.repeat(4000),
      })),
    };
    const output = checkRunOutput(jobReport({ tests: big, logTail: 'L'.repeat(200_000) }), 0);
    expect(output.text!.length).toBeLessThanOrEqual(65_535);
    const shown = output.text!.match(/^### t\d+/gm)!.length;
    expect(shown).toBeGreaterThan(0);
    expect(output.text).toContain(
      `_${500 - shown} more failed test(s): the reports are in the logs artifact._`,
    );
    expect(output.text).toMatch(/L{1000}\n```$/);
    expect(failedTestsText(big, 100)).toBe(
      '_500 more failed test(s): the reports are in the logs artifact._\n\n',
    );
    expect(failedTestsText({ ...big, failed: 0 }, 60_000)).toBe('');
  });

  it('the terminal: a line per job with tests, its failures with their place, no control characters', () => {
    const hostile: TestSummary = {
      ...tests,
      failures: [{ ...tests.failures[0]!, test: 'evil\u001b[2Jname', message: 'first\u0007 line\nsecond' }],
    };
    expect(testLines([jobReport({ job: 'build', tests: null }), jobReport({ tests: hostile })])).toEqual([
      'Tests of unit: 1 passed, 2 failed, 1 skipped in 287 ms',
      '  ✗ evil [2Jname (src/test/java/calc/CalcTest.java:25): first  line',
      '  and 1 more failed test(s)',
    ]);
  });

  it('the terminal: no control character from a report in a failed or flaky test or a problem, C1 and DEL too', () => {
    // A report's names and a report file's name are the job's: ESC, the 8-bit CSI (U+009B) and DEL become spaces.
    const hostile: TestSummary = {
      ...tests,
      failed: 1,
      failures: [{ ...tests.failures[0]!, test: 'evil\u009b2Jname\u007f', file: null, message: null }],
      flaky: [{ test: 'shaky\u001b]0;owned\u0007', suite: 's', history: ['failed', 'passed'] }],
      problems: ['out/\u001b[31mred\u009bm.xml: not JUnit XML'],
    };
    expect(testLines([jobReport({ tests: hostile })])).toEqual([
      'Tests of unit: 1 passed, 1 failed, 1 skipped in 287 ms',
      '  ✗ evil 2Jname ',
      '  ~ flaky: shaky ]0;owned  (failed, passed)',
      '  ! out/ [31mred m.xml: not JUnit XML',
    ]);
  });
});

describe('finding report files in the repository', () => {
  it('JUnit: refuses what is not XML or has another root, saying so', () => {
    const junit = reportFormat('junit')!;
    expect(() => junit.parse('<testsuite><testcase name="t"/>')).toThrow(
      "not JUnit XML: Unclosed tag 'testsuite'. (line 1)",
    );
    expect(() => junit.parse('<html><body/></html>')).toThrow(
      'not JUnit XML: its root is neither <testsuites> nor <testsuite>',
    );
    expect(() => junit.parse('plain text')).toThrow(/^not JUnit XML: /);
    expect(junit.parse('<?xml version="1.0"?><testsuites/>').suites).toEqual([]);
  });

  it('by the end of their path: the shortest match, never through a link, nothing for a partial name', () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-suffix-'));
    for (const path of [
      'a/long/pkg/Calc.java',
      'src/pkg/Calc.java',
      '.git/pkg/Calc.java',
      'real/pkg/Only.java',
    ])
      mkdirSync(join(root, path, '..'), { recursive: true });
    for (const path of [
      'a/long/pkg/Calc.java',
      'src/pkg/Calc.java',
      '.git/pkg/Calc.java',
      'real/pkg/Only.java',
    ])
      writeFileSync(join(root, path), '');
    symlinkSync(join(root, 'real'), join(root, 'linked'));
    // A link to a file, at a shorter path than the file itself: still never the answer.
    mkdirSync(join(root, 'l'));
    symlinkSync(join(root, 'real/pkg/Only.java'), join(root, 'l/Only.java'));
    const find = suffixFinder(root);
    expect(find('pkg/Calc.java')).toBe('src/pkg/Calc.java');
    expect(find('long/pkg/Calc.java')).toBe('a/long/pkg/Calc.java');
    expect(find('Only.java')).toBe('real/pkg/Only.java');
    expect(find('kg/Calc.java')).toBeUndefined();
    expect(find('other/Calc.java')).toBeUndefined();
  });
});
