import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build.js';
import { retargetPlan } from '../../src/plan/retarget.js';
import { PlanSchema } from '../../src/plan/schema.js';
import { context, jobs } from '../support/jobs.js';

const YAML = `version: 1
images:
  debian: { arch: arm64, kernel: k, initrd: i, cpus: 2, memory: 2048, network: none }
defaults: { image: debian, executor: vfkit }
jobs:
  build: { run: make }
  test: { run: make test, needs: build }
  notes: { run: echo notes, executor: host }
`;
const NOW = '2026-12-03T12:00:00.000Z';

describe('running a plan made for one executor with another', () => {
  const plan = buildPlan(jobs(YAML), context({ defaultExecutor: 'vfkit' }));
  const of = (p: typeof plan, id: string) => p.nodes.find((node) => node.id === id)!;

  it('moves every VM job to another VM executor, images and jobs otherwise unchanged, as planning would have', () => {
    const { plan: moved, change } = retargetPlan(plan, 'qemu', NOW);
    expect(change).toBe('plan made for vfkit: 2 VM job(s) (build, test) run with qemu instead');
    expect(PlanSchema.parse(moved)).toEqual(moved);
    expect(moved.nodes.map((node) => [node.id, node.executor])).toEqual(
      plan.nodes.map((node) => [
        node.id,
        node.id.startsWith('job:') && node.id !== 'job:notes' ? 'qemu' : node.executor,
      ]),
    );
    expect(moved.scope.executor).toBe('qemu');
    expect(moved.planId).not.toBe(plan.planId);
    expect(moved.preconditions).toContainEqual(
      expect.objectContaining({ kind: 'executor', executor: 'qemu' }),
    );
    expect(moved.preconditions).not.toContainEqual(
      expect.objectContaining({ kind: 'executor', executor: 'vfkit' }),
    );
    // The same as planning with --executor qemu, apart from when it was made.
    const planned = buildPlan(jobs(YAML), context({ defaultExecutor: 'vfkit', executor: 'qemu' }));
    expect({ ...moved, createdAt: planned.createdAt }).toEqual(planned);
  });

  it('runs every job on the host with --executor host, dropping images no job boots any more', () => {
    const { plan: onHost, change } = retargetPlan(plan, 'host', NOW);
    expect(change).toBe(
      'plan made for vfkit: 2 VM job(s) (build, test) run on the host instead, without a VM',
    );
    expect(onHost.nodes.map((node) => node.id)).not.toContain('image:debian');
    expect(of(onHost, 'job:test')).toMatchObject({
      executor: 'host',
      type: 'host_command',
      image: null,
      cpus: null,
      memory: null,
      dependsOn: ['job:build'],
    });
    expect(of(onHost, 'job:build')).not.toHaveProperty('network');
    expect(PlanSchema.parse(onHost)).toEqual(onHost);
    const planned = buildPlan(jobs(YAML), context({ defaultExecutor: 'vfkit', executor: 'host' }));
    expect({ ...onHost, createdAt: planned.createdAt }).toEqual(planned);
  });

  it('changes nothing, and says so, when the plan already runs that way', () => {
    const same = retargetPlan(plan, 'vfkit', NOW);
    expect(same.change).toBeUndefined();
    expect(same.plan).toBe(plan);
  });

  it('names at most five of the jobs it moved, and every executor the plan was made for', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const yaml = (count: number) =>
      `version: 1\nimages:\n  debian: { arch: arm64, kernel: k, initrd: i }\ndefaults: { image: debian }\njobs:\n${names
        .slice(0, count)
        .map((name, index) => `  ${name}: { run: x, executor: ${index === 0 ? 'qemu' : 'vfkit'} }`)
        .join('\n')}\n`;
    const five = buildPlan(jobs(yaml(5)), context({ defaultExecutor: 'vfkit' }));
    expect(retargetPlan(five, 'host', NOW).change).toBe(
      'plan made for qemu and vfkit: 5 VM job(s) (a, b, c, d, e) run on the host instead, without a VM',
    );
    const six = buildPlan(jobs(yaml(6)), context({ defaultExecutor: 'vfkit' }));
    expect(retargetPlan(six, 'host', NOW).change).toBe(
      'plan made for qemu and vfkit: 6 VM job(s) (a, b, c, d, e, …) run on the host instead, without a VM',
    );
  });
});
