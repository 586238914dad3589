import { z } from 'zod';

/** A file/line problem found in a job's output or reports. */
export interface Diagnostic {
  job: string;
  /** Path relative to the repository root. */
  path: string;
  line: number;
  column: number | undefined;
  severity: 'error' | 'warning' | 'notice';
  title: string;
  message: string;
  /** Which tool's format it was read from. */
  tool: string;
}

/** Maps a path printed by a tool to a repository-relative one, or undefined for files outside the repository. */
export type Relativize = (path: string) => string | undefined;

/** How a test case ended. */
export const TestStatusSchema = z.enum(['passed', 'failed', 'error', 'skipped']);
/** A test case's status. */
export type TestStatus = z.infer<typeof TestStatusSchema>;

/** One test case of a report, as its tool wrote it (paths as printed, not yet made repository-relative). */
export const TestCaseSchema = z.strictObject({
  name: z.string(),
  /** The class, module or suite path the tool groups the case under ("" when none). */
  classname: z.string(),
  status: TestStatusSchema,
  durationMs: z.number().nonnegative().nullable(),
  /** The failure's one-line message (failed, error) or why it was skipped. */
  message: z.string().nullable(),
  /** The failure's details: stack trace, diff, captured output. */
  details: z.string().nullable(),
  file: z.string().nullable(),
  line: z.number().int().positive().nullable(),
  /**
   * How many times the tool itself ran it again after it failed, before this result (Surefire's and nextest's
   * retries: `<flakyFailure>` when it then passed, `<rerunFailure>` when it failed again).
   */
  reruns: z.number().int().nonnegative().optional(),
});
/** A test case. */
export type TestCase = z.infer<typeof TestCaseSchema>;

/** A test suite: a named group of cases. */
export const TestSuiteSchema = z.strictObject({
  name: z.string(),
  durationMs: z.number().nonnegative().nullable(),
  cases: z.array(TestCaseSchema),
});
/** A test suite. */
export type TestSuite = z.infer<typeof TestSuiteSchema>;

/** What one report file says: its suites, in the file's order. */
export const TestReportSchema = z.strictObject({
  format: z.string(),
  suites: z.array(TestSuiteSchema),
});
/** A parsed test report. */
export type TestReport = z.infer<typeof TestReportSchema>;

/** How a case is named in reports: "classname › name", or the name alone (jest-junit repeats it as the class). */
export function testName(testCase: Pick<TestCase, 'classname' | 'name'>): string {
  return testCase.classname === '' || testCase.classname === testCase.name
    ? testCase.name
    : `${testCase.classname} › ${testCase.name}`;
}
