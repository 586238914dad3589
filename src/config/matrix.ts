import type { PathSegment, Problem } from '../errors.js';
import { canonicalJson, sha256 } from '../util/canonical-json.js';
import { didYouMean } from '../util/suggest.js';
import {
  AXIS_NAME_PATTERN,
  type ConcreteJob,
  JOB_ID_PATTERN,
  type JobDefinition,
  JobSchema,
  type JobsFile,
  MATRIX_KEYWORDS,
  MATRIX_REFERENCE,
  MAX_MATRIX_COMBINATIONS,
  type Matrix,
  type MatrixValue,
} from './schema.js';
import { zodIssuesToProblems } from './zod-problems.js';

/** One combination of a matrix: its values, and the keys that name it (axes, or all keys of an include-made one). */
export interface Combination {
  values: Record<string, MatrixValue>;
  named: string[];
}

/** One job to run: a job of the jobs file, or one combination of a matrix job, with its substitutions made. */
export interface Variant {
  /** The planned job id: the job's own id, or one derived from the combination (`test-22-arm64`). */
  id: string;
  /** The jobs file's job id. */
  job: string;
  /** What tables show: the job id, or `test (node 22, arm64)`. */
  name: string;
  /** The combination's values (absent for a job without a matrix). */
  values?: Record<string, MatrixValue>;
  /** `false` when the matrix says `fail-fast: false`. */
  failFast?: false;
  definition: ConcreteJob;
}

/** The fields a `${{ matrix.AXIS }}` may appear in. */
export const SUBSTITUTED_FIELDS = [
  'run',
  'env',
  'image',
  'description',
  'cpus',
  'memory',
  'paths',
  'artifacts',
  'reports',
] as const;

// Expanding a product far past the limit only to count it would be a denial of service of the planner.
const MAX_PRODUCT = 65_536;

/**
 * The combinations of a matrix, with GitHub's meaning: the product of the axes, minus every combination matching an
 * `exclude` entry, then each `include` entry added to every original combination whose axis values it does not
 * contradict (values an include added may be overwritten, original ones never), or made a new combination when
 * it matches none.
 */
export function matrixCombinations(matrix: Matrix, path: PathSegment[], problems: Problem[]): Combination[] {
  const axes = axesOf(matrix);
  const axisNames = Object.keys(axes);
  for (const name of axisNames) {
    if (!AXIS_NAME_PATTERN.test(name))
      problems.push({
        path: [...path, name],
        at: 'key',
        message: `invalid axis name ${JSON.stringify(name)}: expected letters, digits, "_" and "-", starting with a letter or "_"`,
      });
  }
  const product = axisNames.reduce((size, name) => size * axes[name]!.length, axisNames.length === 0 ? 0 : 1);
  if (product > MAX_PRODUCT) {
    problems.push({ path, message: tooMany(product) });
    return [];
  }
  let base: Record<string, MatrixValue>[] = axisNames.length === 0 ? [] : [{}];
  for (const name of axisNames)
    base = base.flatMap((partial) => axes[name]!.map((value) => ({ ...partial, [name]: value })));

  (matrix.exclude ?? []).forEach((entry, index) => {
    for (const key of Object.keys(entry)) {
      if (!axisNames.includes(key))
        problems.push({
          path: [...path, 'exclude', index, key],
          at: 'key',
          message: `exclude names "${key}", which is not an axis of the matrix${didYouMean(key, axisNames)}`,
        });
    }
  });
  const kept = base.filter(
    (values) =>
      !(matrix.exclude ?? []).some((entry) => Object.entries(entry).every(([k, v]) => values[k] === v)),
  );
  const combinations: Combination[] = kept.map((values) => ({ values, named: axisNames }));
  const originals = [...combinations];
  for (const entry of matrix.include ?? []) {
    const matching = originals.filter((combination) =>
      Object.entries(entry).every(
        ([key, value]) => !axisNames.includes(key) || combination.values[key] === value,
      ),
    );
    for (const combination of matching) Object.assign(combination.values, entry);
    if (matching.length === 0) combinations.push({ values: { ...entry }, named: Object.keys(entry) });
  }
  if (axisNames.length === 0 && combinations.length === 0)
    problems.push({
      path,
      message: 'the matrix has no axes: expected at least one axis (name: [values]) or include',
    });
  else if (combinations.length === 0)
    problems.push({ path, message: 'the matrix makes no combinations (every one is excluded)' });
  if (combinations.length > MAX_MATRIX_COMBINATIONS)
    problems.push({ path, message: tooMany(combinations.length) });
  return combinations;
}

