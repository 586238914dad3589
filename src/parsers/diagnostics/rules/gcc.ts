import { columnOf, type DiagnosticRule, lineRule, severityOf } from '../rule.js';

/** gcc/clang (and eslint's unix format): `file:line:col: error: message`, also `fatal error` and `note`. */
export const gcc: DiagnosticRule = lineRule(
  'gcc',
  /^([^\s:][^:]*):(\d+):(\d+): (fatal error|error|warning|note): (.+)$/,
  (match) => ({
    tool: 'gcc',
    path: match[1]!,
    line: Number(match[2]),
    column: columnOf(match[3]),
    severity: severityOf(match[4]!),
    message: match[5]!,
  }),
);
