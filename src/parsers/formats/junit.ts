import { XMLParser } from 'fast-xml-parser';
import type { TestCase, TestSuite } from '../model.js';
import type { ReportFormat } from './format.js';

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  // Attributes apart from elements: node --test writes both a `failure` attribute and a `<failure>` element.
  attributeNamePrefix: '@',
  textNodeName: '#text',
  processEntities: true,
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
});

/** JUnit XML, as Surefire, pytest, jest-junit, vitest, cargo-nextest, go-junit-report and node --test write it. */
export const junit: ReportFormat = {
  name: 'junit',
  description: 'JUnit XML files (globs) to read for annotations.',
  maxBytes: 16 * 1024 * 1024,
  parse(content) {
    let document: Node;
    try {
      document = parser.parse(content) as Node;
    } catch (error) {
      throw new Error(`not JUnit XML: ${(error as Error).message.split('\n')[0]}`);
    }
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
    suites.push({ name, durationMs: seconds(object['@time']), cases: own.map(testCase) });
  }
  const name = typeof object['@name'] === 'string' ? object['@name'] : parentName;
  for (const [key, value] of Object.entries(object)) {
    if (key !== 'testcase' && !key.startsWith('@')) suites.push(...collectSuites(value, name));
  }
  return suites;
}

function testCase(node: Node): TestCase {
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
  const line = Number(node['@line']);
  return {
    name: String(node['@name'] ?? 'test'),
    classname: String(node['@classname'] ?? ''),
    status,
    durationMs: seconds(node['@time']),
    message: about === undefined ? null : textOf(about, '@message'),
    details: problem === undefined ? null : bodyOf(problem),
    file: typeof node['@file'] === 'string' && node['@file'] !== '' ? node['@file'] : null,
    line: Number.isInteger(line) && line > 0 ? line : null,
  };
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
