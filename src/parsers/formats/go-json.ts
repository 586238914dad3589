import type { TestCase, TestStatus, TestSuite } from '../model.js';
import type { ReportFormat } from './format.js';

/** One event of `go test -json` (test2json). */
interface Event {
  Action?: string;
  Package?: string;
  Test?: string;
  Elapsed?: number;
  Output?: string;
  FailedBuild?: string;
}

/** What was seen of one test (or of a package, under the test name ""). */
interface Seen {
  status: TestStatus | undefined;
  elapsedMs: number | null;
  output: string[];
}

/** A `file_test.go:12: message` line of a test's output (t.Error, t.Fatal, t.Skip). */
const LOCATED = /^\s+([\w.-]+\.go):(\d+): ?(.*)$/;

/**
 * `go test -json` (test2json events, one JSON object per line): a suite per package, a case per test. A test with
 * subtests counts through its subtests; a package that failed to build, or failed outside any test, is one
 * errored case. File names are the package's import path plus the file (example.com/mod/calc/calc_test.go); the
 * repository path is found by dropping leading segments.
 */
export const goJson: ReportFormat = {
  name: 'go-json',
  description: 'go test -json output files (globs).',
  maxBytes: 64 * 1024 * 1024,
  parse(content) {
    const packages = new Map<string, Map<string, Seen>>();
    const seen = (pkg: string, test: string): Seen => {
      const tests = packages.get(pkg) ?? new Map<string, Seen>();
      packages.set(pkg, tests);
      const entry = tests.get(test) ?? { status: undefined, elapsedMs: null, output: [] };
      tests.set(test, entry);
      return entry;
    };
    let events = 0;
    for (const line of content.split('\n')) {
      // Go before 1.24 prints a package's build failure as plain text among the events.
      const buildFailed = /^FAIL\s+(\S+)\s+\[build failed\]\s*$/.exec(line);
      if (buildFailed !== null) {
        const entry = seen(buildFailed[1]!, '');
        entry.status = 'error';
        entry.output.push('build failed');
        continue;
      }
      const event = eventOf(line);
      if (event === undefined || event.Package === undefined) continue;
      events++;
      const entry = seen(event.Package, event.Test ?? '');
      if (event.Action === 'output' && event.Output !== undefined) entry.output.push(event.Output);
      const status = STATUS[event.Action ?? ''];
      if (status !== undefined) {
        entry.status = status === 'failed' && event.Test === undefined ? 'error' : status;
        entry.elapsedMs = typeof event.Elapsed === 'number' ? Math.round(event.Elapsed * 1000) : null;
        if (event.FailedBuild !== undefined) entry.output.push(`build failed: ${event.FailedBuild}`);
      }
    }
    if (events === 0 && packages.size === 0) throw new Error('not go test -json output: no test events');
    return { format: 'go-json', suites: [...packages].map(([pkg, tests]) => suiteOf(pkg, tests)) };
  },
};

const STATUS: Record<string, TestStatus> = { pass: 'passed', fail: 'failed', skip: 'skipped' };

function eventOf(line: string): Event | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' ? (value as Event) : undefined;
  } catch {
    return undefined;
  }
}

/** A package's suite: its leaf tests, and the package itself when it failed with no test to blame. */
function suiteOf(pkg: string, tests: Map<string, Seen>): TestSuite {
  const names = [...tests.keys()].filter((name) => name !== '');
  // Tests with subtests (TestA of TestA/sub): every name's ancestors, in one pass (not each name against all).
  const parents = new Set(
    names.flatMap((name) =>
      name
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
    ),
  );
  const leaves = names.filter((name) => !parents.has(name));
  const cases = leaves.map((name) => testCase(pkg, name, tests.get(name)!));
  const own = tests.get('');
  const blamed = cases.some((c) => c.status === 'failed' || c.status === 'error');
  if (own?.status === 'error' && !blamed) {
    cases.push({ ...testCase(pkg, '(package)', own), status: 'error' });
  }
  return { name: pkg, durationMs: own?.elapsedMs ?? null, cases };
}

function testCase(pkg: string, name: string, seen: Seen): TestCase {
  const lines = seen.output
    .join('')
    .split('\n')
    .filter((line) => !/^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (PASS|FAIL|SKIP):)/.test(line));
  const located = lines.map((line) => LOCATED.exec(line)).find((match) => match !== null);
  const status = seen.status ?? 'error';
  const text = lines.join('\n').trim();
  return {
    name,
    classname: pkg,
    status,
    durationMs: seen.elapsedMs,
    message:
      status === 'passed'
        ? null
        : ((located?.[3]?.trim() ||
            text.split('\n')[0]?.trim() ||
            (status === 'error' ? 'no result' : null)) ??
          null),
    details: status === 'passed' || status === 'skipped' || text === '' ? null : text,
    file: located === undefined ? null : `${pkg}/${located[1]}`,
    line: located === undefined ? null : Number(located[2]),
  };
}
