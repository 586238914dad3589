import { type DiagnosticRule, type RawDiagnostic, severityOf } from '../rule.js';

const FILE_HEADER = /^(\/|\.{0,2}\/?[\w@.-]+\/)[^\s:]*\.[cm]?[jt]sx?$/;
const ENTRY = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.+?)(?:\s{2,}(\S+))?$/;

/** eslint's default (stylish) format: the file on a line of its own, then `  3:7  error  message  rule` lines. */
export const eslintStylish: DiagnosticRule = {
  name: 'eslint-stylish',
  find(lines) {
    const found = new Map<number, RawDiagnostic>();
    let file: string | undefined;
    lines.forEach((text, index) => {
      if (FILE_HEADER.test(text.trim())) {
        file = text.trim();
        return;
      }
      const entry = file === undefined ? null : ENTRY.exec(text);
      if (entry !== null && file !== undefined) {
        found.set(index, {
          tool: 'eslint',
          path: file,
          line: Number(entry[1]),
          column: Number(entry[2]),
          severity: severityOf(entry[3]!),
          message: entry[4]!,
          title: `eslint${entry[5] === undefined ? '' : `: ${entry[5]}`}`,
        });
        return;
      }
      if (text.trim() === '') file = undefined;
    });
    return found;
  },
};
