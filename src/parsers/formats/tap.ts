import { parse as parseYaml } from 'yaml';
import type { TestCase, TestStatus, TestSuite } from '../model.js';
import type { ReportFormat } from './format.js';

/** One test point of a TAP stream, with its YAML diagnostics and the points nested under it (TAP 14 subtests). */
interface Point {
  ok: boolean;
  description: string;
  directive: { kind: 'skip' | 'todo'; reason: string } | undefined;
  diagnostics: Record<string, unknown>;
  children: Point[];
}

/** Deepest subtest nesting kept apart; deeper points count as this deep. */
const MAX_DEPTH = 32;

const TEST_POINT = /^(not )?ok\b\s*(?:\d+)?\s*(?:- )?(.*)$/;
const DIRECTIVE = /\s+#\s*(SKIP|TODO)\S*\s*(.*)$/i;

/**
 * TAP 13 and 14 (node --test --test-reporter=tap, tape, prove, bats): test points with their YAML diagnostics;
 * subtests, indented four spaces, become suites named by their parents. SKIP and TODO points count as skipped.
 */
export const tap: ReportFormat = {
  name: 'tap',
  description: 'TAP 13/14 output files (globs), e.g. node --test --test-reporter=tap.',
  maxBytes: 16 * 1024 * 1024,
  parse(content) {
    const { points, sawTap } = readPoints(content.split(/\r?\n/));
    if (!sawTap && points.length === 0) throw new Error('not TAP: no "TAP version" line and no test points');
    const suites: TestSuite[] = [];
    collect(points, [], suites);
    return { format: 'tap', suites };
  },
};

/** The test points of a stream as a tree, by indentation; "Bail out!" ends it with an error point. */
function readPoints(lines: string[]): { points: Point[]; sawTap: boolean } {
  // levels[i]: the points read so far at nesting level i (reset when a point one level up closes them).
  const levels: Point[][] = [[]];
  let sawTap = false;
  let last: { point: Point; indent: number } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const indent = line.length - line.trimStart().length;
    const text = line.trim();
    if (/^TAP version \d+$/i.test(text)) sawTap = true;
    if (text === '---' && last !== undefined && indent > last.indent) {
      let end = index + 1;
      while (end < lines.length && lines[end]!.trim() !== '...') end++;
      last.point.diagnostics = yamlBlock(lines.slice(index + 1, end));
      index = end;
      continue;
    }
    const bail = /^Bail out!\s*(.*)$/.exec(text);
    if (bail !== null) {
      levels[0]!.push({
        ok: false,
        description: `Bail out!${bail[1] === '' ? '' : ` ${bail[1]}`}`,
        directive: undefined,
        diagnostics: {},
        children: [],
      });
      break;
    }
    const match = TEST_POINT.exec(text);
    if (match === null) continue;
    // Nesting past MAX_DEPTH (a hostile report's million spaces) counts as MAX_DEPTH.
    const level = Math.min(Math.floor(indent / 4), MAX_DEPTH);
    while (levels.length <= level + 1) levels.push([]);
    const directive = DIRECTIVE.exec(match[2]!);
    const point: Point = {
      ok: match[1] === undefined,
      description: (directive === null ? match[2]! : match[2]!.slice(0, directive.index)).trim(),
      directive:
        directive === null
          ? undefined
          : { kind: directive[1]!.toLowerCase() === 'skip' ? 'skip' : 'todo', reason: directive[2]!.trim() },
      diagnostics: {},
      // The points just read one level deeper are this point's subtests.
      children: levels[level + 1]!.splice(0),
    };
    levels[level]!.push(point);
    last = { point, indent };
  }
  // Points left at deeper levels had no closing parent (a stream cut short): keep them at the top.
  return { points: levels.flat(), sawTap };
}

/** Longest YAML diagnostics block read (node's are tens of lines); a longer one adds nothing. */
const MAX_YAML_LINES = 2000;

/** A YAML diagnostics block, dedented; a block that is not YAML, or too long to be one a tool wrote, adds nothing. */
function yamlBlock(lines: string[]): Record<string, unknown> {
  // The YAML parser's work grows faster than the block (duplicate-key checks): a job's report must not stall it.
  if (lines.length > MAX_YAML_LINES) return {};
  // A loop, not Math.min(...lines): a block of a million lines would overflow the call stack.
  let indent = Number.POSITIVE_INFINITY;
  for (const l of lines) if (l.trim() !== '') indent = Math.min(indent, l.length - l.trimStart().length);
  try {
    const value: unknown = parseYaml(
      lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n'),
    );
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Leaf points become cases of the suite named by their parents; a parent that failed on its own is a case too. */
function collect(points: Point[], path: string[], suites: TestSuite[]): void {
  const name = path.join(' › ');
  const cases: TestCase[] = [];
  for (const point of points) {
    if (point.children.length === 0) cases.push(testCase(point, name));
    else {
      collect(point.children, [...path, point.description], suites);
      // node --test fails a suite whose subtests failed ("subtestsFailed"); only a failure of its own (a hook)
      // is news.
      const ownFailure = !point.ok && point.diagnostics.failureType !== 'subtestsFailed';
      if (ownFailure && point.directive === undefined) cases.push(testCase(point, name));
    }
  }
  if (cases.length > 0) suites.push({ name, durationMs: null, cases });
}

function testCase(point: Point, classname: string): TestCase {
  const status: TestStatus = point.directive !== undefined ? 'skipped' : point.ok ? 'passed' : 'failed';
  const d = point.diagnostics;
  const error = text(d.error) ?? text(d.message);
  const location = locationOf(text(d.location) ?? text(d.at));
  const duration = Number(d.duration_ms);
  return {
    name: point.description === '' ? 'test' : point.description,
    classname,
    status,
    durationMs: Number.isFinite(duration) && duration >= 0 ? Math.round(duration) : null,
    message:
      point.directive !== undefined
        ? point.directive.reason === ''
          ? point.directive.kind
          : `${point.directive.kind}: ${point.directive.reason}`
        : point.ok
          ? null
          : (firstLine(error) ?? null),
    details: point.ok || point.directive !== undefined ? null : details(error, text(d.stack)),
    file: location?.file ?? null,
    line: location?.line ?? null,
  };
}

/** `path:line:column` or `file:///path:line` as node writes `location`. */
function locationOf(value: string | undefined): { file: string; line: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:file:\/\/)?(.+?):(\d+)(?::\d+)?$/.exec(value.trim());
  if (match === null) return undefined;
  const line = Number(match[2]);
  return line > 0 ? { file: match[1]!, line } : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function firstLine(value: string | undefined): string | undefined {
  return value
    ?.split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
}

function details(error: string | undefined, stack: string | undefined): string | null {
  const parts = [error?.trim(), stack?.trim()].filter(
    (part): part is string => part !== undefined && part !== '',
  );
  return parts.length === 0 ? null : parts.join('\n');
}
