import { JOB_ID_PATTERN } from '../config/schema.js';
import { InputError } from '../errors.js';
import { postOrder } from '../util/graph.js';
import { didYouMean } from '../util/suggest.js';
import { buildPreconditions, orderNodes, planIdOf } from './build.js';
import type { ExcludedJob, Plan, PlanNode } from './schema.js';

/**
 * The planned jobs a name means: a planned job, every variant of a matrix job, or one variant by its display
 * name (`test (node 22, arm64)`).
 */
export function planJobsNamed(plan: Plan, name: string): string[] {
  const nodes = plan.nodes.flatMap((node) => (node.kind === 'execute' ? [node] : []));
  if (nodes.some((node) => node.job === name)) return [name];
  const variants = nodes.filter((node) => node.matrix?.job === name || node.matrix?.name === name);
  return variants.map((node) => node.job);
}

/**
 * Narrows an existing plan to some of its jobs plus everything they need (for `--only` with `--plan`, reruns
 * of failed jobs, and shards). The result is a plan in its own right: stages, preconditions and planId are
 * recomputed, and the jobs left out are listed as excluded.
 */
export function selectFromPlan(
  plan: Plan,
  jobs: readonly string[],
  why: string | ((job: string) => string),
  createdAt: string,
  /** Jobs whose outputs an earlier run kept (job → that run): not run again, their outputs are used from there. */
  reuse: ReadonlyMap<string, string> = new Map(),
): Plan {
  const executeById = new Map(
    plan.nodes.flatMap((node) => (node.kind === 'execute' ? [[node.job, node] as const] : [])),
  );
  const unknown = jobs.filter((job) => planJobsNamed(plan, job).length === 0);
  if (unknown.length > 0) {
    const names = new Set([
      ...executeById.keys(),
      ...[...executeById.values()].flatMap((n) => n.matrix?.job ?? []),
    ]);
    throw new InputError(
      unknown.map((job) => ({
        message: `unknown job "${job}" in the plan${didYouMean(job, names)}`,
      })),
    );
  }
  const named = [...new Set(jobs.flatMap((job) => planJobsNamed(plan, job)))];
  const keep = new Set<string>();
  const byId = new Map(plan.nodes.map((node) => [node.id, node]));
  // Only a job with outputs can stand in for its run: a job without any is run again (its effect is its passing).
  const reused = (id: string) => {
    const node = byId.get(id);
    return (
      node?.kind === 'execute' &&
      node.outputs !== undefined &&
      reuse.has(node.job) &&
      !named.includes(node.job)
    );
  };
  postOrder(
    named.map((job) => `job:${job}`),
    (id) => (byId.get(id)?.dependsOn ?? []).filter((dependency) => !reused(dependency)),
    (id) => keep.add(id),
  );

  const nodes: PlanNode[] = plan.nodes
    .filter((node) => keep.has(node.id))
    .map((node) => {
      if (node.kind === 'prepare') return { ...node, usedBy: node.usedBy.filter((id) => keep.has(id)) };
      if (!node.dependsOn.some(reused)) return node;
      // A need whose outputs an earlier run kept: no longer a node to wait for, its outputs come from that run.
      return {
        ...node,
        dependsOn: node.dependsOn.filter((id) => !reused(id)),
        receives: node.receives?.map((received) =>
          reused(`job:${received.from}`) ? { ...received, run: reuse.get(received.from)! } : received,
        ),
      };
    });
  const dropped: ExcludedJob[] = plan.nodes.flatMap((node) =>
    node.kind === 'execute' && !keep.has(node.id)
      ? [
          {
            job: node.job,
            reason: 'not-selected' as const,
            message: typeof why === 'string' ? why : why(node.job),
          },
        ]
      : [],
  );
  const ordered = orderNodes(nodes);
  const body = {
    ...plan,
    scope: {
      ...plan.scope,
      // A display name (`test (node 22, arm64)`) is recorded as its variant's id.
      only: [
        ...new Set(jobs.map((job) => (JOB_ID_PATTERN.test(job) ? job : planJobsNamed(plan, job)[0]!))),
      ].sort(),
    },
    preconditions: buildPreconditions(ordered.nodes),
    stages: ordered.stages,
    nodes: ordered.nodes,
    excluded: [...plan.excluded, ...dropped].sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0)),
  };
  return { ...body, planId: planIdOf(body), createdAt };
}