function tooMany(count: number): string {
  return `the matrix makes ${count} combinations; at most ${MAX_MATRIX_COMBINATIONS} are allowed: split the job or exclude some`;
}

/** A matrix's axes (every key but include, exclude and fail-fast), in the order the file gives them. */
export function axesOf(matrix: Matrix): Record<string, MatrixValue[]> {
  return Object.fromEntries(
    Object.entries(matrix).filter(([key]) => !(MATRIX_KEYWORDS as readonly string[]).includes(key)),
  ) as Record<string, MatrixValue[]>;
}

/** A value in a name: a string as itself, a number or boolean after its axis (`node 22`, `debug true`). */
function shown(key: string, value: MatrixValue): string {
  return typeof value === 'string' ? value : `${key} ${String(value)}`;
}

/** The display name of a combination: `test (node 22, arm64)`. */
export function variantName(job: string, combination: Combination): string {
  return `${job} (${combination.named.map((key) => shown(key, combination.values[key]!)).join(', ')})`;
}

/** Lowercase a-z, 0-9, "_" and single dashes. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * Stable job ids for a job's combinations, from its id and the values that name each one (`test-node-22-arm64`):
 * the same values always give the same id. An id too long, or the same as a sibling's, ends in a hash of the values.
 */
export function variantIds(job: string, combinations: readonly Combination[]): string[] {
  const plain = combinations.map((combination) =>
    slug([job, ...combination.named.map((key) => slug(shown(key, combination.values[key]!)))].join('-')),
  );
  const count = new Map<string, number>();
  for (const id of plain) count.set(id, (count.get(id) ?? 0) + 1);
  return plain.map((id, index) => {
    if (id.length <= 63 && id !== job && JOB_ID_PATTERN.test(id) && count.get(id) === 1) return id;
    const hash = sha256(canonicalJson({ job, values: combinations[index]!.values })).slice(0, 8);
    return `${id.slice(0, 54).replace(/[-_]+$/, '')}-${hash}`;
  });
}

/** Replaces every `${{ matrix.AXIS }}` in a text; an unknown axis is a problem at `path`. */
export function substitute(
  text: string,
  values: Record<string, MatrixValue> | undefined,
  path: PathSegment[],
  problems: Problem[],
): string {
  return text.replace(MATRIX_REFERENCE, (whole, axis: string) => {
    const value = values?.[axis];
    if (value !== undefined) return String(value);
    problems.push({
      path,
      message:
        values === undefined
          ? `${whole}: this job has no matrix`
          : `${whole}: unknown matrix axis "${axis}"${didYouMean(axis, Object.keys(values))}`,
    });
    return whole;
  });
}

/** Every string below a value with a `${{ matrix.… }}` in it, with its path. */
function references(value: unknown, path: PathSegment[]): PathSegment[][] {
  if (typeof value === 'string') return new RegExp(MATRIX_REFERENCE.source).test(value) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => references(item, [...path, index]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) => references(item, [...path, key]));
  return [];
}

/** `${{ matrix.… }}` outside the fields that take it: in defaults, images, workspace, or another field of a job. */
export function misplacedReferences(config: JobsFile): Problem[] {
  const allowed = (SUBSTITUTED_FIELDS as readonly string[]).concat('matrix');
  const found = [
    ...(['defaults', 'images', 'workspace'] as const).flatMap((key) => references(config[key], [key])),
    ...Object.entries(config.jobs).flatMap(([id, job]) =>
      Object.entries(job).flatMap(([field, value]) =>
        allowed.includes(field) ? [] : references(value, ['jobs', id, field]),
      ),
    ),
  ];
  return found.map((path) => ({
    path,
    message: `\${{ matrix.… }} is not allowed here: only in a job's ${SUBSTITUTED_FIELDS.join(', ')}`,
  }));
}

