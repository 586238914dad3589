import { type DiagnosticRule, lineRule } from '../rule.js';

/** vitest/jest: a stack location (` ❯ src/a.test.ts:12:5`, `at … (src/a.test.ts:12:5)`) under its failure message. */
export const vitest: DiagnosticRule = lineRule(
  'vitest',
  /^\s*(?:❯|→|at .*\()\s*([^\s()]+\.[cm]?[jt]sx?):(\d+):(\d+)\)?$/,
  (match, lines, index) => {
    const failure = nearestFailure(lines, index);
    if (failure === undefined) return null;
    return {
      tool: 'vitest',
      path: match[1]!,
      line: Number(match[2]),
      column: Number(match[3]),
      severity: 'error',
      message: failure,
      title: 'test failure',
    };
  },
);

/** The failure message a test runner printed just above a stack location. */
function nearestFailure(lines: readonly string[], index: number): string | undefined {
  for (let i = index - 1; i >= Math.max(0, index - 12); i--) {
    const text = lines[i]!.trim();
    if (
      /^(AssertionError|Error|TypeError|ReferenceError|expected|Expected)\b/.test(text) ||
      /Error:/.test(text)
    )
      return text;
    if (/^(FAIL|×|✗)\s/.test(text)) return text;
  }
  return undefined;
}
