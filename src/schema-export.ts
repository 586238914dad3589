import { z } from 'zod';
import { JobsFileSchema } from './config/schema.js';
import { PlanSchema } from './plan/schema.js';
import { ResultsSchema } from './results/schema.js';

/** The JSON Schemas vmplan publishes, by name. */
export const PUBLISHED_SCHEMAS = { jobs: JobsFileSchema, plan: PlanSchema, results: ResultsSchema } as const;
/** A published schema's name. */
export type PublishedSchemaName = keyof typeof PUBLISHED_SCHEMAS;

/** JSON Schema (draft 2020-12) for a published format, generated from its zod schema. */
export function jsonSchemaFor(name: PublishedSchemaName): Record<string, unknown> {
  const schema = z.toJSONSchema(PUBLISHED_SCHEMAS[name], {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  });
  return { ...schema, $id: `https://vmplan.dev/schema/${name}.schema.json`, title: `vmplan ${name}` };
}

/** The text of `schema/<name>.schema.json` as committed. */
export function jsonSchemaText(name: PublishedSchemaName): string {
  return `${JSON.stringify(jsonSchemaFor(name), null, 2)}\n`;
}
