import { type DiagnosticRule, lineRule, severityOf } from '../rule.js';

/** rustc/cargo: `error[E0425]: cannot find value` with the place on the next line: ` --> src/main.rs:2:5`. */
export const rustc: DiagnosticRule = lineRule(
  'rustc',
  /^(error|warning)(\[[A-Z]\d+\])?: (.+)$/,
  (match, lines, index) => {
    const location = /^\s*--> (.+?):(\d+):(\d+)$/.exec(lines[index + 1] ?? '');
    if (location === null) return null;
    return {
      tool: 'rustc',
      path: location[1]!,
      line: Number(location[2]),
      column: Number(location[3]),
      severity: severityOf(match[1]!),
      message: match[3]!,
      title: `rustc: ${match[1]}${match[2] ?? ''}`,
    };
  },
);
