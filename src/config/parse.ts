import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Scalar,
  visit,
} from 'yaml';
import { InputError, type PathSegment, type Problem, sortProblems } from '../errors.js';
import { Locator } from './locate.js';
import { expandJobs } from './matrix.js';
import { checkReferences } from './references.js';
import { type JobsFile, JobsFileSchema } from './schema.js';
import { zodIssuesToProblems } from './zod-problems.js';

/** A jobs file that passed every check, with a way to locate later problems in its text. */
export interface ParsedJobsFile {
  /** The name used in messages (the path as the user gave it, or e.g. `input "jobs"`). */
  file: string;
  config: JobsFile;
  locator: Locator;
}

/**
 * Parses and validates a jobs file (YAML or JSON). Collects every problem in one pass — syntax,
 * schema, references, cycles — and throws one InputError listing them with file:line:column.
 */
export function parseJobsFile(text: string, file: string): ParsedJobsFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: false });
  const locator = new Locator(file, document, lineCounter);

  const syntaxProblems = document.errors.map((error): Problem => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return { file, line, column: col, message: `invalid YAML: ${error.message.split('\n')[0]}` };
  });
  if (syntaxProblems.length > 0) throw new InputError(sortProblems(syntaxProblems));
  // A repeated key is an error, but the rest of the file can still be checked (the last value stands in).
  const duplicates = duplicateKeys(document, lineCounter, file);

  const data = resolveAliases(document, lineCounter, file);
  if (data === null || data === undefined) {
    throw new InputError([
      ...duplicates,
      { file, message: 'the file is empty: expected a mapping with "version" and "jobs"' },
    ]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError([
      ...duplicates,
      locator.locate({ message: 'expected a mapping with "version" and "jobs" at the top level' }),
    ]);
  }

  const result = JobsFileSchema.safeParse(data, { reportInput: true });
  const problems = [
    ...(result.success ? [] : zodIssuesToProblems(result.error.issues, JobsFileSchema, data)),
    ...checkReferences(data),
    // Matrices and their substitutions can only be checked on a schema-valid file.
    ...(result.success ? expandJobs(result.data).problems : []),
  ];
  if (problems.length > 0 || duplicates.length > 0 || !result.success)
    throw new InputError(sortProblems([...duplicates, ...problems.map((p) => locator.locate(p))]));

  return { file, config: result.data, locator };
}

/**
 * Every repeated key in every mapping (a job id given twice would otherwise silently replace the first), with
 * its document path. Done here in one linear walk: the yaml library's own check compares each key with every other.
 */
function duplicateKeys(document: Document, lineCounter: LineCounter, file: string): Problem[] {
  const problems: Problem[] = [];
  const walk = (node: unknown, path: PathSegment[]): void => {
    if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) walk(item, [...path, index]);
      return;
    }
    if (!isMap(node)) return;
    const seen = new Set<string>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) continue;
      if (seen.has(key)) {
        const { line, col } = lineCounter.linePos((pair.key as Scalar).range?.[0] ?? 0);
        problems.push({
          file,
          line,
          column: col,
          path: [...path, key],
          message: `duplicate key ${JSON.stringify(key)}: each key (and each job id) may appear only once`,
        });
      }
      seen.add(key);
      walk(pair.value, [...path, key]);
    }
  };
  walk(document.contents, []);
  return problems;
}

/** Most alias uses a jobs file may have: far more than any real one, far less than a "billion laughs" needs. */
const MAX_ALIAS_USES = 1000;

/**
 * The document as plain data. Alias expansion is bounded: a file that would expand past the bound (an alias
 * bomb, or simply thousands of alias uses) is refused with the place of its first alias, not a crash.
 */
function resolveAliases(document: Document, lineCounter: LineCounter, file: string): unknown {
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_USES });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    let first: { line: number; col: number } | undefined;
    visit(document, {
      Alias(_, node) {
        if (node.range !== undefined && node.range !== null) first = lineCounter.linePos(node.range[0]);
        return visit.BREAK;
      },
    });
    throw new InputError([
      {
        file,
        line: first?.line,
        column: first?.col,
        message: `too many YAML alias uses (the file expands past ${MAX_ALIAS_USES}): write the values out, or use fewer aliases`,
      },
    ]);
  }
}
