import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_JOBS_FILE } from '../../config/load.js';
import { InputError } from '../../errors.js';
import { readPlan } from '../../plan/io.js';
import { renderPlan } from '../../plan/render.js';
import type { Plan } from '../../plan/schema.js';
import { jsonSchemaText, PUBLISHED_SCHEMAS, type PublishedSchemaName } from '../../schema-export.js';
import { parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import { JSON_FLAG, printJson } from '../json.js';
import type { Flags } from '../spec.js';
import { LOCAL_TRUST, planFromArgs } from './plan.js';

/** The flags of `vmplan show`. */
export const SHOW_FLAGS = {
  json: {
    type: 'boolean',
    description: 'Print one JSON document (docs/cli-json.md) with the plan, instead of its stages.',
  },
} as const satisfies Flags;

/**
 * A plan.json as it is, or the plan a jobs file makes now (planned exactly as `vmplan plan` would, so every
 * check `plan` makes applies). Default: the repository's jobs file.
 */
async function planOf(
  io: CliIo,
  command: string,
  positionals: string[],
): Promise<{ plan: Plan; file: string; kind: string }> {
  if (positionals.length > 1)
    throw new InputError(
      `vmplan ${command}: expected one file (a jobs file or a plan.json), got ${positionals.length}`,
    );
  const file = positionals[0] ?? DEFAULT_JOBS_FILE;
  const path = resolve(io.cwd, file);
  if (looksLikePlan(path, file)) return { plan: readPlan(path, file), file, kind: 'plan' };
  return { plan: await planFromArgs(io, file, {}, LOCAL_TRUST), file, kind: 'jobs file' };
}

/** `vmplan show [FILE] [--json]`: renders a plan.json (e.g. downloaded from a workflow run) or a jobs file's plan. */
export async function showCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('show', args, SHOW_FLAGS);
  const { plan, file, kind } = await planOf(io, 'show', positionals);
  if (values.json === true) printJson(io, 'show', true, { file, kind, plan });
  else io.stdout(renderPlan(plan, { env: io.env }));
  return EXIT.ok;
}

/** The flags of `vmplan validate`. */
export const VALIDATE_FLAGS = JSON_FLAG;

/** `vmplan validate [FILE]`: checks a jobs file (everything `plan` checks) or a plan.json; runs nothing. */
export async function validateCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('validate', args, VALIDATE_FLAGS);
  const { plan, file, kind } = await planOf(io, 'validate', positionals);
  const jobs = plan.nodes.filter((node) => node.kind === 'execute').length + plan.excluded.length;
  const images = plan.nodes.filter((node) => node.kind === 'prepare').length;
  if (values.json === true) {
    printJson(io, 'validate', true, { file, kind, planId: plan.planId, jobs, images });
    return EXIT.ok;
  }
  io.stdout(
    kind === 'plan'
      ? `${file}: valid plan ${plan.planId.slice(0, 12)} (${plan.nodes.length} node(s))\n`
      : `${file}: valid jobs file (${jobs} job(s), ${images} image(s) in use)\n`,
  );
  return EXIT.ok;
}

/** `vmplan schema jobs|plan|results`: prints a JSON Schema for editors and other tools. */
export function schemaCommand(args: string[], io: CliIo): number {
  const { positionals } = parseCommandArgs('schema', args, {});
  const name = positionals[0];
  if (positionals.length !== 1 || name === undefined || !(name in PUBLISHED_SCHEMAS)) {
    throw new InputError(`vmplan schema: expected one of ${Object.keys(PUBLISHED_SCHEMAS).join(', ')}`);
  }
  io.stdout(jsonSchemaText(name as PublishedSchemaName));
  return EXIT.ok;
}

/**
 * Whether to read a file as a plan: a JSON object naming "planId", or it is named `.json` and is not a jobs file
 * written as JSON (no "jobs") — so a broken plan.json gets the plan reader's located error. A text search, not a
 * parse: the plan reader parses it once (a job id can never be "planId": ids are lowercase).
 */
function looksLikePlan(path: string, name: string): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false; // let the jobs-file loader report the read error
  }
  const json = /^\s*\{/.test(text);
  return (json && text.includes('"planId"')) || (name.endsWith('.json') && !text.includes('"jobs"'));
}
