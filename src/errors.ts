import { compareText } from './util/canonical-json.js';

/** One step of a path into a document: a mapping key or a list index. */
export type PathSegment = string | number;

/** One problem with user input, located as precisely as the input allows. */
export interface Problem {
  message: string;
  /** Where in the document, e.g. ['jobs', 'unit', 'needs', 1]. */
  path?: PathSegment[];
  /** Whether the problem is with a mapping key itself (e.g. an unknown key) or its value. */
  at?: 'key' | 'value';
  file?: string;
  line?: number;
  column?: number;
}

/** Bad input (a jobs file, a plan, a flag): nothing ran. The CLI exits 2 for it. */
export class InputError extends Error {
  /** Every problem found, in document order. */
  readonly problems: Problem[];

  constructor(problems: Problem[] | string) {
    const list = typeof problems === 'string' ? [{ message: problems }] : problems;
    super(list.map(formatProblem).join('\n'));
    this.name = 'InputError';
    this.problems = list;
  }
}

/**
 * vmplan could not do its own work on this machine (the state folder's disk is full, a record cannot be written):
 * neither the user's input nor their jobs. The CLI exits 3 for it.
 */
export class InfrastructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfrastructureError';
  }
}

/** True for the errors a full disk or quota gives. */
export function isOutOfSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * A bug in vmplan itself (an invariant broken, a record missing that must exist): never the user's input. The
 * message says so, so a user reports it instead of trying to fix their jobs file.
 */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error: ${message} (this is a bug in vmplan: please report it)`);
    this.name = 'InternalError';
  }
}

/** Renders a path as `jobs.unit.needs[1]` (keys that are not plain words are quoted). */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z0-9_$-]+$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** Renders a problem as `file:line:col path: message`. */
export function formatProblem(problem: Problem): string {
  let location = problem.file ?? '';
  if (problem.file !== undefined && problem.line !== undefined) {
    location += `:${problem.line}`;
    if (problem.column !== undefined) location += `:${problem.column}`;
  }
  const path = problem.path !== undefined && problem.path.length > 0 ? formatPath(problem.path) : '';
  const where = [location, path].filter((part) => part !== '').join(' ');
  return where === '' ? problem.message : `${where}: ${problem.message}`;
}

/** Orders problems by position in the file, then path, so reports read top to bottom. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      compareText(formatPath(a.path ?? []), formatPath(b.path ?? [])),
  );
}
