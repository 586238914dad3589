import { z } from 'zod';
import type { PathSegment, Problem } from '../errors.js';
import { issueMessage } from '../util/describe.js';
import { didYouMean } from '../util/suggest.js';

type Issue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

/** Which keys pick which branch of a union of objects (used to explain image definitions). */
export interface UnionBranchKeys {
  /** For each union branch, in order: the keys whose presence selects that branch. */
  branches: string[][];
  /** How to name the choices in a message. */
  describe: string;
}

/**
 * Turns zod issues into human problems: one per unknown key, "missing required field" for absent ones,
 * the most plausible branch of a failed union instead of all of them, and "did you mean" for typos.
 */
export function zodIssuesToProblems(
  issues: readonly Issue[],
  rootSchema: Schema,
  rootInput: unknown,
): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) convertIssue(issue, [], rootSchema, rootInput, problems);
  return problems;
}

function convertIssue(
  issue: Issue,
  prefix: PathSegment[],
  rootSchema: Schema,
  rootInput: unknown,
  out: Problem[],
): void {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = objectKeysAt(rootSchema, path);
      for (const key of issue.keys) {
        out.push({
          path: [...path, key],
          at: 'key',
          message: `unknown key "${key}"${didYouMean(key, known)}`,
        });
      }
      return;
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      out.push({ path, at: 'key', message: inner?.message ?? issue.message });
      return;
    }
    case 'invalid_union': {
      const branch = chooseUnionBranch(issue, rootSchema, path, rootInput);
      if (branch === undefined) {
        out.push({ path, message: issue.message });
        return;
      }
      for (const inner of branch) convertIssue(inner, path, rootSchema, rootInput, out);
      return;
    }
    default:
      if (isMissing(rootInput, path)) {
        out.push({
          path: path.slice(0, -1),
          message: `missing required field "${String(path[path.length - 1])}"`,
        });
        return;
      }
      out.push({ path, message: issueMessage(issue) });
  }
}

/**
 * Picks the union branch the user most plausibly meant: for image definitions, the one selected by the
 * keys present; otherwise the branch with the fewest problems. `undefined` means no branch stands out
 * (e.g. the value has the wrong type for every branch), and the union's own message is used.
 */
function chooseUnionBranch(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  rootSchema: Schema,
  path: PathSegment[],
  rootInput: unknown,
): Issue[] | undefined {
  const branches = issue.errors;
  if (branches.length === 0) return undefined;
  const input = valueAt(rootInput, path);
  const keyed = unionBranchKeysAt(rootSchema, path);
  if (keyed !== undefined && isPlainObject(input)) {
    const present = keyed.branches.map((keys) => keys.some((key) => key in input));
    const chosen = present.flatMap((isPresent, index) => (isPresent ? [index] : []));
    if (chosen.length === 1) return branches[chosen[0]!];
    const found = keyed.branches.flatMap((keys) => keys.filter((key) => key in input).slice(0, 1));
    const what = chosen.length === 0 ? 'none of them' : `${found.map((key) => `"${key}"`).join(' and ')}`;
    return [
      {
        code: 'custom',
        path: [],
        message: `expected exactly one of ${keyed.describe}; found ${what}`,
        input,
      },
    ];
  }
  const allRootTypeErrors = branches.every((branch) =>
    branch.every((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
  );
  if (allRootTypeErrors) return undefined;
  // The value has the type of exactly one branch (a list for "a job id or a list of job ids"): its problems are
  // inside that branch, and saying "expected a job id or a list" of a list would point nowhere.
  const sameType = branches.filter(
    (branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
  );
  if (sameType.length === 1) return sameType[0];
  const fewest = Math.min(...branches.map((branch) => branch.length));
  const best = branches.filter((branch) => branch.length === fewest);
  return best.length === 1 ? best[0] : undefined;
}

/** True when the path names a key its parent object does not have. */
function isMissing(root: unknown, path: readonly PathSegment[]): boolean {
  if (path.length === 0) return false;
  const parent = valueAt(root, path.slice(0, -1));
  return isPlainObject(parent) && !(String(path[path.length - 1]) in parent);
}

/** Reads the value at a path in plain data. */
function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PathSegment, unknown>)[segment];
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The schema found by following a data path (through optional, records, arrays and unions). */
function schemasAt(schema: Schema, path: readonly PathSegment[]): Schema[] {
  let current: Schema[] = [schema];
  for (const segment of path) {
    current = current.flatMap((candidate) => childSchemas(candidate, segment));
  }
  return current.flatMap(unwrap);
}

/** The schemas a value is checked against once wrappers (optional, default, pipe, union…) are looked through. */
function unwrap(schema: Schema): Schema[] {
  if (
    schema instanceof z.ZodOptional ||
    schema instanceof z.ZodNullable ||
    schema instanceof z.ZodDefault ||
    schema instanceof z.ZodReadonly ||
    schema instanceof z.ZodNonOptional
  )
    return unwrap(schema.unwrap());
  if (schema instanceof z.ZodPipe) return unwrap(schema.in);
  if (schema instanceof z.ZodUnion) return schema.options.flatMap(unwrap);
  return [schema];
}

/** The schemas of a child value: an object's property, a record's values, an array's items. */
function childSchemas(schema: Schema, segment: PathSegment): Schema[] {
  return unwrap(schema).flatMap((candidate) => {
    if (candidate instanceof z.ZodObject) {
      const child = candidate.shape[String(segment)];
      return child === undefined ? [] : [child];
    }
    if (candidate instanceof z.ZodRecord) return [candidate.valueType];
    if (candidate instanceof z.ZodArray) return [candidate.element];
    return [];
  });
}

/** Keys any object schema at this path accepts (for "did you mean"). */
function objectKeysAt(rootSchema: Schema, path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  for (const schema of schemasAt(rootSchema, path)) {
    if (schema instanceof z.ZodObject) for (const key of Object.keys(schema.shape)) keys.add(key);
  }
  return [...keys];
}

/** Branch-selecting keys registered for the union at this path, if any. */
function unionBranchKeysAt(rootSchema: Schema, path: readonly PathSegment[]): UnionBranchKeys | undefined {
  let candidates: Schema[] = [rootSchema];
  for (const segment of path)
    candidates = candidates.flatMap((candidate) => childSchemas(candidate, segment));
  for (const candidate of candidates.flatMap(unwrapOptional)) {
    const keys = branchKeys.get(candidate);
    if (keys !== undefined) return keys;
  }
  return undefined;
}

function unwrapOptional(schema: Schema): Schema[] {
  return schema instanceof z.ZodOptional ? unwrapOptional(schema.unwrap()) : [schema];
}

/** Unions of objects whose branch is chosen by the keys present (e.g. image definitions). */
export const branchKeys = z.registry<UnionBranchKeys>();
