import type { Diagnostic, Relativize, TestCase, TestReport } from './model.js';

/**
 * Failed and errored test cases as diagnostics: placed by the case's file/line, else by the first repository
 * location in its failure text, else at the top of the case's file; cases with no repository location are left
 * out (they have nowhere to point).
 */
export function testFailureDiagnostics(
  job: string,
  report: TestReport,
  relativize: Relativize,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const suite of report.suites) {
    for (const testCase of suite.cases) {
      if (testCase.status !== 'failed' && testCase.status !== 'error') continue;
      const location = locate(testCase, relativize);
      if (location === undefined) continue;
      const name = testCase.classname === '' ? testCase.name : `${testCase.classname} › ${testCase.name}`;
      diagnostics.push({
        job,
        path: location.path,
        line: location.line,
        column: undefined,
        severity: 'error',
        title: `test failed: ${name}`.slice(0, 255),
        message:
          [testCase.message ?? '', (testCase.details ?? '').trim()]
            .filter((part) => part !== '')
            .join('\n\n') || 'failed',
        tool: report.format,
      });
    }
  }
  return diagnostics;
}

function locate(testCase: TestCase, relativize: Relativize): { path: string; line: number } | undefined {
  const file = testCase.file === null ? undefined : relativizeBySuffix(testCase.file, relativize);
  if (file !== undefined && testCase.line !== null) return { path: file, line: testCase.line };
  for (const match of (testCase.details ?? '').matchAll(/(?:file:\/\/)?([\w./@-]+\.[A-Za-z]{1,5}):(\d+)/g)) {
    const path = relativize(match[1]!);
    if (path !== undefined) return { path, line: Number(match[2]) };
  }
  return file === undefined ? undefined : { path: file, line: 1 };
}

/** Longest tails of a report's relative path tried against the repository. */
const MAX_TAILS = 16;

/**
 * A report's file in the repository: as written, else (for a relative path such as Go's
 * `example.com/mod/calc/calc_test.go`) the longest tail of it that is a repository file.
 */
function relativizeBySuffix(file: string, relativize: Relativize): string | undefined {
  const direct = relativize(file);
  if (direct !== undefined || file.startsWith('/')) return direct;
  const parts = file.split('/');
  // At most MAX_TAILS lookups per case: a report (the job's) may name a path of thousands of folders.
  for (let start = Math.max(1, parts.length - MAX_TAILS); start < parts.length; start++) {
    const found = relativize(parts.slice(start).join('/'));
    if (found !== undefined) return found;
  }
  return undefined;
}
