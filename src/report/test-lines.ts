import { testCounts } from '../parsers/test-summary.js';
import { type JobReport, testDuration } from './model.js';

/** Failed tests listed per job in a terminal. */
const FAILED_SHOWN = 10;

const CONTROLS = new RegExp(
  `[${String.fromCharCode(0)}-${String.fromCharCode(0x1f)}${String.fromCharCode(0x7f)}-${String.fromCharCode(0x9f)}]`,
  'g',
);

/** A line as a terminal may print it: no control characters from a report (they could move the cursor). */
export function plain(text: string): string {
  // A character class of C0 and C1 controls, built from code points (a regex literal with them trips linters).
  return text.replace(CONTROLS, ' ');
}

/**
 * The CLI's lines about tests after a run: a line per job with test reports (counts, time), its first failed tests
 * with their place and message, and the report files it could not read.
 */
export function testLines(jobs: JobReport[]): string[] {
  const lines: string[] = [];
  for (const job of jobs) {
    const tests = job.tests;
    if (tests === null) continue;
    const time = tests.durationMs === null ? '' : ` in ${testDuration(tests.durationMs)}`;
    lines.push(`Tests of ${job.job}: ${testCounts(tests)}${time}`);
    for (const failure of tests.failures.slice(0, FAILED_SHOWN)) {
      const where = failure.file === null ? '' : ` (${failure.file}:${failure.line})`;
      const message = failure.message === null ? '' : `: ${failure.message.split('\n', 1)[0]!.slice(0, 200)}`;
      lines.push(plain(`  ✗ ${failure.test.slice(0, 200)}${where}${message}`));
    }
    if (tests.failed > Math.min(tests.failures.length, FAILED_SHOWN))
      lines.push(`  and ${tests.failed - Math.min(tests.failures.length, FAILED_SHOWN)} more failed test(s)`);
    for (const flaky of tests.flaky.slice(0, FAILED_SHOWN))
      lines.push(plain(`  ~ flaky: ${flaky.test.slice(0, 200)} (${flaky.history.join(', ')})`));
    for (const problem of tests.problems) lines.push(plain(`  ! ${problem}`));
  }
  return lines;
}
