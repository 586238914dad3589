import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { buildPlan, planIdOf } from '../../src/plan/build.js';
import { serializePlan } from '../../src/plan/io.js';
import { PlanSchema } from '../../src/plan/schema.js';
import { selectFromPlan } from '../../src/plan/select.js';
import { assignShards, jobGroups, parseShard, shardPlan } from '../../src/plan/shard.js';
import { mergeResults } from '../../src/results/merge.js';
import type { Results } from '../../src/results/schema.js';
import { context, jobs } from '../support/jobs.js';

const jobsOfPlan = jobs(`version: 1
images:
  a: { arch: arm64, nix: .#a }
  b: { arch: arm64, nix: .#b }
defaults: { image: a, executor: qemu }
jobs:
  build: { run: x }
  unit: { run: x, needs: build }
  e2e: { run: x, needs: unit, image: b }
  lint: { run: x }
  docs: { run: x, image: b }
  fmt: { run: x }
`);
const plan = buildPlan(jobsOfPlan, context());

describe('parseShard', () => {
  it('reads i/n and refuses the rest', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShard(' 12 / 20 ')).toEqual({ index: 12, count: 20 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShard('3/3')).toEqual({ index: 3, count: 3 });
    expect(parseShard('256/256')).toEqual({ index: 256, count: 256 });
    for (const bad of [
      '0/3',
      '4/3',
      '3',
      'a/b',
      '1/0',
      '1/257',
      'x2/3',
      '2/3x',
      '2/ 3x',
      '-1/3',
      '2/3/4',
      '',
    ])
      expect(() => parseShard(bad), bad).toThrow(InputError);
    expect(() => parseShard('4/3')).toThrow(
      'shard: expected "i/n" with 1 ≤ i ≤ n ≤ 256 (e.g. 2/3), found "4/3"',
    );
  });
});

