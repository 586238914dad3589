import { type DiagnosticRule, lineRule } from '../rule.js';

/**
 * pytest's long tracebacks: the `E   ...` lines say what went wrong, the location line below them
 * (`tests/test_x.py:12: AssertionError`) says where.
 */
export const pytest: DiagnosticRule = lineRule(
  'pytest',
  /^([^\s:]+\.py):(\d+): (\w*(?:Error|Exception|Failed|Exit|Interrupt)\w*)(: .*)?$/,
  (match, lines, index) => {
    const exception = match[3]!;
    const explained = explanationAbove(lines, index);
    const message =
      explained === undefined
        ? `${exception}${match[4] ?? ''}`
        : explained.startsWith(exception)
          ? explained
          : `${exception}: ${explained}`;
    return {
      tool: 'pytest',
      path: match[1]!,
      line: Number(match[2]),
      column: undefined,
      severity: 'error',
      message,
      title: `pytest: ${exception}`,
    };
  },
);

/** The first line of the block of `E ` lines right above a location line, without its marker. */
function explanationAbove(lines: readonly string[], index: number): string | undefined {
  let first: string | undefined;
  for (let i = index - 1; i >= 0; i--) {
    const text = lines[i]!;
    if (text.trim() === '' && first === undefined) continue;
    const explanation = /^E\s+(.*)$/.exec(text);
    if (explanation === null) break;
    first = explanation[1]!.trim();
  }
  return first;
}
