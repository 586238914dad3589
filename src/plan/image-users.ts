import type { Plan, PrepareNode } from './schema.js';

/** The executors of the jobs that boot an image in this plan, sorted (their kernel checks and preflights apply). */
export function executorsUsing(plan: Plan, node: PrepareNode): string[] {
  const executors = new Set<string>();
  for (const id of node.usedBy) {
    const user = plan.nodes.find((candidate) => candidate.id === id);
    if (user !== undefined) executors.add(user.executor);
  }
  return [...executors].sort();
}
