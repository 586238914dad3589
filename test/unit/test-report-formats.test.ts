// TAP and `go test -json` reports: what real tools wrote (test/fixtures/tool-output/README.md), and the shapes of
// the formats those files do not show, read into the test-result model and placed on repository files.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { relativizer } from '../../src/parsers/diagnostics/parse.js';
import { goJson } from '../../src/parsers/formats/go-json.js';
import { tap } from '../../src/parsers/formats/tap.js';
import type { TestReport } from '../../src/parsers/model.js';
import { testFailureDiagnostics, testLocation } from '../../src/parsers/test-diagnostics.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/tool-output/${name}`, import.meta.url), 'utf8');
const repository = new Set(['test/math.test.mjs', 'calc/calc_test.go', 'broken/broken.go']);
const relativize = relativizer(['/workspace'], (path) => repository.has(path));

/** Every case as [suite, name, status, message], in report order. */
const cases = (report: TestReport) =>
  report.suites.flatMap((suite) => suite.cases.map((c) => [suite.name, c.name, c.status, c.message]));

describe('TAP from node --test', () => {
  const report = tap.parse(fixture('node-test-tap.txt'));

  it('reads every leaf test into the suite its parents name, skips and todos as skipped', () => {
    expect(cases(report)).toEqual([
      ['math › nested', 'subtracts', 'passed', null],
      ['math › nested', 'throws', 'failed', 'boom'],
      ['math', 'adds', 'passed', null],
      ['math', 'multiplies', 'failed', 'Expected values to be strictly equal:'],
      ['math', 'divides', 'skipped', 'skip: not written yet'],
      ['', 'top-level todo', 'skipped', 'todo: later'],
      ['', 'top-level passes', 'passed', null],
    ]);
  });

  it('keeps durations, locations and the failure details with the stack', () => {
    const multiplies = report.suites[1]!.cases[1]!;
    expect(multiplies).toMatchObject({
      classname: 'math',
      durationMs: 9,
      file: '/workspace/test/math.test.mjs',
      line: 8,
    });
    expect(multiplies.details).toMatch(/^Expected values to be strictly equal:\n\n6 !== 7\nTestContext/);
  });

  it('places failures on the repository file and line', () => {
    expect(
      testFailureDiagnostics('unit', report, relativize).map((d) => [d.path, d.line, d.title, d.tool]),
    ).toEqual([
      // The failing line in the test's file, from the stack (the test starts a line above).
      ['test/math.test.mjs', 17, 'test failed: math › nested › throws', 'tap'],
      ['test/math.test.mjs', 9, 'test failed: math › multiplies', 'tap'],
    ]);
  });
});

describe('TAP as other producers write it', () => {
  it('reads plain TAP 13 without YAML: numbers and dashes optional, directives in any case', () => {
    const report = tap.parse(
      'TAP version 13\n1..5\nok 1 - first\nnot ok 2 second\nok third # skip no network\nnot ok 4 - fourth # TODO\nok 5 - has # in its name\n# a comment\n',
    );
    expect(cases(report)).toEqual([
      ['', 'first', 'passed', null],
      ['', 'second', 'failed', null],
      ['', 'third', 'skipped', 'skip: no network'],
      ['', 'fourth', 'skipped', 'todo'],
      ['', 'has # in its name', 'passed', null],
    ]);
  });

  it('ends at "Bail out!" with an errored point, and keeps a suite that failed on its own (a hook)', () => {
    const report = tap.parse(`TAP version 14
# Subtest: db
    ok 1 - connects
    1..1
not ok 1 - db
  ---
  failureType: 'hookFailed'
  error: 'after() hook failed: ECONNRESET'
  ...
Bail out! database gone
ok 2 - never read
`);
    expect(cases(report)).toEqual([
      ['db', 'connects', 'passed', null],
      ['', 'db', 'failed', 'after() hook failed: ECONNRESET'],
      ['', 'Bail out! database gone', 'failed', null],
    ]);
  });

  it('reads a location given as a file URL, and ignores a YAML block that is not YAML', () => {
    const report = tap.parse(`TAP version 13
not ok 1 - url
  ---
  location: 'file:///workspace/test/math.test.mjs:3:1'
  error: 'x'
  ...
not ok 2 - broken yaml
  ---
  : : [
  ...
`);
    expect(report.suites[0]!.cases.map((c) => [c.name, c.file, c.line, c.message])).toEqual([
      ['url', '/workspace/test/math.test.mjs', 3, 'x'],
      ['broken yaml', null, null, null],
    ]);
  });

  it("reads a job's hostile report whole: a huge YAML block, absurd indentation, many points", () => {
    // A block far longer than any tool writes is skipped (the point still counts); one of normal size is read.
    const block = (lines: number) =>
      `TAP version 13\nnot ok 1 - big\n  ---\n  error: 'x'\n${Array.from({ length: lines }, (_, i) => `  k${i}: 1\n`).join('')}  ...\n`;
    expect(cases(tap.parse(block(150_000)))).toEqual([['', 'big', 'failed', null]]);
    expect(cases(tap.parse(block(1_000)))).toEqual([['', 'big', 'failed', 'x']]);
    const deep = `TAP version 13\n${' '.repeat(1_000_000)}ok 1 - far right\nok 1 - top\n`;
    // Nesting deeper than any parent closes is kept, after the top level.
    expect(cases(tap.parse(deep)).map(([suite, name]) => [suite, name])).toEqual([
      ['', 'top'],
      ['', 'far right'],
    ]);
    const many = `TAP version 13\n${Array.from({ length: 50_000 }, (_, i) => `ok ${i + 1} - t${i}\n  ---\n  duration_ms: 1\n  ...\n`).join('')}`;
    expect(tap.parse(many).suites[0]!.cases).toHaveLength(50_000);
  });

  it('refuses what is not TAP', () => {
    expect(() => tap.parse('<testsuite/>')).toThrow('not TAP: no "TAP version" line and no test points');
    expect(tap.parse('TAP version 14\n1..0 # nothing to do\n')).toEqual({ format: 'tap', suites: [] });
  });
});

