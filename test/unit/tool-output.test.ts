import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDiagnostics, relativizer } from '../../src/parsers/diagnostics/parse.js';
import { DIAGNOSTIC_RULES } from '../../src/parsers/diagnostics/registry.js';
import { junit } from '../../src/parsers/formats/junit.js';
import { testFailureDiagnostics } from '../../src/parsers/test-diagnostics.js';

// Every rule against what its tool really printed (test/fixtures/tool-output/README.md says how each was made).
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/tool-output/${name}`, import.meta.url), 'utf8');

const repository = new Set([
  'src/app.ts',
  'src/main.c',
  'src/fatal.c',
  'src/main.rs',
  'tests/test_math.py',
  'web/app.test.ts',
  'lib/util.js',
  'pkg/main.go',
  'pkg/main_test.go',
  'test/math.test.mjs',
]);
const relativize = relativizer(['/workspace'], (path) => repository.has(path));

/** tool, place, severity and message of each diagnostic found in a captured log. */
const found = (name: string) =>
  parseDiagnostics('job', fixture(name), relativize).map((d) => [
    d.tool,
    `${d.path}:${d.line}:${d.column ?? '-'}`,
    d.severity,
    d.message,
  ]);

describe('diagnostics rules read real tool output', () => {
  it('tsc, plain and pretty (coloured) output', () => {
    const expected = [
      ['tsc', 'src/app.ts:1:7', 'error', "Type 'string' is not assignable to type 'number'."],
      ['tsc', 'src/app.ts:3:27', 'error', 'Expected 0 arguments, but got 1.'],
    ];
    expect(found('tsc.txt')).toEqual(expected);
    expect(found('tsc-pretty.txt')).toEqual(expected);
  });

  it('gcc: errors, notes, warnings and a fatal error', () => {
    expect(found('gcc.txt')).toEqual([
      ['gcc', 'src/main.c:4:10', 'error', '‘undeclared’ undeclared (first use in this function)'],
      [
        'gcc',
        'src/main.c:4:10',
        'notice',
        'each undeclared identifier is reported only once for each function it appears in',
      ],
      ['gcc', 'src/main.c:3:7', 'warning', 'unused variable ‘unused’ [-Wunused-variable]'],
      ['gcc', 'src/fatal.c:1:10', 'error', 'missing.h: No such file or directory'],
    ]);
  });

  it('rustc through cargo: the place on the line after the message; summary lines are not places', () => {
    expect(found('cargo-error.txt')).toEqual([['rustc', 'src/main.rs:3:18', 'error', 'mismatched types']]);
    expect(found('cargo-warning.txt')).toEqual([
      ['rustc', 'src/main.rs:2:9', 'warning', 'unused variable: `unused`'],
    ]);
  });

  it('pytest: the explanation from the E lines, the place from the line below them', () => {
    expect(found('pytest.txt')).toEqual([
      ['pytest', 'tests/test_math.py:5:-', 'error', 'AssertionError: assert 4 == 5'],
      ['pytest', 'tests/test_math.py:8:-', 'error', 'ValueError: bad value'],
    ]);
  });

  it('vitest: the failure message above each stack place', () => {
    expect(found('vitest.txt')).toEqual([
      ['vitest', 'web/app.test.ts:5:19', 'error', 'AssertionError: expected 3 to be 4 // Object.is equality'],
      ['vitest', 'web/app.test.ts:8:11', 'error', 'TypeError: not a function'],
    ]);
  });

  it('eslint stylish: the file above its entries, with severities', () => {
    expect(found('eslint-stylish.txt')).toEqual([
      ['eslint', 'lib/util.js:1:7', 'error', "'y' is assigned a value but never used"],
      ['eslint', 'lib/util.js:2:10', 'error', "'f' is defined but never used"],
      ['eslint', 'lib/util.js:2:23', 'warning', "'undefinedThing' is not defined"],
    ]);
  });

  it('go build and go vet; go test names files relative to their package', () => {
    expect(found('go-build-vet.txt')).toEqual([
      ['go', 'pkg/main.go:6:9', 'error', 'undefined: undefinedName'],
      ['go', 'pkg/main.go:10:2', 'error', 'fmt.Printf format %d has arg "text" of wrong type string'],
    ]);
    expect(found('go-test.txt')).toEqual([
      ['go', 'pkg/main_test.go:7:-', 'error', 'Hello() = "hi", want "hello"'],
    ]);
  });

  it('every rule in the registry is exercised by a captured log', () => {
    const logs = [
      'tsc.txt',
      'gcc.txt',
      'cargo-error.txt',
      'pytest.txt',
      'vitest.txt',
      'eslint-stylish.txt',
      'go-build-vet.txt',
    ];
    const tools = new Set(logs.flatMap((name) => found(name).map(([tool]) => tool)));
    const rules = DIAGNOSTIC_RULES.map((rule) => rule.name);
    expect([...tools].sort()).toEqual(
      rules.map((name) => (name === 'eslint-stylish' ? 'eslint' : name)).sort(),
    );
  });
});

describe('JUnit from a real reporter', () => {
  it("reads node --test's JUnit: statuses, and the failure placed by the file URL in its stack", () => {
    const report = junit.parse(fixture('node-test-junit.xml'));
    const cases = report.suites.flatMap((suite) => suite.cases.map((c) => [c.name, c.status]));
    expect(cases).toEqual([
      ['adds', 'failed'],
      ['passes', 'passed'],
      ['skipped', 'skipped'],
    ]);
    const diagnostics = testFailureDiagnostics('job', report, relativize);
    expect(diagnostics.map((d) => [d.path, d.line, d.title, d.message.split('\n')[0]])).toEqual([
      ['test/math.test.mjs', 5, 'test failed: test › adds', 'Expected values to be strictly equal:3 !== 4'],
    ]);
  });
});
