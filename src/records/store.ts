import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InfrastructureError, InputError, InternalError, isOutOfSpace } from '../errors.js';
import type { Plan, PlanNode } from '../plan/schema.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { readJsonFile } from '../util/read-json.js';
import type { StateLayout } from './layout.js';
import type { SpaceReserve } from './reserve.js';
import {
  type NodeRecord,
  NodeRecordSchema,
  type NodeStatus,
  RECORD_SCHEMA_VERSION,
  RUN_ID_PATTERN,
  type RunRecord,
  RunRecordSchema,
  type RunStatus,
  TERMINAL_NODE_STATUSES,
} from './schema.js';

/** What a run record starts with; the store fills in status, host, times and counts. */
export type RunStart = Pick<
  RunRecord,
  'runId' | 'planId' | 'planPath' | 'source' | 'selection' | 'changes' | 'rerunOf' | 'snapshotRun' | 'options'
>;

/** Fields a node update may change. */
export type NodeUpdate = Partial<
  Pick<
    NodeRecord,
    'status' | 'exitCode' | 'message' | 'cached' | 'startedAt' | 'process' | 'attempts' | 'phases'
  >
>;

/**
 * The records of one run in memory and on disk: run.json plus one status.json per node, every write atomic.
 * It guarantees the run can always be finished: `finishUnfinished` is synchronous so it also works from an
 * exit handler.
 */
export class RunStore {
  private run: RunRecord;
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly nodeFolders = new Map<string, string>();
  private reserve: SpaceReserve | undefined;
  private readonly problems: string[] = [];
  /** The run ended in memory but its terminal run.json could not be written yet: the next finish tries again. */
  private terminalUnwritten = false;

  private constructor(
    private readonly layout: StateLayout,
    run: RunRecord,
  ) {
    this.run = run;
  }

  /**
   * Creates run.json (`running`) and a `pending` status.json for every node of the plan. `reserve` is space set
   * aside for the records, given back when the disk fills up.
   */
  static create(
    layout: StateLayout,
    start: RunStart,
    plan: Plan,
    reserve?: SpaceReserve,
    now: Date = new Date(),
  ): RunStore {
    const store = new RunStore(layout, {
      schemaVersion: RECORD_SCHEMA_VERSION,
      ...start,
      status: 'running',
      host: { hostname: hostname(), pid: process.pid, platform: process.platform, arch: process.arch },
      startedAt: now.toISOString(),
      finishedAt: null,
      durationMs: null,
      message: null,
      counts: {},
    });
    store.reserve = reserve;
    for (const node of plan.nodes) store.addNode(node);
    store.writeRun();
    for (const node of plan.nodes) store.writeNode(node.id);
    return store;
  }

  /**
   * Problems of vmplan's own during the run (a log or record it could not write), as opposed to jobs failing:
   * they make the CLI exit 3.
   */
  get infrastructureProblems(): readonly string[] {
    return this.problems;
  }

  /** Records a problem of vmplan's own (see infrastructureProblems). */
  addInfrastructureProblem(message: string): void {
    if (!this.problems.includes(message)) this.problems.push(message);
  }

  /** A store over records read back from disk. */
  static fromRecords(layout: StateLayout, run: RunRecord, plan: Plan, nodes: NodeRecord[]): RunStore {
    const store = new RunStore(layout, run);
    for (const node of plan.nodes) store.addNode(node);
    for (const record of nodes) store.nodes.set(record.nodeId, record);
    return store;
  }

  /** The run id. */
  get runId(): string {
    return this.run.runId;
  }

  /** A copy of the current run record. */
  get record(): RunRecord {
    return structuredClone(this.run);
  }

  /** A copy of a node's current record. */
  node(nodeId: string): NodeRecord {
    const record = this.nodes.get(nodeId);
    if (record === undefined) throw new InternalError(`no record for node ${nodeId}`);
    return structuredClone(record);
  }

  /** Every node record, in plan order. */
  allNodes(): NodeRecord[] {
    return [...this.nodes.values()].map((record) => structuredClone(record));
  }

  /** Marks a node running now. */
  start(nodeId: string, now: Date = new Date()): void {
    this.update(nodeId, { status: 'running', startedAt: now.toISOString() });
  }

  /** Records a node's terminal status, computing finish time and duration. */
  finishNode(
    nodeId: string,
    status: NodeStatus,
    fields: Omit<NodeUpdate, 'status'> = {},
    now: Date = new Date(),
  ): void {
    if (!TERMINAL_NODE_STATUSES.includes(status)) throw new InternalError(`${status} is not terminal`);
    const current = this.nodes.get(nodeId);
    if (current === undefined) throw new InternalError(`no record for node ${nodeId}`);
    const startedAt = current.startedAt;
    const record: NodeRecord = {
      ...current,
      ...fields,
      status,
      process: null,
      finishedAt: now.toISOString(),
      durationMs: startedAt === null ? null : Math.max(0, now.getTime() - Date.parse(startedAt)),
    };
    this.nodes.set(nodeId, NodeRecordSchema.parse(record));
    this.writeNode(nodeId);
  }

