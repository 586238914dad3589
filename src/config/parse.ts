import { type Document, isScalar, LineCounter, parseDocument, type Scalar, visit } from 'yaml';
import { InputError, type Problem, sortProblems } from '../errors.js';
import { Locator } from './locate.js';
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
  const yamlProblems = [...syntaxProblems, ...duplicateKeys(document, lineCounter, file)];
  if (yamlProblems.length > 0) throw new InputError(sortProblems(yamlProblems));

  const data: unknown = document.toJS({ maxAliasCount: 1000 });
  if (data === null || data === undefined) {
    throw new InputError([
      { file, message: 'the file is empty: expected a mapping with "version" and "jobs"' },
    ]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError([
      locator.locate({ message: 'expected a mapping with "version" and "jobs" at the top level' }),
    ]);
  }

  const result = JobsFileSchema.safeParse(data, { reportInput: true });
  const problems = [
    ...(result.success ? [] : zodIssuesToProblems(result.error.issues, JobsFileSchema, data)),
    ...checkReferences(data),
  ];
  if (problems.length > 0 || !result.success)
    throw new InputError(sortProblems(problems.map((p) => locator.locate(p))));

  return { file, config: result.data, locator };
}

/**
 * Every repeated key in every mapping (a job id given twice would otherwise silently replace the first).
 * Done here in one linear walk: the yaml library's own check compares each key with every other.
 */
function duplicateKeys(document: Document, lineCounter: LineCounter, file: string): Problem[] {
  const problems: Problem[] = [];
  visit(document, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (seen.has(key)) {
          const { line, col } = lineCounter.linePos((pair.key as Scalar).range?.[0] ?? 0);
          problems.push({
            file,
            line,
            column: col,
            message: `invalid YAML: duplicate key ${JSON.stringify(key)}: each key (and each job id) may appear only once`,
          });
        }
        seen.add(key);
      }
    },
  });
  return problems;
}
