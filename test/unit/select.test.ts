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

  it('records the selection sorted and once, so the same jobs in any order make the same plan', () => {
    const at = '2026-11-29T12:00:00.000Z';
    const one = selectFromPlan(plan, ['unit', 'docs'], 'not selected', at);
    const other = selectFromPlan(plan, ['docs', 'unit', 'docs'], 'not selected', at);
    expect(one.scope.only).toEqual(['docs', 'unit']);
    expect(serializePlan(other)).toBe(serializePlan(one));
  });

  it('with outputs an earlier run kept: the job is not run again, the jobs that need it get them from that run', () => {
    const withOutputs = buildPlan(
      jobs(`version: 1
defaults: { executor: host }
jobs:
  build: { run: x, outputs: [dist/] }
  lint: { run: x }
  unit: { run: x, needs: [build, lint] }
  e2e: { run: x, needs: build }
`),
      context(),
    );
    const earlier = '20261204T100000Z-0000abcd';
    const selected = selectFromPlan(
      withOutputs,
      ['unit'],
      'passed in run X',
      '2026-11-29T12:00:00.000Z',
      new Map([
        ['build', earlier],
        ['lint', earlier],
      ]),
    );
    // lint has no outputs: it runs again, whatever the map says; build's outputs come from the earlier run.
    expect(selected.nodes.map((node) => [node.id, node.dependsOn])).toEqual([
      ['job:lint', []],
      ['job:unit', ['job:lint']],
    ]);
    expect(selected.nodes[1]).toMatchObject({
      needs: ['build', 'lint'],
      receives: [{ from: 'build', paths: ['dist/'], run: earlier }],
    });
    expect(PlanSchema.safeParse(selected).success).toBe(true);
    expect(() => serializePlan(selected)).not.toThrow();
    // A job selected itself runs again, even when the map names it.
    const again = selectFromPlan(
      withOutputs,
      ['build', 'e2e'],
      'x',
      '2026-11-29T12:00:00.000Z',
      new Map([['build', earlier]]),
    );
    expect(again.nodes.map((node) => [node.id, node.dependsOn])).toEqual([
      ['job:build', []],
      ['job:e2e', ['job:build']],
    ]);
    expect(again.nodes[1]).toMatchObject({ receives: [{ from: 'build', paths: ['dist/'] }] });
  });

  it('lists the jobs it leaves out with those the plan already excluded, by name, as planning with --only would', () => {
    const filtered = buildPlan(
      jobs(`version: 1
defaults: { executor: host }
jobs:
  alpha: { run: x }
  mid: { run: x, paths: [docs/**] }
  omega: { run: x }
  beta: { run: x }
  zeta: { run: x, paths: [docs/**] }
`),
      context({ changes: { known: true, source: 'test', files: ['src/a.c'] } }),
    );
    expect(filtered.excluded.map((entry) => entry.job)).toEqual(['mid', 'zeta']);
    const selected = selectFromPlan(filtered, ['beta'], 'passed in run X', filtered.createdAt);
    expect(selected.excluded.map((entry) => [entry.job, entry.reason])).toEqual([
      ['alpha', 'not-selected'],
      ['mid', 'paths'],
      ['omega', 'not-selected'],
      ['zeta', 'paths'],
    ]);
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
