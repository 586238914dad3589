import { XMLParser } from 'fast-xml-parser';
import type { Diagnostic, Relativize } from './diagnostics.js';

/** Largest JUnit file read, per file. */
export const MAX_JUNIT_BYTES = 16 * 1024 * 1024;

type Node = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  processEntities: true,
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error'].includes(name),
});

/**
 * Failed and errored test cases of a JUnit XML report as diagnostics: placed by the case's `file`/`line`
 * attributes, else by the first repository location in its failure text, else at the top of the case's file.
 */
export function parseJunit(job: string, xml: string, relativize: Relativize): Diagnostic[] {
  let document: Node;
  try {
    document = parser.parse(xml) as Node;
  } catch {
    return [];
  }
  const diagnostics: Diagnostic[] = [];
  for (const testcase of collectTestcases(document)) {
    const problems = [...asArray(testcase.failure), ...asArray(testcase.error)];
    if (problems.length === 0) continue;
    const problem = problems[0]!;
    const text = typeof problem === 'string' ? problem : String((problem as Node)['#text'] ?? '');
    const message = typeof problem === 'string' ? '' : String((problem as Node).message ?? '');
    const name = String(testcase.name ?? 'test');
    const className = String(testcase.classname ?? '');
    const location = locate(testcase, text, relativize);
    if (location === undefined) continue;
    diagnostics.push({
      job,
      path: location.path,
      line: location.line,
      column: undefined,
      severity: 'error',
      title: `test failed: ${className === '' ? name : `${className} › ${name}`}`.slice(0, 255),
      message: [message, text.trim()].filter((part) => part !== '').join('\n\n') || 'failed',
      tool: 'junit',
    });
  }
  return diagnostics;
}

function locate(
  testcase: Node,
  text: string,
  relativize: Relativize,
): { path: string; line: number } | undefined {
  const file = typeof testcase.file === 'string' ? relativize(testcase.file) : undefined;
  const line = Number(testcase.line);
  if (file !== undefined && Number.isInteger(line) && line > 0) return { path: file, line };
  for (const match of text.matchAll(/([\w./@-]+\.[A-Za-z]{1,5}):(\d+)/g)) {
    const path = relativize(match[1]!);
    if (path !== undefined) return { path, line: Number(match[2]) };
  }
  return file === undefined ? undefined : { path: file, line: 1 };
}

function collectTestcases(node: unknown): Node[] {
  if (node === null || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap(collectTestcases);
  const object = node as Node;
  const own = asArray(object.testcase).filter(
    (item): item is Node => item !== null && typeof item === 'object',
  );
  const nested = Object.entries(object)
    .filter(([key]) => key !== 'testcase')
    .flatMap(([, value]) => collectTestcases(value));
  return [...own, ...nested];
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
