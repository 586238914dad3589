import { describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/engine/scheduler.js';
import { buildPlan } from '../../src/plan/build.js';
import { context, jobs } from '../support/jobs.js';

const plan = buildPlan(
  jobs(`version: 1
images:
  big: { arch: arm64, nix: .#big, cpus: 4, memory: 8192 }
  small: { arch: arm64, nix: .#small, cpus: 1, memory: 1024 }
defaults: { image: small }
jobs:
  build: { run: x }
  unit: { run: x, needs: build }
  e2e: { run: x, needs: unit, image: big }
  lint: { run: x }
  fmt: { run: x }
  heavy-a: { run: x, image: big }
  heavy-b: { run: x, image: big }
`),
  context(),
);
const ids = (nodes: { id: string }[]) => nodes.map((node) => node.id);

/** A scheduler of build, fmt and lint (1 CPU and 1024 MiB each) whose images are prepared: ready to start them. */
function threeSmallJobs(capacity: ConstructorParameters<typeof Scheduler>[1]): Scheduler {
  const scheduler = new Scheduler(
    plan.nodes.filter(
      (node) => node.kind === 'prepare' || ['job:build', 'job:fmt', 'job:lint'].includes(node.id),
    ),
    capacity,
  );
  scheduler.takeStartable();
  scheduler.complete('image:big', 'passed');
  scheduler.complete('image:small', 'passed');
  return scheduler;
}

describe('Scheduler', () => {
  it('starts prepare nodes first, then jobs whose dependencies passed, in plan order', () => {
    const scheduler = new Scheduler(plan.nodes, { slots: 10, cpus: 64, memoryMiB: 65536 });
    expect(ids(scheduler.takeStartable())).toEqual(['image:big', 'image:small']);
    expect(scheduler.takeStartable()).toEqual([]);
    scheduler.complete('image:small', 'passed');
    expect(ids(scheduler.takeStartable())).toEqual(['job:build', 'job:fmt', 'job:lint']);
    scheduler.complete('image:big', 'passed');
    expect(ids(scheduler.takeStartable())).toEqual(['job:heavy-a', 'job:heavy-b']);
    scheduler.complete('job:build', 'passed');
    expect(ids(scheduler.takeStartable())).toEqual(['job:unit']);
  });

  it('never oversubscribes CPUs or memory, and never deadlocks on a node bigger than the budget', () => {
    const scheduler = new Scheduler(plan.nodes, { slots: 10, cpus: 5, memoryMiB: 9000 });
    scheduler.takeStartable();
    scheduler.complete('image:big', 'passed');
    scheduler.complete('image:small', 'passed');
    const first = ids(scheduler.takeStartable());
    expect(first).toEqual(['job:build', 'job:fmt', 'job:lint']);
    expect(scheduler.running).toBe(3);
    scheduler.complete('job:build', 'passed');
    scheduler.complete('job:fmt', 'passed');
    scheduler.complete('job:lint', 'passed');
    // heavy-a (4 CPUs, 8192 MiB) runs alone: heavy-b needs 4 more CPUs, unit 1024 MiB more than is left.
    expect(ids(scheduler.takeStartable())).toEqual(['job:heavy-a']);
    scheduler.complete('job:heavy-a', 'passed');
    const tight = new Scheduler(plan.nodes, { slots: 10, cpus: 1, memoryMiB: 512 });
    expect(ids(tight.takeStartable())).toEqual(['image:big', 'image:small']); // prepare nodes take no guest resources
    tight.complete('image:big', 'passed');
    tight.complete('image:small', 'passed');
    expect(ids(tight.takeStartable())).toEqual(['job:build']); // too big for the budget, but alone it still runs
  });

  it('fills CPUs and memory exactly, and gives both back when a node ends', () => {
    // Small jobs take 1 CPU and 1024 MiB each: two fit exactly, a third waits for one to end.
    const scheduler = threeSmallJobs({ slots: 10, cpus: 2, memoryMiB: 2048 });
    expect(ids(scheduler.takeStartable())).toEqual(['job:build', 'job:fmt']);
    expect(scheduler.takeStartable()).toEqual([]);
    scheduler.complete('job:build', 'passed');
    expect(ids(scheduler.takeStartable())).toEqual(['job:lint']);
    // Each limit on its own holds: CPUs with memory to spare, and the slots with both to spare.
    const cpuBound = threeSmallJobs({ slots: 10, cpus: 2, memoryMiB: 65536 });
    expect(ids(cpuBound.takeStartable())).toEqual(['job:build', 'job:fmt']);
    expect(cpuBound.takeStartable()).toEqual([]);
    const slotBound = threeSmallJobs({ slots: 2, cpus: 64, memoryMiB: 65536 });
    expect(ids(slotBound.takeStartable())).toEqual(['job:build', 'job:fmt']);
    expect(slotBound.takeStartable()).toEqual([]);
    slotBound.complete('job:fmt', 'passed');
    expect(ids(slotBound.takeStartable())).toEqual(['job:lint']);
    const memoryBound = threeSmallJobs({ slots: 10, cpus: 64, memoryMiB: 2048 });
    expect(ids(memoryBound.takeStartable())).toEqual(['job:build', 'job:fmt']);
    memoryBound.complete('job:fmt', 'failed');
    expect(ids(memoryBound.takeStartable())).toEqual(['job:lint']);
    expect(memoryBound.done).toBe(false);
    memoryBound.complete('job:build', 'passed');
    memoryBound.complete('job:lint', 'passed');
    expect(memoryBound.done).toBe(true);
  });

  it('after a stop, skips every pending node once, with the reason, and starts nothing', () => {
    const scheduler = new Scheduler(plan.nodes, { slots: 10, cpus: 64, memoryMiB: 65536 });
    expect(scheduler.stop('cancelled').map((skip) => skip.message)).toContain('not started: cancelled');
    expect(scheduler.stop('fail-fast')).toEqual([]);
    expect(scheduler.takeStartable()).toEqual([]);
  });

  it('is done only once no node is pending or running', () => {
    const scheduler = new Scheduler(
      plan.nodes.filter((node) => ['image:small', 'job:fmt'].includes(node.id)),
      { slots: 4, cpus: 64, memoryMiB: 65536 },
    );
    const seen: [boolean, number][] = [[scheduler.done, scheduler.running]];
    scheduler.takeStartable();
    seen.push([scheduler.done, scheduler.running]);
    scheduler.complete('image:small', 'passed');
    seen.push([scheduler.done, scheduler.running]); // fmt pending
    scheduler.takeStartable();
    seen.push([scheduler.done, scheduler.running]);
    scheduler.complete('job:fmt', 'failed');
    seen.push([scheduler.done, scheduler.running]);
    expect(seen).toEqual([
      [false, 0],
      [false, 1],
      [false, 0],
      [false, 1],
      [true, 0],
    ]);
  });

  it('honours the slot limit', () => {
    const scheduler = new Scheduler(plan.nodes, { slots: 1, cpus: 64, memoryMiB: 65536 });
    expect(ids(scheduler.takeStartable())).toEqual(['image:big']);
    scheduler.complete('image:big', 'passed');
    expect(ids(scheduler.takeStartable())).toEqual(['image:small']);
  });

  it('skips dependents transitively with the reason, and skips users of a failed image', () => {
    const scheduler = new Scheduler(plan.nodes, { slots: 10, cpus: 64, memoryMiB: 65536 });
    scheduler.takeStartable();
    expect(scheduler.complete('image:big', 'failed')).toEqual([
      { nodeId: 'job:heavy-a', message: 'needs image "big", which failed' },
      { nodeId: 'job:heavy-b', message: 'needs image "big", which failed' },
      { nodeId: 'job:e2e', message: 'needs image "big", which failed' },
    ]);
    scheduler.complete('image:small', 'passed');
    scheduler.takeStartable();
    expect(scheduler.complete('job:build', 'timed_out')).toEqual([
      { nodeId: 'job:unit', message: 'needs "build", which timed out' },
    ]);
  });

  it('skips a chain of dependents transitively when its first job fails', () => {
    const scheduler = new Scheduler(plan.nodes, { slots: 10, cpus: 64, memoryMiB: 65536 });
    scheduler.takeStartable();
    scheduler.complete('image:small', 'passed');
    scheduler.complete('image:big', 'passed');
    expect(ids(scheduler.takeStartable())).toContain('job:build');
    // build → unit → e2e: both later links are skipped at once, each naming its own need.
    const skipped = scheduler.complete('job:build', 'failed');
    expect(skipped).toEqual([
      { nodeId: 'job:unit', message: 'needs "build", which failed' },
      { nodeId: 'job:e2e', message: expect.stringMatching(/^needs "unit", which (was )?skipped/) },
    ]);
    for (const other of ['job:lint', 'job:fmt', 'job:heavy-a', 'job:heavy-b'])
      scheduler.complete(other, 'passed');
    expect(scheduler.takeStartable()).toEqual([]);
    expect(scheduler.done).toBe(true);
  });

  it('starts nothing after stop and reports what will never run', () => {
    const scheduler = new Scheduler(plan.nodes, { slots: 10, cpus: 64, memoryMiB: 65536 });
    scheduler.takeStartable();
    const skipped = scheduler.stop('fail-fast after "x" failed');
    expect(skipped.map((decision) => decision.nodeId)).toEqual(
      ids(plan.nodes.filter((node) => node.kind === 'execute')),
    );
    expect(skipped[0]!.message).toBe('not started: fail-fast after "x" failed');
    scheduler.complete('image:big', 'passed');
    scheduler.complete('image:small', 'passed');
    expect(scheduler.takeStartable()).toEqual([]);
    expect(scheduler.done).toBe(true);
  });

  it('refuses to complete a node that is not running', () => {
    const scheduler = new Scheduler(plan.nodes, { slots: 10, cpus: 64, memoryMiB: 65536 });
    expect(() => scheduler.complete('job:build', 'passed')).toThrow(/was not running/);
  });
});
