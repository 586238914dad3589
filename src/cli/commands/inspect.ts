import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadJobsFile } from '../../config/load.js';
import { InputError } from '../../errors.js';
import { readPlan } from '../../plan/io.js';
import { renderPlan } from '../../plan/render.js';
import { jsonSchemaText, PUBLISHED_SCHEMAS, type PublishedSchemaName } from '../../schema-export.js';
import { parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import type { Flags } from '../spec.js';

/** The flags of `vmplan show`. */
export const SHOW_FLAGS = {
  json: { type: 'boolean', description: 'Print the plan as JSON instead of its stages.' },
} as const satisfies Flags;

/** `vmplan show PLAN [--json]`: renders a plan (e.g. one downloaded from a workflow run). */
export function showCommand(args: string[], io: CliIo): number {
  const { values, positionals } = parseCommandArgs('show', args, SHOW_FLAGS);
  if (positionals.length !== 1) throw new InputError('vmplan show: expected the path of a plan.json');
  const plan = readPlan(resolve(io.cwd, positionals[0]!), positionals[0]);
  io.stdout(values.json === true ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
  return EXIT.ok;
}

/** `vmplan validate FILE`: checks a jobs file or a plan.json (told apart by a top-level "planId"). */
export function validateCommand(args: string[], io: CliIo): number {
  const { positionals } = parseCommandArgs('validate', args, {});
  if (positionals.length !== 1)
    throw new InputError('vmplan validate: expected one file (a jobs file or a plan.json)');
  const path = resolve(io.cwd, positionals[0]!);
  if (looksLikePlan(path)) {
    const plan = readPlan(path, positionals[0]);
    io.stdout(`${positionals[0]}: valid plan ${plan.planId.slice(0, 12)} (${plan.nodes.length} node(s))\n`);
  } else {
    const { config } = loadJobsFile(path, positionals[0]);
    const jobs = Object.keys(config.jobs).length;
    const images = Object.keys(config.images ?? {}).length;
    io.stdout(`${positionals[0]}: valid jobs file (${jobs} job(s), ${images} image(s))\n`);
  }
  return EXIT.ok;
}

/** `vmplan schema jobs|plan`: prints a JSON Schema for editors and other tools. */
export function schemaCommand(args: string[], io: CliIo): number {
  const { positionals } = parseCommandArgs('schema', args, {});
  const name = positionals[0];
  if (positionals.length !== 1 || name === undefined || !(name in PUBLISHED_SCHEMAS)) {
    throw new InputError(`vmplan schema: expected one of ${Object.keys(PUBLISHED_SCHEMAS).join(', ')}`);
  }
  io.stdout(jsonSchemaText(name as PublishedSchemaName));
  return EXIT.ok;
}

function looksLikePlan(path: string): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return false; // let the jobs-file loader report the read error
  }
  try {
    const data = JSON.parse(text) as unknown;
    return data !== null && typeof data === 'object' && 'planId' in data;
  } catch {
    return false;
  }
}
