import { InputError } from '../errors.js';
import { compareText } from '../util/canonical-json.js';
import { planIdOf } from './build.js';
import type { Plan } from './schema.js';
import { selectFromPlan } from './select.js';

/** Which part of a plan a runner takes: shard `index` of `count` (1-based). */
export interface ShardSpec {
  index: number;
  count: number;
}

/** The most shards a plan is split into. */
export const MAX_SHARDS = 256;

/** Parses `2/3` (shard 2 of 3); a clear InputError otherwise. */
export function parseShard(text: string): ShardSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || index < 1 || count < 1 || index > count || count > MAX_SHARDS) {
    throw new InputError(`shard: expected "i/n" with 1 ≤ i ≤ n ≤ ${MAX_SHARDS} (e.g. 2/3), found "${text}"`);
  }
  return { index, count };
}

/** Recorded durations by job id (ms), from earlier runs. */
export type Durations = Record<string, number>;

/**
 * Groups of jobs that must run together: a job and everything it needs or is needed by (jobs do not share files
 * across runners, so a need must run where its dependant runs).
 */
export function jobGroups(plan: Plan): string[][] {
  const parent = new Map<string, string>();
  const find = (job: string): string => {
    let root = job;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(job, root);
    return root;
  };
  const jobs = plan.nodes.flatMap((node) => (node.kind === 'execute' ? [node] : []));
  for (const node of jobs) parent.set(node.job, node.job);
  for (const node of jobs) {
    for (const need of node.needs) {
      const [a, b] = [find(node.job), find(need)].sort(compareText) as [string, string];
      if (a !== b) parent.set(b, a);
    }
  }
  const groups = new Map<string, string[]>();
  for (const node of jobs) {
    const root = find(node.job);
    const group = groups.get(root);
    if (group === undefined) groups.set(root, [node.job]);
    else group.push(node.job);
  }
  return [...groups.values()].map((group) => group.sort(compareText));
}

/**
 * Assigns job groups to `count` shards: deterministic, and balanced by recorded durations when there are any
 * (the plan's own, unless others are given to compare; longest first onto the least loaded shard), else by job
 * count. Jobs without a record weigh the median.
 */
export function assignShards(
  plan: Plan,
  count: number,
  durations: Durations = plan.scope.durations,
): string[][] {
  const usable = (ms: number | undefined): ms is number => ms !== undefined && Number.isFinite(ms) && ms >= 0;
  const known = Object.values(durations)
    .filter(usable)
    .sort((a, b) => a - b);
  const typical = known.length === 0 ? 1 : known[Math.floor(known.length / 2)]!;
  // A record that is not a duration (negative, not finite) counts as none: it would upset every sum it is in.
  const weigh = (job: string) => {
    const recorded = durations[job];
    return known.length === 0 ? 1 : usable(recorded) ? recorded : typical;
  };
  const groups = jobGroups(plan)
    .map((jobs) => ({ jobs, weight: jobs.reduce((sum, job) => sum + weigh(job), 0) }))
    .sort((a, b) => b.weight - a.weight || compareText(a.jobs[0]!, b.jobs[0]!));
  const shards = Array.from({ length: count }, () => ({ jobs: [] as string[], load: 0 }));
  for (const group of groups) {
    let target = shards[0]!;
    for (const shard of shards) if (shard.load < target.load) target = shard;
    target.jobs.push(...group.jobs);
    target.load += group.weight;
  }
  return shards.map((shard) => shard.jobs.sort(compareText));
}

/**
 * The plan shard `spec` runs: its jobs, what they need and only the images they use, the rest excluded with the
 * shard that runs them. Balanced by the durations recorded in the plan, so every shard computes the same split.
 * A plan whose jobs cannot be spread (fewer groups than shards) gives empty shards.
 */
export function shardPlan(plan: Plan, spec: ShardSpec, createdAt = plan.createdAt): Plan {
  if (plan.scope.shard !== null) {
    throw new InputError(
      `this plan is already shard ${plan.scope.shard.index}/${plan.scope.shard.count}: shard the whole plan instead`,
    );
  }
  const assignment = assignShards(plan, spec.count);
  const shardOf = new Map<string, number>();
  assignment.forEach((jobs, index) => {
    for (const job of jobs) shardOf.set(job, index + 1);
  });
  const mine = assignment[spec.index - 1]!;
  const narrowed = selectFromPlan(
    plan,
    mine,
    (job) => `runs in shard ${shardOf.get(job)}/${spec.count}`,
    createdAt,
  );
  const body = { ...narrowed, scope: { ...narrowed.scope, only: plan.scope.only, shard: spec } };
  return { ...body, planId: planIdOf(body) };
}
