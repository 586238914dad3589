import type { Diagnostic } from '../model.js';

/** What a rule read from one log line, before the path is made repository-relative. */
export interface RawDiagnostic {
  tool: string;
  path: string;
  line: number;
  column: number | undefined;
  severity: Diagnostic['severity'];
  message: string;
  /** Defaults to `<tool>: <severity>`. */
  title?: string;
  /** Other readings of `path`, tried in order when `path` is not a repository file (go test's package-relative names). */
  alternatives?: string[];
}

/**
 * One tool's output format. `find` reads a whole log (ANSI colours removed, split into lines) and says which
 * lines it claims and what each means; a rule may look at neighbouring lines (rustc puts the place on the next
 * one, eslint's stylish format names the file above).
 */
export interface DiagnosticRule {
  readonly name: string;
  find(lines: readonly string[]): Map<number, RawDiagnostic>;
}

/** A rule that reads each line on its own (or with a look at its neighbours) through one pattern. */
export function lineRule(
  name: string,
  pattern: RegExp,
  read: (match: RegExpExecArray, lines: readonly string[], index: number) => RawDiagnostic | null,
): DiagnosticRule {
  return {
    name,
    find(lines) {
      const found = new Map<number, RawDiagnostic>();
      lines.forEach((text, index) => {
        const match = pattern.exec(text);
        const diagnostic = match === null ? null : read(match, lines, index);
        if (diagnostic !== null) found.set(index, diagnostic);
      });
      return found;
    },
  };
}

/** A tool's severity word as a diagnostic severity: error/fatal/failed → error, warn… → warning, else notice. */
export function severityOf(word: string): Diagnostic['severity'] {
  return /^(error|fatal|failed|fail)/i.test(word) ? 'error' : /^warn/i.test(word) ? 'warning' : 'notice';
}

/** An optional column as a number. */
export function columnOf(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text);
}
