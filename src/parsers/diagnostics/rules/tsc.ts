import { type DiagnosticRule, lineRule, severityOf } from '../rule.js';

const PLAIN = /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.+)$/;
const PRETTY = /^(.+?):(\d+):(\d+) - (error|warning) (TS\d+): (.+)$/;

/** tsc: `src/a.ts(3,7): error TS2322: …` and the pretty `src/a.ts:3:7 - error TS2322: …`. */
export const tsc: DiagnosticRule = lineRule(
  'tsc',
  new RegExp(`${PLAIN.source}|${PRETTY.source}`),
  (match) => {
    const [path, line, column, severity, code, message] =
      match[1] === undefined ? match.slice(7) : match.slice(1, 7);
    return {
      tool: 'tsc',
      path: path!,
      line: Number(line),
      column: Number(column),
      severity: severityOf(severity!),
      message: message!,
      title: `tsc: ${code}`,
    };
  },
);