describe('go test -json', () => {
  const report = goJson.parse(fixture('go-test-json.txt'));

  it('a suite per package, leaf tests as cases, a package that did not build as an errored case', () => {
    expect(cases(report)).toEqual([
      ['example.com/demo/broken', '(package)', 'error', 'build failed'],
      ['example.com/demo/calc', 'TestAdd', 'passed', null],
      ['example.com/demo/calc', 'TestMul', 'failed', 'Mul(2, 3) = 5, want 6'],
      ['example.com/demo/calc', 'TestTable/small', 'passed', null],
      ['example.com/demo/calc', 'TestTable/wrong', 'failed', 'Add(2, 2) = 4, want 5'],
      ['example.com/demo/calc', 'TestLater', 'skipped', 'not written yet'],
      ['example.com/demo/ok', 'TestOne', 'passed', null],
    ]);
    expect(report.suites.map((suite) => suite.durationMs)).toEqual([null, 21, 23]);
  });

  it('places failures on the repository file by the tail of the package path', () => {
    expect(
      testFailureDiagnostics('go', report, relativize).map((d) => [d.path, d.line, d.title, d.message]),
    ).toEqual([
      [
        'calc/calc_test.go',
        13,
        'test failed: example.com/demo/calc › TestMul',
        'Mul(2, 3) = 5, want 6\n\ncalc_test.go:13: Mul(2, 3) = 5, want 6',
      ],
      [
        'calc/calc_test.go',
        21,
        'test failed: example.com/demo/calc › TestTable/wrong',
        'Add(2, 2) = 4, want 5\n\ncalc_test.go:21: Add(2, 2) = 4, want 5',
      ],
    ]);
  });

  it("keeps a failure in its package's file when the repository root has a file of the same name", () => {
    // A root package's calc_test.go next to calc/calc_test.go: Go prints both as calc_test.go.
    const both = new Set([...repository, 'calc_test.go']);
    const places = testFailureDiagnostics(
      'go',
      report,
      relativizer(['/workspace'], (path) => both.has(path)),
    ).map((d) => [d.path, d.line]);
    expect(places).toEqual([
      ['calc/calc_test.go', 13],
      ['calc/calc_test.go', 21],
    ]);
    expect(report.suites[1]!.cases.find((c) => c.name === 'TestMul')?.file).toBe(
      'example.com/demo/calc/calc_test.go',
    );
  });

  it("places a Go panic on its stack frame's repository file, a path with folders (not a bare file name)", () => {
    const files = new Set([...repository, 'calc/helper.go']);
    const place = testLocation(
      {
        name: 'TestPanics',
        classname: 'example.com/demo/calc',
        status: 'failed',
        durationMs: null,
        message: 'panic: boom',
        details:
          'panic: boom\n\ngoroutine 7 [running]:\nexample.com/demo/calc.helper()\n\t/workspace/calc/helper.go:7 +0x1d\n',
        file: null,
        line: null,
      },
      relativizer(['/workspace'], (path) => files.has(path)),
    );
    expect(place).toEqual({ path: 'calc/helper.go', line: 7 });
  });

  it("reads newer Go's build failures as events, and a test that never ended as errored", () => {
    const newer = goJson.parse(
      [
        '{"Action":"start","Package":"example.com/m/a"}',
        '{"Action":"fail","Package":"example.com/m/a","Elapsed":0,"FailedBuild":"example.com/m/a [example.com/m/a.test]"}',
        '{"Action":"run","Package":"example.com/m/b","Test":"TestHang"}',
        '{"Action":"output","Package":"example.com/m/b","Test":"TestHang","Output":"panic: test timed out after 10m0s\\n"}',
        '{"Action":"fail","Package":"example.com/m/b","Elapsed":600}',
      ].join('\n'),
    );
    expect(cases(newer)).toEqual([
      ['example.com/m/a', '(package)', 'error', 'build failed: example.com/m/a [example.com/m/a.test]'],
      ['example.com/m/b', 'TestHang', 'error', 'panic: test timed out after 10m0s'],
    ]);
  });

  it('counts leaf tests among thousands of subtests', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => [
      `{"Action":"pass","Package":"p","Test":"TestT${i}/sub","Elapsed":0}`,
      `{"Action":"pass","Package":"p","Test":"TestT${i}/sub/deeper","Elapsed":0}`,
      `{"Action":"pass","Package":"p","Test":"TestT${i}","Elapsed":0}`,
    ]).flat();
    const leaves = goJson.parse(lines.join('\n')).suites[0]!.cases;
    expect(leaves).toHaveLength(20_000);
    expect(leaves[0]!.name).toBe('TestT0/sub/deeper');
  });

  it('refuses what is not go test -json', () => {
    expect(() => goJson.parse('ok  \texample.com/m\t0.1s\n')).toThrow(
      'not go test -json output: no test events',
    );
  });
});
