import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseJobsFile } from '../../src/config/parse.js';
import { buildPlan } from '../../src/plan/build.js';
import { serializePlan } from '../../src/plan/io.js';
import { parseShard, shardPlan } from '../../src/plan/shard.js';
import { context, jobs } from '../support/jobs.js';

/** A random but valid jobs file as plain data: jobs may need any earlier job, so there are no cycles. */
const jobsFileArbitrary = fc
  .record({
    jobCount: fc.integer({ min: 1, max: 12 }),
    seed: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 60, maxLength: 60 }),
  })
  .map(({ jobCount, seed }) => {
    const pick = (i: number) => seed[i % seed.length]!;
    const images: Record<string, unknown> = {
      debian: { arch: 'arm64', cpus: 2, build: { run: './build.sh', inputs: ['guest/**'] } },
      alpine: { arch: 'arm64', kernel: 'k/Image', initrd: 'k/initrd', memory: 1024 },
    };
    const jobs: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < jobCount; i++) {
      const needs = Array.from({ length: i }, (_, j) => `job-${j}`).filter(
        (_, j) => (pick(i * 7 + j) & 3) === 0,
      );
      const job: Record<string, unknown> = { run: `echo ${i}`, env: { A: String(i), B: 'x', C: i } };
      if (needs.length > 0) job.needs = needs;
      if (pick(i) % 3 === 0) job.image = 'alpine';
      if (pick(i + 1) % 4 === 0) job.executor = 'host';
      if (pick(i + 2) % 2 === 0) job.secrets = ['TOKEN_A', 'TOKEN_B'];
      if (pick(i + 3) % 5 === 0) job.paths = ['src/**'];
      jobs[`job-${i}`] = job;
    }
    return { version: 1, images, defaults: { image: 'debian', env: { Z: '1', Y: '2' } }, jobs };
  });

/** Reorders every mapping's keys (and the order of list entries that are sets) with a seeded shuffle. */
function shuffleKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, random));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(() => random() - 0.5);
    return Object.fromEntries(
      entries.map(([key, child]) => [key, shuffleSets(key, shuffleKeys(child, random), random)]),
    );
  }
  return value;
}

function shuffleSets(key: string, value: unknown, random: () => number): unknown {
  return (key === 'needs' || key === 'secrets') && Array.isArray(value)
    ? [...value].sort(() => random() - 0.5)
    : value;
}

function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

function planBytes(data: unknown, changedFiles?: string[]): { id: string; bytes: string } {
  const { config } = parseJobsFile(stringify(data), 'vmplan.yml');
  const changes =
    changedFiles === undefined
      ? { known: false as const, reason: 'test' }
      : { known: true as const, source: 'test', files: changedFiles };
  const plan = buildPlan(config, context({ changes }));
  return { id: plan.planId, bytes: serializePlan(plan) };
}

describe('plan determinism', () => {
  it('gives the same planId and bytes whatever the order of jobs, keys and set-like lists', () => {
    fc.assert(
      fc.property(jobsFileArbitrary, fc.integer(), fc.boolean(), (data, seed, srcChanged) => {
        const files = srcChanged ? ['src/a.ts', 'README.md'] : ['README.md', 'docs/x.md'];
        const reference = planBytes(data, files);
        const shuffled = planBytes(shuffleKeys(data, seededRandom(seed)), [...files].reverse());
        expect(shuffled.id).toBe(reference.id);
        expect(shuffled.bytes).toBe(reference.bytes);
      }),
      { numRuns: 150 },
    );
  });

  it('changes the planId with everything that changes what runs: selection, changes, executor, shard, workspace', () => {
    const config = jobs(
      "version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: x }\n  b: { run: y, paths: ['src/**'] }\n",
    );
    const base = buildPlan(config, context());
    const variants = {
      selection: buildPlan(config, context({ only: ['a'] })),
      changes: buildPlan(config, context({ changes: { known: true, source: 'test', files: ['README.md'] } })),
      executor: buildPlan(config, context({ executor: 'qemu' })),
      shard: shardPlan(base, parseShard('1/2'), base.createdAt),
      workspace: buildPlan({ ...config, workspace: { 'include-ignored': ['dist/'] } }, context()),
      source: buildPlan(config, context({ source: { ...context().source, commit: 'c'.repeat(40) } })),
    };
    for (const [what, plan] of Object.entries(variants)) expect(plan.planId, what).not.toBe(base.planId);
    // ...and not with the timestamp.
    expect(buildPlan(config, context({ createdAt: '2030-01-01T00:00:00.000Z' })).planId).toBe(base.planId);
  });

  it('changes the planId when a planned job changes', () => {
    fc.assert(
      fc.property(jobsFileArbitrary, (data) => {
        const changed = structuredClone(data);
        changed.jobs['job-0']!.run = 'echo changed';
        expect(planBytes(changed).id).not.toBe(planBytes(data).id);
      }),
      { numRuns: 50 },
    );
  });
});
