import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { TestCase, TestSuite } from '../model.js';
import type { ReportFormat } from './format.js';

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  // Attributes apart from elements: node --test writes both a `failure` attribute and a `<failure>` element.
  attributeNamePrefix: '@',
  textNodeName: '#text',
  processEntities: true,
  // Character references (pytest writes a message's line breaks as &#10;).
  htmlEntities: true,
  isArray: (name) =>
    [
      'testsuite',
      'testcase',
      'failure',
      'error',
      'skipped',
      'flakyFailure',
      'flakyError',
      'rerunFailure',
      'rerunError',
    ].includes(name),
});

/** JUnit XML, as Surefire, pytest, jest-junit, vitest, cargo-nextest, go-junit-report and node --test write it. */
export const junit: ReportFormat = {
  name: 'junit',
  description: 'JUnit XML files (globs) to read for annotations.',
  maxBytes: 16 * 1024 * 1024,
  parse(content) {
    const valid = XMLValidator.validate(content);
    if (valid !== true) throw new Error(`not JUnit XML: ${valid.err.msg} (line ${valid.err.line})`);
    let document: Node;
    try {
      document = parser.parse(content) as Node;
    } catch (error) {
      throw new Error(`not JUnit XML: ${(error as Error).message.split('\n')[0]}`);
    }
    if (!('testsuites' in document) && !('testsuite' in document))
      throw new Error('not JUnit XML: its root is neither <testsuites> nor <testsuite>');
    return { format: 'junit', suites: collectSuites(document, '') };
  },
};

/** Suites in document order; cases outside any suite form one unnamed suite. */
function collectSuites(node: unknown, parentName: string): TestSuite[] {
  if (node === null || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap((item) => collectSuites(item, parentName));
  const object = node as Node;
  const suites: TestSuite[] = [];
  const own = asArray(object.testcase).filter(isNode);
  if (own.length > 0) {
    const name = typeof object['@name'] === 'string' ? object['@name'] : parentName;
    // pytest (its suite is named "pytest" unless configured) writes 0-based lines.
    const lineBase = name === 'pytest' ? 0 : 1;
    suites.push({
      name,
      durationMs: seconds(object['@time']),
      cases: own.map((node) => testCase(node, lineBase)),
    });
  }
  const name = typeof object['@name'] === 'string' ? object['@name'] : parentName;
  for (const [key, value] of Object.entries(object)) {
    if (key !== 'testcase' && !key.startsWith('@')) suites.push(...collectSuites(value, name));
  }
  return suites;
}

function testCase(node: Node, lineBase: number): TestCase {
  const failure = asArray(node.failure)[0];
  const error = asArray(node.error)[0];
  const skipped = asArray(node.skipped)[0];
  const problem = failure ?? error;
  const status =
    failure !== undefined
      ? 'failed'
      : error !== undefined
        ? 'error'
        : skipped !== undefined
          ? 'skipped'
          : 'passed';
  const about = problem ?? skipped;
  const line = Number(node['@line']) + 1 - lineBase;
  return {
    name: String(node['@name'] ?? 'test'),
    classname: String(node['@classname'] ?? ''),
    status,
    durationMs: seconds(node['@time']),
    message: about === undefined ? null : messageOf(about),
    details: problem === undefined ? null : bodyOf(problem),
    file: typeof node['@file'] === 'string' && node['@file'] !== '' ? node['@file'] : null,
    line: Number.isInteger(line) && line > 0 ? line : null,
    ...reruns(node),
  };
}

/**
 * The tool's own retries of a case (Surefire's rerunFailingTestsCount, cargo-nextest's retries): a
 * `<flakyFailure>`/`<flakyError>` per failed run of a case that then passed, `<rerunFailure>`/`<rerunError>`
 * per failed rerun of one that kept failing.
 */
function reruns(node: Node): { reruns?: number } {
  const count = ['flakyFailure', 'flakyError', 'rerunFailure', 'rerunError'].reduce(
    (sum, name) => sum + asArray(node[name]).length,
    0,
  );
  return count === 0 ? {} : { reruns: count };
}

/** Messages that say only that the test failed (go-junit-report writes "Failed"): the details say more. */
const PLACEHOLDER_MESSAGES = new Set(['failed', 'failure', 'skipped']);

/** The first line of a Rust panic (cargo-nextest's failure text): the message is on the next line. */
const RUST_PANIC_HEADER = /^thread '.*' panicked at \S+:\d+:\d+:$/;

/**
 * A failure's (or skip's) message: its `message` attribute, unless it is missing (jest-junit, cargo-nextest) or a
 * placeholder (go-junit-report's "Failed"); then the first line of its text — without the `file_test.go:12: ` Go
 * puts first, and past a Rust panic's `thread '…' panicked at file:line:col:` line.
 */
function messageOf(about: unknown): string | null {
  const attribute = textOf(about, '@message');
  if (attribute !== null && !PLACEHOLDER_MESSAGES.has(attribute.trim().toLowerCase())) return attribute;
  const lines = (bodyOf(about) ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const line = RUST_PANIC_HEADER.test(lines[0] ?? '') && lines[1] !== undefined ? lines[1] : lines[0];
  if (line === undefined) return attribute;
  return line.replace(/^[\w.-]+\.go:\d+: /, '') || line;
}

/** An element's attribute, or null. */
function textOf(element: unknown, attribute: string): string | null {
  if (element === null || typeof element !== 'object') return null;
  const value = (element as Node)[attribute];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** An element's text content (the failure's stack trace), or null. */
function bodyOf(element: unknown): string | null {
  const text = typeof element === 'string' ? element : String((element as Node)['#text'] ?? '');
  return text.trim() === '' ? null : text;
}

function seconds(value: unknown): number | null {
  const number = Number(value);
  return value === undefined || !Number.isFinite(number) || number < 0 ? null : Math.round(number * 1000);
}

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
