import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildPlan } from '../../src/plan/build.js';
import { serializePlan } from '../../src/plan/io.js';
import {
  jsonSchemaFor,
  jsonSchemaText,
  PUBLISHED_SCHEMAS,
  type PublishedSchemaName,
} from '../../src/schema-export.js';
import { VMPLAN_VERSION } from '../../src/version.js';
import { context, jobs } from '../support/jobs.js';

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

/** A published schema compiled once (ajv refuses a second schema with the same $id). */
function compiled(name: PublishedSchemaName) {
  const schema = jsonSchemaFor(name) as { $id?: string };
  return (schema.$id === undefined ? undefined : ajv.getSchema(schema.$id)) ?? ajv.compile(schema);
}

describe('published JSON Schemas', () => {
  for (const name of Object.keys(PUBLISHED_SCHEMAS) as PublishedSchemaName[]) {
    it(`schema/${name}.schema.json is in sync with the zod schema (run npm run schemas)`, () => {
      expect(readFileSync(`schema/${name}.schema.json`, 'utf8')).toBe(jsonSchemaText(name));
    });
  }

  it('accepts the example jobs file and rejects what vmplan rejects', () => {
    const validate = compiled('jobs');
    const example = parse(readFileSync('examples/jobs.yml', 'utf8'));
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...example, jobs: { unit: { run: 'x', timout: 3 } } })).toBe(false);
    expect(validate({ ...example, jobs: { Unit: { run: 'x' } } })).toBe(false);
    expect(validate({ ...example, images: { d: { arch: 'arm64', memory: '2G', nix: '.#g' } } })).toBe(false);
  });

  it('accepts the published guest images example: each image one oci: line, every job on one of them', () => {
    const validate = compiled('jobs');
    const text = readFileSync('examples/guest-images/vmplan.yml', 'utf8');
    const document = parse(text);
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(Object.values(document.images).map((image) => Object.keys(image as object)[1])).toEqual([
      'oci',
      'oci',
      'oci',
    ]);
    expect(Object.keys(jobs(text).jobs)).toEqual(['test', 'go', 'cargo', 'smoke']);
  });

  it('accepts the matrix example, which plans one job per combination left after exclude', () => {
    const validate = compiled('jobs');
    const text = readFileSync('examples/matrix.yml', 'utf8');
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    const plan = buildPlan(jobs(text), context());
    const variants = plan.nodes.flatMap((node) =>
      node.kind === 'execute' && node.matrix !== undefined ? [[node.job, node.matrix.name, node.image]] : [],
    );
    expect(variants).toEqual([
      ['unit-bookworm-amd64', 'unit (bookworm, amd64)', 'bookworm-amd64'],
      ['unit-bookworm-arm64', 'unit (bookworm, arm64)', 'bookworm-arm64'],
      ['unit-trixie-arm64', 'unit (trixie, arm64)', 'trixie-arm64'],
    ]);
    const report = plan.nodes.find((node) => node.id === 'job:report');
    expect(report?.kind === 'execute' ? report.needs : undefined).toEqual([
      'unit-bookworm-amd64',
      'unit-bookworm-arm64',
      'unit-trixie-arm64',
    ]);
    const validatePlan = compiled('plan');
    expect(validatePlan(JSON.parse(serializePlan(plan))), JSON.stringify(validatePlan.errors)).toBe(true);
  });

  it('accepts a plan vmplan wrote', () => {
    const validate = compiled('plan');
    const plan = buildPlan(jobs(readFileSync('examples/jobs.yml', 'utf8')), context());
    expect(validate(JSON.parse(serializePlan(plan))), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('version', () => {
  it('matches package.json', () => {
    expect(VMPLAN_VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
});

describe('documentation', () => {
  it('every jobs file shown in the README is valid', () => {
    const readme = readFileSync('README.md', 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks.filter((text) => /^version: 1$/m.test(text))) {
      expect(() => jobs(block)).not.toThrow();
    }
  });
});