describe('sharding', () => {
  it('keeps every job with what it needs', () => {
    expect(jobGroups(plan)).toEqual([['build', 'e2e', 'unit'], ['docs'], ['fmt'], ['lint']]);
  });

  it('spreads groups evenly without durations, deterministically', () => {
    expect(assignShards(plan, 2)).toEqual([
      ['build', 'e2e', 'unit'],
      ['docs', 'fmt', 'lint'],
    ]);
    expect(assignShards(plan, 2)).toEqual(assignShards(plan, 2));
  });

  it('balances by recorded durations, longest first', () => {
    const durations = { build: 1000, unit: 1000, e2e: 1000, lint: 2500, docs: 100, fmt: 100 };
    expect(assignShards(plan, 2, durations)).toEqual([
      ['build', 'e2e', 'unit'],
      ['docs', 'fmt', 'lint'],
    ]);
    expect(assignShards(plan, 3, durations)).toEqual([['build', 'e2e', 'unit'], ['lint'], ['docs', 'fmt']]);
  });

  it('weighs a job without a usable record as the median of the usable ones (negative, NaN and infinite are none)', () => {
    // Usable records 100, 200, 900: the median is 200, and lint, docs (-5000) and fmt (NaN) weigh 200 each.
    const durations = {
      build: 100,
      unit: 200,
      e2e: 900,
      docs: -5_000,
      fmt: Number.NaN,
      gone: Number.POSITIVE_INFINITY,
    };
    expect(assignShards(plan, 2, durations)).toEqual([
      ['build', 'e2e', 'unit'],
      ['docs', 'fmt', 'lint'],
    ]);
    expect(assignShards(plan, 3, durations)).toEqual([['build', 'e2e', 'unit'], ['docs', 'lint'], ['fmt']]);
    // An even number of records takes the upper middle one (30, not 20): docs and fmt weigh 30, so after
    // build+unit+e2e (60) and lint (35), docs joins lint (65) and fmt the first shard (60 < 65).
    expect(assignShards(plan, 2, { build: 10, unit: 20, e2e: 30, lint: 35 })).toEqual([
      ['build', 'e2e', 'fmt', 'unit'],
      ['docs', 'lint'],
    ]);
  });

  it('records durations in the plan, so every shard of it computes the same split from the plan alone', () => {
    const durations = { build: 1000, unit: 1000, e2e: 1000, lint: 2500, docs: 100, fmt: 100, gone: 5 };
    const recorded = buildPlan(jobsOfPlan, context({ durations }));
    expect(recorded.scope.durations).toEqual({
      build: 1000,
      unit: 1000,
      e2e: 1000,
      lint: 2500,
      docs: 100,
      fmt: 100,
    });
    expect(recorded.planId).not.toBe(plan.planId);
    const jobsOf = (shard: ReturnType<typeof shardPlan>) =>
      shard.nodes.flatMap((node) => (node.kind === 'execute' ? [node.job] : []));
    expect([1, 2, 3].map((index) => jobsOf(shardPlan(recorded, { index, count: 3 })))).toEqual([
      ['build', 'unit', 'e2e'],
      ['lint'],
      ['docs', 'fmt'],
    ]);
  });

  it('records only usable durations, in whole ms: a damaged record (negative, NaN, infinite) never makes an invalid plan', () => {
    const durations = {
      build: 0,
      unit: 1234.5,
      e2e: -1,
      lint: Number.NaN,
      docs: Number.POSITIVE_INFINITY,
      fmt: 99.4,
    };
    const recorded = buildPlan(jobsOfPlan, context({ durations }));
    expect(recorded.scope.durations).toEqual({ build: 0, unit: 1235, fmt: 99 });
    expect(() => serializePlan(recorded)).not.toThrow();
  });

  it('gives each shard a plan of its own: its jobs, what they need, only the images it uses', () => {
    const shards = [1, 2, 3].map((index) => shardPlan(plan, { index, count: 3 }));
    const jobsOf = (shard: (typeof shards)[number]) =>
      shard.nodes.flatMap((node) => (node.kind === 'execute' ? [node.job] : []));
    expect(shards.map(jobsOf)).toEqual([['build', 'unit', 'e2e'], ['docs', 'lint'], ['fmt']]);
    expect(shards[2]!.nodes.map((node) => node.id)).toEqual(['image:a', 'job:fmt']);
    expect(shards[2]!.excluded.find((entry) => entry.job === 'unit')?.message).toBe('runs in shard 1/3');
    shards.forEach((shard, i) => {
      // The scope is the whole plan's (its selection, not the shard's jobs), plus which shard this is.
      expect(shard.scope).toEqual({ ...plan.scope, shard: { index: i + 1, count: 3 } });
      expect(shard.planId).toBe(planIdOf(shard));
      expect(PlanSchema.safeParse(shard).success).toBe(true);
    });
    const selected = selectFromPlan(plan, ['unit', 'lint'], 'not selected', plan.createdAt);
    expect(shardPlan(selected, { index: 2, count: 2 }).scope.only).toEqual(['lint', 'unit']);
    expect(() => shardPlan(shards[0]!, { index: 1, count: 2 })).toThrow(/already shard 1\/3/);
  });

  it('leaves extra shards empty when there are fewer groups than shards', () => {
    const shard = shardPlan(plan, { index: 6, count: 6 });
    expect(shard.nodes).toEqual([]);
  });

  it('always covers every job exactly once, for any number of shards and durations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.dictionary(fc.constantFrom('build', 'unit', 'e2e', 'lint', 'docs', 'fmt'), fc.nat(10_000)),
        (count, durations) => {
          const assigned = assignShards(plan, count, durations);
          expect(assigned.flat().sort()).toEqual(['build', 'docs', 'e2e', 'fmt', 'lint', 'unit']);
          const withE2e = assigned.find((jobs) => jobs.includes('e2e'))!;
          expect(withE2e).toEqual(expect.arrayContaining(['build', 'unit']));
        },
      ),
    );
  });
});

