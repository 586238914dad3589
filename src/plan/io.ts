import { readFileSync } from 'node:fs';
import { zodIssuesToProblems } from '../config/zod-problems.js';
import { InputError, InternalError, sortProblems } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { planIdOf } from './build.js';
import { JsonLocator } from './json-locator.js';
import { PLAN_SCHEMA_VERSION, type Plan, PlanSchema } from './schema.js';

/** Largest plan.json vmplan will read (a plan of 10,000 jobs is a few MB). */
const MAX_PLAN_BYTES = 64 * 1024 * 1024;
/** Secret values shorter than this are not searched for (too likely to appear by chance). */
const MIN_SECRET_LENGTH = 4;

/**
 * Validates a plan and renders it as plan.json bytes: key order fixed by the schema, two-space indent,
 * trailing newline. Refuses a plan whose id does not match its content or that contains a secret value.
 */
export function serializePlan(plan: Plan, secretValues: readonly string[] = []): string {
  const result = PlanSchema.safeParse(plan);
  if (!result.success) {
    throw new InternalError(`the planner produced an invalid plan:\n${result.error.message}`);
  }
  if (planIdOf(result.data) !== result.data.planId) throw new InternalError('planId does not match the plan');
  const text = `${JSON.stringify(result.data, null, 2)}\n`;
  assertNoSecretValues(text, secretValues);
  return text;
}

/** Writes plan.json atomically after validating it (see serializePlan). */
export function writePlan(path: string, plan: Plan, secretValues: readonly string[] = []): string {
  const text = serializePlan(plan, secretValues);
  writeFileAtomic(path, text);
  return text;
}

/**
 * Throws when any secret value occurs in the text (e.g. a `${{ secrets.X }}` expanded by the workflow into an
 * inline jobs definition). The message names no value.
 */
export function assertNoSecretValues(text: string, secretValues: readonly string[]): void {
  for (const value of secretValues) {
    if (value.length < MIN_SECRET_LENGTH) continue;
    if (text.includes(value) || text.includes(JSON.stringify(value).slice(1, -1))) {
      throw new InputError(
        'the plan would contain the value of a secret (was a secret expanded into the jobs definition? ' +
          'pass secrets by name with `secrets:` instead); nothing was written',
      );
    }
  }
}

/**
 * Parses and validates plan.json text. Plans are JSON only (never YAML: a YAML parser on a large or hostile file is
 * slow and memory-hungry); positions are worked out only when there is a problem to locate.
 */
export function parsePlan(text: string, file: string): Plan {
  const locator = new JsonLocator(file, text);
  const start = /\S/.exec(text)?.[0];
  if (start !== '{') {
    const found = start === undefined ? 'an empty file' : `${JSON.stringify(start)} at the start`;
    throw new InputError([{ file, line: 1, message: `not a plan: expected a JSON object, found ${found}` }]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InputError([
      locator.syntaxError() ?? { file, message: `not a plan: invalid JSON (${(error as Error).message})` },
    ]);
  }
  // The text starts with "{", so what parsed is an object.
  const version = (data as Record<string, unknown>).schemaVersion;
  if (version !== PLAN_SCHEMA_VERSION) {
    const hint =
      typeof version !== 'number'
        ? ''
        : version > PLAN_SCHEMA_VERSION
          ? ': it was written by a newer vmplan, upgrade to read it'
          : version === 1
            ? ': it was written by an older vmplan, before plans recorded the trust they were made under; plan again'
            : '';
    throw new InputError([
      locator.locate({
        path: ['schemaVersion'],
        message: `not a plan this vmplan can read: schemaVersion ${JSON.stringify(version)}, expected ${PLAN_SCHEMA_VERSION}${hint}`,
      }),
    ]);
  }
  const result = PlanSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    const problems = zodIssuesToProblems(result.error.issues, PlanSchema, data).map((p) => locator.locate(p));
    throw new InputError(sortProblems(problems));
  }
  const expected = planIdOf(result.data);
  if (expected !== result.data.planId) {
    throw new InputError([
      locator.locate({
        path: ['planId'],
        message: `planId does not match the plan's content (expected ${expected}): the file was changed after it was written`,
      }),
    ]);
  }
  return result.data;
}

/** Reads and validates a plan.json file; `name` is how messages refer to it. */
export function readPlan(path: string, name = path): Plan {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputError([
      { file: name, message: `cannot read the plan: ${(error as NodeJS.ErrnoException).code ?? error}` },
    ]);
  }
  if (bytes.length > MAX_PLAN_BYTES) {
    throw new InputError([
      { file: name, message: `not a plan: ${bytes.length} bytes, more than the ${MAX_PLAN_BYTES} allowed` },
    ]);
  }
  return parsePlan(bytes.toString('utf8'), name);
}