  /** Applies a non-terminal update to a node. */
  update(nodeId: string, update: NodeUpdate): void {
    const current = this.nodes.get(nodeId);
    if (current === undefined) throw new InternalError(`no record for node ${nodeId}`);
    this.nodes.set(nodeId, NodeRecordSchema.parse({ ...current, ...update }));
    this.writeNode(nodeId);
  }

  /** True once run.json holds a terminal status. */
  get finished(): boolean {
    return this.run.status !== 'running' && !this.terminalUnwritten;
  }

  /**
   * Ends the run: any node still pending or running is closed with `leftover` status and the message, then
   * run.json gets its terminal status, counts and duration. Synchronous and idempotent once run.json is written;
   * until then each call tries again (with its own status and message).
   */
  finish(
    status: RunStatus,
    message: string | null,
    leftover: 'cancelled' | 'skipped' = 'cancelled',
    now = new Date(),
  ): void {
    if (this.finished) return;
    let unwritable: unknown;
    for (const record of this.nodes.values()) {
      if (record.status === 'pending' || record.status === 'running') {
        // One record that cannot be written (its folder gone, say) must not keep the others, or run.json, open.
        try {
          this.finishNode(
            record.nodeId,
            record.status === 'running' ? 'cancelled' : leftover,
            { message: message ?? 'run ended' },
            now,
          );
        } catch (error) {
          unwritable ??= error;
        }
      }
    }
    const counts: Partial<Record<NodeStatus, number>> = {};
    for (const status of TERMINAL_NODE_STATUSES) {
      const count = [...this.nodes.values()].filter(
        (record) => record.kind === 'execute' && record.status === status,
      ).length;
      if (count > 0) counts[status] = count;
    }
    this.run = RunRecordSchema.parse({
      ...this.run,
      status,
      message,
      counts,
      finishedAt: now.toISOString(),
      durationMs: Math.max(0, now.getTime() - Date.parse(this.run.startedAt)),
    });
    this.terminalUnwritten = true;
    this.writeRun();
    this.terminalUnwritten = false;
    // The records are final: what was set aside for them can go to what comes next (results.json).
    this.reserve?.release();
    if (unwritable !== undefined) throw unwritable;
  }

  private addNode(node: PlanNode): void {
    const folder = this.layout.nodeFolder(node);
    this.nodeFolders.set(node.id, folder);
    this.nodes.set(
      node.id,
      NodeRecordSchema.parse({
        schemaVersion: RECORD_SCHEMA_VERSION,
        nodeId: node.id,
        kind: node.kind,
        job: node.kind === 'execute' ? node.job : null,
        executor: node.executor,
        status: 'pending',
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        exitCode: null,
        message: null,
        logs: {
          host: `${folder}/host.log`,
          guest: node.kind === 'execute' && node.type === 'vm_command' ? `${folder}/guest.log` : null,
        },
      }),
    );
  }

  private writeRun(): void {
    this.write(this.layout.runRecord(this.run.runId), this.run);
  }

  private writeNode(nodeId: string): void {
    const folder = this.nodeFolders.get(nodeId)!;
    this.write(join(this.layout.runDir(this.run.runId), folder, 'status.json'), this.nodes.get(nodeId));
  }

  /** Writes a record; when the disk is full, gives back the reserved space once and tries again. */
  private write(path: string, value: unknown): void {
    try {
      writeJsonAtomic(path, value);
    } catch (error) {
      // Something in a record's place that cannot be replaced (a folder, a symlink a job put there) is vmplan's own
      // trouble, as any record it cannot write: not the user's input.
      if (error instanceof InputError) throw new InfrastructureError(error.message);
      if (!isOutOfSpace(error)) throw error;
      this.addInfrastructureProblem(
        `the state folder ran out of space (${(error as NodeJS.ErrnoException).code}) while writing ${path}`,
      );
      if (this.reserve?.release() !== true) throw error;
      writeJsonAtomic(path, value);
    }
  }
}

/** Reads and validates a run record; a missing or invalid one is an InputError naming the file. */
export function readRunRecord(layout: StateLayout, runId: string): RunRecord {
  return readJsonFile(layout.runRecord(runId), RunRecordSchema, RECORD);
}

/** Reads and validates every node record of a run, in the order of the run's plan. */
export function readNodeRecords(layout: StateLayout, runId: string, plan: Plan): NodeRecord[] {
  return plan.nodes.map((node) =>
    readJsonFile(join(layout.nodeDir(runId, node), 'status.json'), NodeRecordSchema, RECORD),
  );
}

/** Run ids in the state folder, oldest first (folders that are not run ids are ignored). */
export function listRunIds(layout: StateLayout): string[] {
  let names: string[];
  try {
    names = readdirSync(layout.runsDir);
  } catch {
    return [];
  }
  return names.filter((name) => RUN_ID_PATTERN.test(name)).sort();
}

/** Opens the records of an existing run (to finish one that was left running). */
export function openRunStore(layout: StateLayout, runId: string, plan: Plan): RunStore {
  return RunStore.fromRecords(
    layout,
    readRunRecord(layout, runId),
    plan,
    readNodeRecords(layout, runId, plan),
  );
}

/** run.json and status.json, as messages name them. */
const RECORD = { kind: 'vmplan record' };
