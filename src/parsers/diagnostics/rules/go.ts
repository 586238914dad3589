import { columnOf, type DiagnosticRule, lineRule } from '../rule.js';

/**
 * go build, go vet and go test: `pkg/main.go:12:2: undefined: x`, and go test's `    main_test.go:12: message`,
 * whose file name is relative to its package: the package's `FAIL`/`ok` line below it names the import path, whose
 * trailing folders are tried as the file's place in the repository.
 */
export const go: DiagnosticRule = lineRule(
  'go',
  /^\s*((?:\.\/)?[^\s:]+\.go):(\d+)(?::(\d+))?: (.+)$/,
  (match, lines, index) => ({
    tool: 'go',
    path: match[1]!,
    line: Number(match[2]),
    column: columnOf(match[3]),
    severity: 'error',
    message: match[4]!,
    alternatives: match[1]!.includes('/') ? [] : packageReadings(match[1]!, lines, index),
  }),
);

/** `a/b/c/x.go`, `b/c/x.go`, `c/x.go` for a file in the package whose result line (`FAIL\ta/b/c\t0.1s`) follows. */
function packageReadings(file: string, lines: readonly string[], index: number): string[] {
  for (const text of lines.slice(index + 1)) {
    const result = /^(?:FAIL|ok)\s+(\S+)\s/.exec(text);
    if (result === null) continue;
    const folders = result[1]!.split('/');
    return folders.map((_, start) => [...folders.slice(start), file].join('/'));
  }
  return [];
}
