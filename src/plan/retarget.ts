import type { Executor } from '../config/schema.js';
import { HOST_EXECUTOR, isVmExecutor } from '../executors/catalog.js';
import { buildPreconditions, orderNodes, planIdOf } from './build.js';
import type { ExecuteNode, Plan, PlanNode } from './schema.js';

/** A plan moved to another executor, and what changed, in words. */
export interface Retargeted {
  plan: Plan;
  /** E.g. `plan made for vfkit: 3 VM job(s) (build, lint, test) run with qemu instead`; undefined when nothing changed. */
  change: string | undefined;
}

/**
 * Runs a plan made elsewhere with another executor, as planning with `--executor` would have: a VM executor
 * replaces every VM executor (images and jobs unchanged: the same guest boots under QEMU instead of vfkit); `host`
 * runs every job on the host, and the images only VM jobs needed are dropped. Jobs the plan runs on the host stay
 * there (they have no image to boot). Stages, preconditions and the planId are recomputed.
 */
export function retargetPlan(plan: Plan, executor: Executor, createdAt: string): Retargeted {
  const moved: ExecuteNode[] = [];
  const before = new Set<string>();
  let nodes: PlanNode[] = plan.nodes.map((node) => {
    if (node.kind !== 'execute' || !isVmExecutor(node.executor) || node.executor === executor) return node;
    moved.push(node);
    before.add(node.executor);
    return isVmExecutor(executor) ? { ...node, executor } : onHost(node);
  });
  if (moved.length === 0) return { plan, change: undefined };
  if (!isVmExecutor(executor)) {
    // An image is kept for the jobs still booting it (none, unless the plan mixes in host jobs only).
    const users = (id: string) => nodes.filter((node) => node.dependsOn.includes(id)).map((node) => node.id);
    nodes = nodes.flatMap((node): PlanNode[] => {
      if (node.kind !== 'prepare') return [node];
      const usedBy = users(node.id);
      return usedBy.length === 0 ? [] : [{ ...node, usedBy }];
    });
  }
  const ordered = orderNodes(nodes);
  const body = {
    ...plan,
    scope: { ...plan.scope, executor },
    preconditions: buildPreconditions(ordered.nodes),
    stages: ordered.stages,
    nodes: ordered.nodes,
  };
  const jobs = moved.map((node) => node.job);
  const shown = jobs.length <= 5 ? jobs.join(', ') : `${jobs.slice(0, 5).join(', ')}, …`;
  const how = isVmExecutor(executor)
    ? `run with ${executor} instead`
    : 'run on the host instead, without a VM';
  return {
    plan: { ...body, planId: planIdOf(body), createdAt },
    change: `plan made for ${[...before].sort().join(' and ')}: ${moved.length} VM job(s) (${shown}) ${how}`,
  };
}

/** A VM job as a host job: no image, CPUs, memory or guest network of its own. */
function onHost(node: ExecuteNode): ExecuteNode {
  const { network: _network, ...rest } = node;
  return {
    ...rest,
    executor: HOST_EXECUTOR,
    type: 'host_command',
    image: null,
    cpus: null,
    memory: null,
    dependsOn: node.dependsOn.filter((id) => !id.startsWith('image:')),
  };
}
