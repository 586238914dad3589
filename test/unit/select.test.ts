import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { serializePlan } from '../../src/plan/io.js';
import { PlanSchema } from '../../src/plan/schema.js';
import { selectFromPlan } from '../../src/plan/select.js';
import { context, jobs } from '../support/jobs.js';

const plan = buildPlan(
  jobs(`version: 1
images:
  a: { arch: arm64, nix: .#a }
  b: { arch: arm64, nix: .#b }
defaults: { image: a }
jobs:
  build: { run: x }
  unit: { run: x, needs: build, secrets: [TOKEN] }
  docs: { run: x, image: b }
`),
  context(),
);

describe('selectFromPlan', () => {
  it('keeps the selected jobs, what they need and their images; excludes the rest with the reason', () => {
    const selected = selectFromPlan(plan, ['unit'], 'passed in run X', '2026-11-29T12:00:00.000Z');
    expect(selected.nodes.map((node) => node.id)).toEqual(['image:a', 'job:build', 'job:unit']);
    expect(selected.excluded).toEqual([{ job: 'docs', reason: 'not-selected', message: 'passed in run X' }]);
    expect(selected.scope.only).toEqual(['unit']);
    expect(selected.preconditions.map((p) => p.kind)).toEqual(['executor', 'host-arch', 'secret']);
    expect(PlanSchema.safeParse(selected).success).toBe(true);
    expect(() => serializePlan(selected)).not.toThrow();
    expect(selected.planId).not.toBe(plan.planId);
  });

  it('drops users that are no longer in the plan from shared images', () => {
    const selected = selectFromPlan(plan, ['build'], 'x', plan.createdAt);
    const image = selected.nodes.find((node) => node.id === 'image:a');
    expect(image?.kind === 'prepare' && image.usedBy).toEqual(['job:build']);
  });

  it('rejects jobs that are not in the plan', () => {
    expect(() => selectFromPlan(plan, ['unti'], 'x', plan.createdAt)).toThrow(
      'unknown job "unti" in the plan (did you mean "unit"?)',
    );
  });
});
