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

// ANSI colour codes some tools print even when not on a terminal.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

const severityOf = (word: string): Diagnostic['severity'] =>
  /^(error|fatal|failed|fail)/i.test(word) ? 'error' : /^warn/i.test(word) ? 'warning' : 'notice';

/**
 * Finds file/line diagnostics in a job's log: gcc/clang, go, rustc/cargo, tsc, eslint (stylish and unix),
 * pytest and vitest/jest formats. Pure: the caller reads the log and says which paths are the repository's.
 */
export function parseDiagnostics(job: string, log: string, relativize: Relativize): Diagnostic[] {
  const lines = log.replace(ANSI, '').split(/\r?\n/);
  const found: Diagnostic[] = [];
  const add = (
    tool: string,
    rawPath: string,
    line: string,
    column: string | undefined,
    severity: Diagnostic['severity'],
    message: string,
    title?: string,
  ) => {
    const path = relativize(rawPath.trim());
    const lineNumber = Number(line);
    if (path === undefined || !Number.isInteger(lineNumber) || lineNumber < 1) return;
    found.push({
      job,
      path,
      line: lineNumber,
      column: column === undefined ? undefined : Number(column),
      severity,
      title: title ?? `${tool}: ${severity}`,
      message: message.trim(),
      tool,
    });
  };

  // One rule per format: a line pattern and what it means (null: not this format after all).
  type Found = [
    tool: string,
    path: string,
    line: string,
    column: string | undefined,
    severity: Diagnostic['severity'],
    message: string,
    title?: string,
  ];
  const rules: { pattern: RegExp; read: (match: RegExpExecArray, index: number) => Found | null }[] = [
    // rustc/cargo: "error[E0425]: cannot find value `x`" then " --> src/main.rs:2:5"
    {
      pattern: /^(error|warning)(\[[A-Z]\d+\])?: (.+)$/,
      read: (match, index) => {
        const location = /^\s*--> (.+?):(\d+):(\d+)$/.exec(lines[index + 1] ?? '');
        return location === null
          ? null
          : [
              'rustc',
              location[1]!,
              location[2]!,
              location[3],
              severityOf(match[1]!),
              match[3]!,
              `rustc: ${match[1]}${match[2] ?? ''}`,
            ];
      },
    },
    // tsc: "src/a.ts(3,7): error TS2322: ..." and the pretty "src/a.ts:3:7 - error TS2322: ..."
    {
      pattern: /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.+)$/,
      read: (m) => ['tsc', m[1]!, m[2]!, m[3], severityOf(m[4]!), m[6]!, `tsc: ${m[5]}`],
    },
    {
      pattern: /^(.+?):(\d+):(\d+) - (error|warning) (TS\d+): (.+)$/,
      read: (m) => ['tsc', m[1]!, m[2]!, m[3], severityOf(m[4]!), m[6]!, `tsc: ${m[5]}`],
    },
    // gcc/clang (and eslint's unix format): "file:line:col: error: message"
    {
      pattern: /^([^\s:][^:]*):(\d+):(\d+): (fatal error|error|warning|note): (.+)$/,
      read: (m) => ['gcc', m[1]!, m[2]!, m[3], severityOf(m[4]!), m[5]!],
    },
    // pytest: "tests/test_x.py:12: AssertionError"
    {
      pattern: /^([^\s:]+\.py):(\d+): (\w*(Error|Exception|Failed)\w*)(: .*)?$/,
      read: (m) => ['pytest', m[1]!, m[2]!, undefined, 'error', `${m[3]}${m[5] ?? ''}`, `pytest: ${m[3]}`],
    },
    // vitest/jest: " ❯ src/a.test.ts:12:5" or "at ... (src/a.test.ts:12:5)", with the failure message above
    {
      pattern: /^\s*(?:❯|→|at .*\()\s*([^\s()]+\.[cm]?[jt]sx?):(\d+):(\d+)\)?$/,
      read: (m, index) => {
        const failure = nearestFailure(lines, index);
        return failure === undefined
          ? null
          : ['vitest', m[1]!, m[2]!, m[3], 'error', failure, 'test failure'];
      },
    },
    // go (build, vet, test): "./main.go:12:2: undefined: x" or "main_test.go:12: message"
    {
      pattern: /^\s*((?:\.\/)?[^\s:]+\.go):(\d+)(?::(\d+))?: (.+)$/,
      read: (m) => ['go', m[1]!, m[2]!, m[3], 'error', m[4]!],
    },
  ];

  // eslint's stylish format names the file on a line of its own, then "  3:7  error  message  rule" lines.
  let stylishFile: string | undefined;
  lines.forEach((text, index) => {
    for (const rule of rules) {
      const match = rule.pattern.exec(text);
      const result = match === null ? null : rule.read(match, index);
      if (result !== null) {
        add(...result);
        return;
      }
    }
    if (/^(\/|\.{0,2}\/?[\w@.-]+\/)[^\s:]*\.[cm]?[jt]sx?$/.test(text.trim())) {
      stylishFile = text.trim();
      return;
    }
    const stylish =
      stylishFile === undefined
        ? null
        : /^\s+(\d+):(\d+)\s+(error|warning)\s+(.+?)(?:\s{2,}(\S+))?$/.exec(text);
    if (stylish !== null && stylishFile !== undefined) {
      add(
        'eslint',
        stylishFile,
        stylish[1]!,
        stylish[2],
        severityOf(stylish[3]!),
        stylish[4]!,
        `eslint${stylish[5] === undefined ? '' : `: ${stylish[5]}`}`,
      );
      return;
    }
    if (text.trim() === '') stylishFile = undefined;
  });
  return dedupe(found);
}

/** The failure message a test runner printed just above a stack location. */
function nearestFailure(lines: string[], index: number): string | undefined {
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

/** Drops repeats (the same tool, place and message), keeping the first. */
export function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((diagnostic) => {
    const key = `${diagnostic.job}\0${diagnostic.path}\0${diagnostic.line}\0${diagnostic.column}\0${diagnostic.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A Relativize for a job: strips the places a workspace lives (the guest's /workspace, the host copy, the
 * repository itself) and keeps only paths that exist in the repository snapshot.
 */
export function relativizer(
  prefixes: string[],
  exists: (relative: string) => boolean,
  workingDirectory = '.',
): Relativize {
  const roots = prefixes.map((prefix) => (prefix.endsWith('/') ? prefix : `${prefix}/`));
  return (path) => {
    let relative: string | undefined;
    for (const root of roots) if (path.startsWith(root)) relative = path.slice(root.length);
    if (relative === undefined) {
      if (path.startsWith('/')) return undefined;
      const base = workingDirectory === '.' ? '' : `${workingDirectory.replace(/\/+$/, '')}/`;
      relative = `${base}${path.replace(/^\.\//, '')}`;
    }
    const normalized = relative.split('/').reduce<string[]>((parts, part) => {
      if (part === '..') parts.pop();
      else if (part !== '.' && part !== '') parts.push(part);
      return parts;
    }, []);
    const result = normalized.join('/');
    return result !== '' && exists(result) ? result : undefined;
  };
}