/** A job's definition with one combination's values substituted (before its final check). */
function substituted(
  job: JobDefinition,
  values: Record<string, MatrixValue> | undefined,
  base: PathSegment[],
  problems: Problem[],
): Record<string, unknown> {
  const { matrix: _matrix, ...rest } = job;
  const text = (value: string, field: PathSegment[]) =>
    substitute(value, values, [...base, ...field], problems);
  const list = (items: string[] | undefined, field: string) =>
    items?.map((item, index) => text(item, [field, index]));
  const number = (value: number | string | undefined, field: string) => {
    if (typeof value !== 'string') return value;
    const result = text(value, [field]);
    return /^\s*-?\d+(\.\d+)?\s*$/.test(result) ? Number(result) : result;
  };
  return {
    ...rest,
    run: text(job.run, ['run']),
    ...(job.description === undefined ? {} : { description: text(job.description, ['description']) }),
    ...(job.image === undefined ? {} : { image: text(job.image, ['image']) }),
    ...(job.cpus === undefined ? {} : { cpus: number(job.cpus, 'cpus') }),
    ...(job.memory === undefined ? {} : { memory: number(job.memory, 'memory') }),
    ...(job.env === undefined
      ? {}
      : {
          env: Object.fromEntries(
            Object.entries(job.env).map(([name, value]) => [
              name,
              typeof value === 'string' ? text(value, ['env', name]) : value,
            ]),
          ),
        }),
    ...(job.paths === undefined ? {} : { paths: list(job.paths, 'paths') }),
    ...(job.artifacts === undefined ? {} : { artifacts: list(job.artifacts, 'artifacts') }),
    ...(job.reports === undefined
      ? {}
      : {
          reports: Object.fromEntries(
            Object.entries(job.reports).map(([format, globs]) => [
              format,
              globs?.map((glob, index) => text(glob, ['reports', format, index])),
            ]),
          ),
        }),
  };
}

/** Checks a substituted job again with the job schema, and that an image picked by a matrix value exists. */
function checkVariant(
  data: Record<string, unknown>,
  job: JobDefinition,
  config: JobsFile,
  base: PathSegment[],
  label: string,
  problems: Problem[],
): ConcreteJob | undefined {
  const image = data.image;
  // An image picked by a matrix value must be one of the file's (a plain name was checked with the references).
  if (typeof image === 'string' && image !== job.image && config.images?.[image] === undefined) {
    const names = Object.keys(config.images ?? {});
    problems.push({
      path: [...base, 'image'],
      message: `${label}unknown image "${image}"${names.length === 0 ? ' (no images are defined under "images")' : didYouMean(image, names)}`,
    });
  }
  const result = JobSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    for (const problem of zodIssuesToProblems(result.error.issues, JobSchema, data))
      problems.push({
        ...problem,
        path: [...base, ...(problem.path ?? [])],
        message: `${label}${problem.message}`,
      });
    return undefined;
  }
  return result.data as ConcreteJob;
}

/**
 * Every job of a jobs file as the jobs it runs: one variant per job without a matrix, one per combination of a
 * matrix. Pure and deterministic; the problems are located by path (job, field) for the caller's locator.
 */
export function expandJobs(config: JobsFile): { variants: Map<string, Variant[]>; problems: Problem[] } {
  const problems: Problem[] = misplacedReferences(config);
  const variants = new Map<string, Variant[]>();
  const owner = new Map<string, string>(Object.keys(config.jobs).map((id) => [id, id]));
  for (const id of Object.keys(config.jobs).sort()) {
    const job = config.jobs[id]!;
    const base: PathSegment[] = ['jobs', id];
    if (job.matrix === undefined) {
      // Without a matrix every substitution is a mistake; the job itself passed the schema (and its cpus and
      // memory, being no substitution, are numbers).
      substituted(job, undefined, base, problems);
      variants.set(id, [{ id, job: id, name: id, definition: job as ConcreteJob }]);
      continue;
    }
    const combinations = matrixCombinations(job.matrix, [...base, 'matrix'], problems);
    const ids = variantIds(id, combinations);
    const list: Variant[] = [];
    combinations.forEach((combination, index) => {
      const name = variantName(id, combination);
      const variantId = ids[index]!;
      const clash = owner.get(variantId);
      if (clash !== undefined) {
        problems.push({
          path: [...base, 'matrix'],
          message: `variant "${name}" would be the job "${variantId}", which is ${clash === id ? 'also this job' : `the job "${clash}"`}: rename a job`,
        });
        return;
      }
      owner.set(variantId, id);
      const data = substituted(job, combination.values, base, problems);
      const definition = checkVariant(data, job, config, base, `variant "${name}": `, problems);
      if (definition === undefined) return;
      list.push({
        id: variantId,
        job: id,
        name,
        values: combination.values,
        ...(job.matrix!['fail-fast'] === false ? { failFast: false as const } : {}),
        definition,
      });
    });
    variants.set(id, list);
  }
  return { variants, problems: dedupe(problems) };
}

/** One problem per path and message (an unknown axis in `run` is said once, not once per combination). */
function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = JSON.stringify([problem.path, problem.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
