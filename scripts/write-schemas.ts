// Regenerates schema/*.schema.json from the zod schemas (a test fails when they are out of date).
import { mkdirSync, writeFileSync } from 'node:fs';
import { jsonSchemaText, PUBLISHED_SCHEMAS, type PublishedSchemaName } from '../src/schema-export.js';

mkdirSync('schema', { recursive: true });
for (const name of Object.keys(PUBLISHED_SCHEMAS) as PublishedSchemaName[]) {
  writeFileSync(`schema/${name}.schema.json`, jsonSchemaText(name));
  console.log(`wrote schema/${name}.schema.json`);
}