describe('mergeResults', () => {
  type JobStatus = 'passed' | 'failed' | 'cancelled' | 'skipped';
  const result = (status: JobStatus) => ({
    status,
    description: 'd',
    executor: 'qemu' as const,
    durationMs: 10,
    exitCode: status === 'passed' ? 0 : status === 'failed' ? 1 : null,
    message: null,
    logTail: '',
    logTruncated: false,
    annotations: [],
    tests: null,
    attempts: [],
    flaky: false,
    earlier: null,
    startedAt: null,
    phases: [],
  });
  const shardResults = (
    index: number,
    jobsOf: Record<string, JobStatus>,
    planId = plan.planId,
    startedAt = '2026-11-29T10:00:00Z',
  ): Results => ({
    schemaVersion: 1,
    planId,
    shard: { index, count: 2 },
    runId: `20261129T100000Z-0000000${index}`,
    status: Object.values(jobsOf).every((s) => s === 'passed')
      ? 'passed'
      : Object.values(jobsOf).includes('cancelled')
        ? 'cancelled'
        : 'failed',
    startedAt,
    finishedAt: '2026-11-29T10:01:00Z',
    jobs: Object.fromEntries(Object.entries(jobsOf).map(([job, status]) => [job, result(status)])),
  });

  it('merges the shards of a plan in plan order', () => {
    const merged = mergeResults(plan, [
      shardResults(2, { docs: 'passed', fmt: 'passed', lint: 'passed' }),
      shardResults(1, { build: 'passed', unit: 'passed', e2e: 'failed' }),
    ]);
    expect(merged.status).toBe('failed');
    expect(merged.jobs.map((job) => [job.job, job.status])).toEqual([
      ['build', 'passed'],
      ['docs', 'passed'],
      ['fmt', 'passed'],
      ['lint', 'passed'],
      ['unit', 'passed'],
      ['e2e', 'failed'],
    ]);
    expect(merged.problems).toEqual([]);
  });

  it('counts the jobs of a missing shard as not run, notes conflicts and results of other plans', () => {
    const merged = mergeResults(plan, [
      shardResults(1, { build: 'passed', unit: 'passed', e2e: 'passed' }),
      shardResults(2, { build: 'failed' }, plan.planId, '2026-11-29T10:00:00Z'),
      shardResults(2, { docs: 'passed' }, 'f'.repeat(64)),
    ]);
    expect(merged.status).toBe('failed');
    // Not run, and nothing more: never flaky, never a cut log, no tests or attempts to show.
    const docs = plan.nodes.find((node) => node.kind === 'execute' && node.job === 'docs')!;
    expect(merged.jobs.find((job) => job.job === 'docs')).toEqual({
      job: 'docs',
      description: docs.description,
      executor: 'qemu',
      status: 'skipped',
      durationMs: null,
      exitCode: null,
      message: 'no result: the runner that had this job did not report (see the notes above)',
      logTail: '',
      logTruncated: false,
      tests: null,
      attempts: [],
      flaky: false,
      earlier: null,
    });
    expect(merged.problems).toEqual([
      'job "build" was reported by both shard 1/2 and shard 2/2: kept the result of shard 1/2',
      `results of shard 2/2 belong to plan ffffffffffff, not ${plan.planId.slice(0, 12)}: ignored`,
    ]);
    expect(mergeResults(plan, [shardResults(1, { build: 'passed' })]).problems).toContain(
      'no results from shard 2/2 (it did not finish or did not upload results.json)',
    );
  });

  it('keeps the first result of a job two shards reported, and its annotations; annotations of jobs outside the plan are dropped, the rest in plan order', () => {
    const note = (job: string) => ({
      level: 'error' as const,
      title: job,
      message: `from ${job}`,
      job,
      kind: 'job' as const,
    });
    const first = shardResults(1, { build: 'passed', unit: 'failed', e2e: 'passed' });
    first.jobs.unit!.annotations = [note('unit')];
    first.jobs.build!.annotations = [note('build-first')];
    const second = shardResults(2, { docs: 'failed', fmt: 'passed', lint: 'passed', build: 'failed' });
    second.jobs.build!.annotations = [note('build-second')];
    second.jobs.docs!.annotations = [note('docs')];
    second.jobs.ghost = { ...result('failed'), annotations: [note('ghost')] };
    const merged = mergeResults(plan, [second, first]);
    const build = mergeResults(plan, [first, second]).jobs.find((job) => job.job === 'build');
    expect(build?.status).toBe('passed');
    expect(merged.jobs.find((job) => job.job === 'build')?.status).toBe('failed');
    expect(merged.jobs.map((job) => job.job)).not.toContain('ghost');
    expect(mergeResults(plan, [first, second]).annotations.map((a) => a.title)).toEqual([
      'build-first',
      'docs',
      'unit',
    ]);
  });

  it('a cancelled shard makes the merged run cancelled, not failed, and keeps its jobs cancelled and skipped', () => {
    const cancelledShard = shardResults(1, { build: 'passed', unit: 'cancelled', e2e: 'skipped' });
    expect(cancelledShard.status).toBe('cancelled');
    const passedShard = shardResults(2, { docs: 'passed', fmt: 'passed', lint: 'passed' });
    for (const order of [
      [cancelledShard, passedShard],
      [passedShard, cancelledShard],
    ]) {
      const merged = mergeResults(plan, order);
      expect(merged.status).toBe('cancelled');
      expect(merged.jobs.map((job) => [job.job, job.status])).toEqual([
        ['build', 'passed'],
        ['docs', 'passed'],
        ['fmt', 'passed'],
        ['lint', 'passed'],
        ['unit', 'cancelled'],
        ['e2e', 'skipped'],
      ]);
      expect(merged.problems).toEqual([]);
    }
    // A failed shard next to a cancelled one: the workflow was still cancelled.
    const failedShard = shardResults(2, { docs: 'failed', fmt: 'passed', lint: 'passed' });
    expect(mergeResults(plan, [failedShard, cancelledShard]).status).toBe('cancelled');
    // Results of another plan that were cancelled say nothing about this one.
    const elsewhere = shardResults(1, { build: 'cancelled' }, 'f'.repeat(64));
    const finished = shardResults(1, { build: 'passed', unit: 'passed', e2e: 'passed' });
    expect(mergeResults(plan, [elsewhere, finished, passedShard]).status).toBe('passed');
    // A cancelled shard that was re-run to the end counts with its latest results.
    const rerun = {
      ...shardResults(
        1,
        { build: 'passed', unit: 'passed', e2e: 'passed' },
        plan.planId,
        '2026-11-29T10:30:00Z',
      ),
      runId: '20261129T103000Z-00000009',
    };
    expect(mergeResults(plan, [cancelledShard, rerun, passedShard]).status).toBe('passed');
  });

  it('names an unsharded run by its run id: results of another plan, and a run uploaded twice', () => {
    const whole = (runId: string, startedAt: string, planId = plan.planId): Results => ({
      ...shardResults(1, { build: 'passed' }, planId, startedAt),
      shard: null,
      runId,
    });
    const merged = mergeResults(plan, [
      whole('20261129T100000Z-00000001', '2026-11-29T10:00:00Z'),
      whole('20261129T110000Z-00000002', '2026-11-29T11:00:00Z'),
      whole('20261129T120000Z-00000003', '2026-11-29T12:00:00Z', 'e'.repeat(64)),
    ]);
    expect(merged.problems).toEqual([
      'the plan ran again (run 20261129T110000Z-00000002): its earlier results (run 20261129T100000Z-00000001) were replaced',
      'results of run 20261129T120000Z-00000003 belong to plan eeeeeeeeeeee, not ' +
        `${plan.planId.slice(0, 12)}: ignored`,
    ]);
    // Unsharded results and shard 1's are different uploads: neither replaces the other.
    const both = mergeResults(plan, [
      whole('20261129T100000Z-00000001', '2026-11-29T10:00:00Z'),
      shardResults(1, { unit: 'passed' }, plan.planId, '2026-11-29T11:00:00Z'),
    ]);
    expect(both.problems.filter((problem) => problem.includes('ran again'))).toEqual([]);
  });

  it("counts a shard that ran again (GitHub's re-run failed jobs) with its latest results, whatever the order", () => {
    const first = shardResults(1, { build: 'passed', unit: 'passed', e2e: 'failed' });
    const again = {
      ...shardResults(
        1,
        { build: 'passed', unit: 'passed', e2e: 'passed' },
        plan.planId,
        '2026-11-29T10:30:00Z',
      ),
      runId: '20261129T103000Z-00000009',
    };
    const other = shardResults(2, { docs: 'passed', fmt: 'passed', lint: 'passed' });
    for (const order of [
      [first, again, other],
      [again, other, first],
    ]) {
      const merged = mergeResults(plan, order);
      expect(merged.status).toBe('passed');
      expect(merged.problems).toEqual([
        'shard 1/2 ran again (run 20261129T103000Z-00000009): its earlier results (run 20261129T100000Z-00000001) were replaced',
      ]);
    }
  });
});
