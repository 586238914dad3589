import { type Diagnostic, type Relativize, type TestCase, type TestReport, testName } from './model.js';

/**
 * Failed and errored test cases as diagnostics: placed by the case's file/line, else by the first repository
 * location in its failure text, else at the top of the case's file; cases with no repository location are left
 * out (they have nowhere to point).
 */
export function testFailureDiagnostics(
  job: string,
  report: TestReport,
  relativize: Relativize,
  findBySuffix?: FindBySuffix,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const suite of report.suites) {
    for (const testCase of suite.cases) {
      if (testCase.status !== 'failed' && testCase.status !== 'error') continue;
      const location = testLocation(testCase, relativize, findBySuffix);
      if (location === undefined) continue;
      const name = testName(testCase);
      diagnostics.push({
        job,
        path: location.path,
        line: location.line,
        column: undefined,
        severity: 'error',
        title: `test failed: ${name}`.slice(0, 255),
        message:
          [testCase.message ?? '', (testCase.details ?? '').trim()]
            .filter((part) => part !== '')
            .join('\n\n') || 'failed',
        tool: report.format,
      });
    }
  }
  return diagnostics;
}

/** Finds the repository file whose path ends with `/suffix` (or is it), for paths a report gives only in part. */
export type FindBySuffix = (suffix: string) => string | undefined;

type Place = { path: string; line: number };

/** How much of a failure's text is searched for places (its text is the job's: it can be megabytes). */
const MAX_SCAN = 256 * 1024;
/** Places looked at per failure. */
const MAX_PLACES = 64;
const PATH_LINE = /^(?:file:\/\/)?([\w./@-]+\.[A-Za-z]{1,5}):(\d+)/;
const JVM_FILE = /^([\w$]+\.(?:java|kt|scala|groovy)):(\d+)$/;

/**
 * Places in a failure's text: `path:line` as most tools print it, and JVM stack frames `at pkg.Class.m(File.java:N)`.
 * Linear in the text: split into tokens and lines first, each matched from its start only (a pattern searched
 * anywhere in a long run of word characters backtracks quadratically).
 */
function placesIn(
  details: string,
  relativize: Relativize,
  findBySuffix: FindBySuffix | undefined,
  goPackage?: string,
) {
  const text = details.slice(0, MAX_SCAN);
  const places: (Place & { frameClass?: string })[] = [];
  const inPackage = goPackage === undefined ? undefined : packageFiles(goPackage, relativize, findBySuffix);
  for (const token of text.split(/[^\w./@:-]+/)) {
    const match = PATH_LINE.exec(token);
    const name = match?.[1];
    // A Go test's bare file name is its package's file, never a file of that name at the repository root.
    const path =
      name === undefined
        ? undefined
        : inPackage !== undefined && isBareGoFile(name)
          ? inPackage(name)
          : relativize(name);
    if (path !== undefined) places.push({ path, line: Number(match![2]) });
    if (places.length >= MAX_PLACES) return places;
  }
  if (findBySuffix === undefined) return places;
  for (const line of text.split('\n')) {
    const frame = jvmFrame(line.trim());
    if (frame === undefined) continue;
    const path = findBySuffix(frame.packagePath === '' ? frame.file : `${frame.packagePath}/${frame.file}`);
    if (path !== undefined) places.push({ path, line: frame.line, frameClass: frame.frameClass });
    if (places.length >= MAX_PLACES) break;
  }
  return places;
}

/** A Go file named without its folder, as Go prints a test's own file (`calc_test.go`). */
function isBareGoFile(name: string): boolean {
  return !name.includes('/') && name.endsWith('.go');
}

/**
 * Go prints a test's own file without its folder (`calc_test.go:12: …`, in go-junit-report's XML too): such a name
 * is looked up in the test's package, whose import path is the case's classname. Each name once, and at most
 * MAX_PLACES names per failure: the text is the job's, and each lookup tries up to MAX_TAILS paths.
 */
function packageFiles(
  goPackage: string,
  relativize: Relativize,
  findBySuffix: FindBySuffix | undefined,
): (name: string) => string | undefined {
  const found = new Map<string, string | undefined>();
  return (name) => {
    if (!isBareGoFile(name)) return undefined;
    if (!found.has(name) && found.size < MAX_PLACES)
      found.set(name, relativizeBySuffix(`${goPackage}/${name}`, relativize, findBySuffix));
    return found.get(name);
  };
}

/** A Go import path (`example.com/mod/calc`): where a Go test's bare file names live. */
const GO_IMPORT_PATH = /^[\w.~-]+(\/[\w.~-]+)+$/;

/** A JVM stack frame `at pkg.Class$Inner.method(File.java:12)`: the class, its package as a path, file, line. */
function jvmFrame(line: string) {
  if (!line.startsWith('at ') || !line.endsWith(')')) return undefined;
  const open = line.indexOf('(');
  const location = JVM_FILE.exec(line.slice(open + 1, -1));
  if (open < 0 || location === null) return undefined;
  const parts = line.slice(3, open).split('.');
  if (parts.length < 2 || !parts.every((part) => /^[\w$<>]+$/.test(part))) return undefined;
  const frameClass = parts.slice(0, -1).join('.').replace(/\$.*$/, '');
  return {
    frameClass,
    packagePath: frameClass.split('.').slice(0, -1).join('/'),
    file: location[1]!,
    line: Number(location[2]),
  };
}

/**
 * Where a failed test points in the repository: the failing line in the test's own file when its failure text
 * shows one (the assertion), else the case's file/line; for a case without a file, the stack frame of its own
 * class (JVM), else the first repository place in its failure text; else the top of its file.
 */
export function testLocation(
  testCase: TestCase,
  relativize: Relativize,
  findBySuffix?: FindBySuffix,
): Place | undefined {
  const file =
    testCase.file === null ? undefined : relativizeBySuffix(testCase.file, relativize, findBySuffix);
  const goPackage = GO_IMPORT_PATH.test(testCase.classname) ? testCase.classname : undefined;
  const places = placesIn(testCase.details ?? '', relativize, findBySuffix, goPackage);
  if (file !== undefined) {
    const inFile = places.find((place) => place.path === file);
    if (inFile !== undefined) return { path: inFile.path, line: inFile.line };
    if (testCase.line !== null) return { path: file, line: testCase.line };
  }
  const ownFrame = places.find((place) => place.frameClass === testCase.classname.replace(/\$.*$/, ''));
  const first = ownFrame ?? places[0];
  if (first !== undefined) return { path: first.path, line: first.line };
  return file === undefined ? undefined : { path: file, line: 1 };
}

/** Longest tails of a report's relative path tried against the repository. */
const MAX_TAILS = 16;

/**
 * A report's file in the repository: as written, else (for a relative path such as Go's
 * `example.com/mod/calc/calc_test.go`) the longest tail of it that is a repository file.
 */
function relativizeBySuffix(
  file: string,
  relativize: Relativize,
  findBySuffix: FindBySuffix | undefined,
): string | undefined {
  const direct = relativize(file);
  if (direct !== undefined || file.startsWith('/')) return direct;
  const parts = file.split('/');
  // At most MAX_TAILS lookups per case: a report (the job's) may name a path of thousands of folders.
  for (let start = Math.max(1, parts.length - MAX_TAILS); start < parts.length; start++) {
    const found = relativize(parts.slice(start).join('/'));
    if (found !== undefined) return found;
  }
  return findBySuffix?.(file.replace(/^(\.\/)+/, ''));
}
