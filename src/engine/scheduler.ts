import { InternalError } from '../errors.js';
import { PLAN_DEFAULTS } from '../plan/build.js';
import type { PlanNode } from '../plan/schema.js';
import type { NodeStatus } from '../records/schema.js';

/** What the machine can give to nodes running at once. */
export interface Capacity {
  /** Nodes running at once (--max-parallel). */
  slots: number;
  /** CPUs for VM guests together. */
  cpus: number;
  /** Memory (MiB) for VM guests together. */
  memoryMiB: number;
}

/** A decision the scheduler took about a node that will never run. */
export interface SkipDecision {
  nodeId: string;
  message: string;
}

/** What a node takes from the capacity while it runs. */
export function demandOf(node: PlanNode): { cpus: number; memoryMiB: number } {
  if (node.kind === 'execute' && node.type === 'vm_command')
    // The planner always sets both; a hand-made plan without them gets what the VM would be given (vm-spec).
    return { cpus: node.cpus ?? PLAN_DEFAULTS.cpus, memoryMiB: node.memory ?? PLAN_DEFAULTS.memory };
  return { cpus: 0, memoryMiB: 0 };
}

/**
 * Decides which plan nodes may start, given what finished and what runs. Pure state machine, no I/O:
 * a node starts when all its dependencies passed and it fits the capacity; a node whose dependency did
 * not pass is skipped with the reason; after `stop`, nothing new starts.
 */
export class Scheduler {
  private readonly status = new Map<string, NodeStatus>();
  private readonly byId: Map<string, PlanNode>;
  private readonly dependents = new Map<string, string[]>();
  private usedSlots = 0;
  private usedCpus = 0;
  private usedMemory = 0;
  private stopReason: string | undefined;

  constructor(
    private readonly nodes: readonly PlanNode[],
    private readonly capacity: Capacity,
  ) {
    this.byId = new Map(nodes.map((node) => [node.id, node]));
    for (const node of nodes) {
      this.status.set(node.id, 'pending');
      for (const dependency of node.dependsOn) {
        const list = this.dependents.get(dependency);
        if (list === undefined) this.dependents.set(dependency, [node.id]);
        else list.push(node.id);
      }
    }
  }

  /** Nodes that can start now, in plan order, reserving their capacity. The caller must start them all. */
  takeStartable(): PlanNode[] {
    if (this.stopReason !== undefined) return [];
    const started: PlanNode[] = [];
    for (const node of this.nodes) {
      if (this.status.get(node.id) !== 'pending') continue;
      if (!node.dependsOn.every((id) => this.status.get(id) === 'passed')) continue;
      if (!this.fits(node)) continue;
      this.reserve(node);
      this.status.set(node.id, 'running');
      started.push(node);
    }
    return started;
  }

  /**
   * Records a finished node, frees its capacity, and returns the nodes that can now never run (its dependents,
   * transitively) with the reason, e.g. `needs "build", which failed`.
   */
  complete(nodeId: string, status: NodeStatus): SkipDecision[] {
    const node = this.byId.get(nodeId);
    if (node === undefined || this.status.get(nodeId) !== 'running') {
      throw new InternalError(`${nodeId} completed but was not running`);
    }
    this.release(node);
    this.status.set(nodeId, status);
    return status === 'passed' ? [] : this.skipDependents(node, describeOutcome(status));
  }

  /** Starts nothing new from now on; returns every pending node (they will be skipped with `reason`). */
  stop(reason: string): SkipDecision[] {
    this.stopReason ??= reason;
    const skipped: SkipDecision[] = [];
    for (const node of this.nodes) {
      if (this.status.get(node.id) === 'pending') {
        this.status.set(node.id, 'skipped');
        skipped.push({ nodeId: node.id, message: `not started: ${reason}` });
      }
    }
    return skipped;
  }

  /** True when no node is pending or running. */
  get done(): boolean {
    for (const status of this.status.values()) if (status === 'pending' || status === 'running') return false;
    return true;
  }

  /** Number of nodes running now. */
  get running(): number {
    return this.usedSlots;
  }

  /** Status the scheduler believes a node has. */
  statusOf(nodeId: string): NodeStatus | undefined {
    return this.status.get(nodeId);
  }

  private skipDependents(node: PlanNode, outcome: string): SkipDecision[] {
    const skipped: SkipDecision[] = [];
    const label = node.kind === 'execute' ? `"${node.job}"` : `image "${node.image}"`;
    // Breadth-first with a queue: a long chain of dependents never deepens the call stack.
    const queue: { id: string; message: string }[] = [
      { id: node.id, message: `needs ${label}, which ${outcome}` },
    ];
    for (let index = 0; index < queue.length; index++) {
      const { id, message } = queue[index]!;
      for (const dependentId of this.dependents.get(id) ?? []) {
        if (this.status.get(dependentId) !== 'pending') continue;
        this.status.set(dependentId, 'skipped');
        skipped.push({ nodeId: dependentId, message });
        const dependent = this.byId.get(dependentId)!;
        const dependentLabel =
          dependent.kind === 'execute' ? `"${dependent.job}"` : `image "${dependent.image}"`;
        queue.push({ id: dependentId, message: `needs ${dependentLabel}, which was skipped` });
      }
    }
    return skipped;
  }

  private fits(node: PlanNode): boolean {
    if (this.usedSlots === 0) return true; // never deadlock: something too big still runs, alone
    const demand = demandOf(node);
    return (
      this.usedSlots + 1 <= this.capacity.slots &&
      this.usedCpus + demand.cpus <= this.capacity.cpus &&
      this.usedMemory + demand.memoryMiB <= this.capacity.memoryMiB
    );
  }

  private reserve(node: PlanNode): void {
    const demand = demandOf(node);
    this.usedSlots += 1;
    this.usedCpus += demand.cpus;
    this.usedMemory += demand.memoryMiB;
  }

  private release(node: PlanNode): void {
    const demand = demandOf(node);
    this.usedSlots -= 1;
    this.usedCpus -= demand.cpus;
    this.usedMemory -= demand.memoryMiB;
  }
}

/** "failed", "timed out", ... as used in skip reasons. */
export function describeOutcome(status: NodeStatus): string {
  return status === 'timed_out' ? 'timed out' : status === 'skipped' ? 'was skipped' : status;
}
