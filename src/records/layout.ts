import { randomBytes } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { PlanNode } from '../plan/schema.js';
import { RUN_ID_PATTERN } from './schema.js';

/**
 * Where everything lives: per-run data in the state folder (`runs/<runId>/...`, plans, downloads) and what
 * outlives runs in the cache folder (images, named caches, durations). All paths come from here.
 */
export class StateLayout {
  /** The cache folder: given, or `cache/` inside the state folder (tests, and state folders made before the split). */
  readonly cacheDir: string;

  constructor(
    readonly root: string,
    cacheDir?: string,
  ) {
    this.cacheDir = cacheDir ?? join(root, 'cache');
  }

  /** Folder holding one folder per run. */
  get runsDir(): string {
    return join(this.root, 'runs');
  }

  /** Recorded job durations, to balance shards. */
  get durationsFile(): string {
    return join(this.cacheDir, 'durations.json');
  }

  /** A run's folder; the id is validated so a user-given id can never point elsewhere. */
  runDir(runId: string): string {
    assertRunId(runId);
    return join(this.runsDir, runId);
  }

  /** The run record. */
  runRecord(runId: string): string {
    return join(this.runDir(runId), 'run.json');
  }

  /** The plan the run executes. */
  planFile(runId: string): string {
    return join(this.runDir(runId), 'plan.json');
  }

  /** A run's results.json (what its reports are made from, and what reruns read). */
  resultsFile(runId: string): string {
    return join(this.runDir(runId), 'results.json');
  }

  /** The run's workspace snapshot. */
  snapshotDir(runId: string): string {
    return join(this.runDir(runId), 'snapshot');
  }

  /** A node's folder, relative to the run folder: `jobs/<job>` or `images/<image>`. */
  nodeFolder(node: PlanNode): string {
    return node.kind === 'execute' ? `jobs/${node.job}` : `images/${node.image}`;
  }

  /** A node's folder. */
  nodeDir(runId: string, node: PlanNode): string {
    return join(this.runDir(runId), this.nodeFolder(node));
  }

  /**
   * Where a host job's workspace may go, best first: its job folder's `workspace`, else (when a project of the
   * user's is above that) the cache folder's `workspaces/`, else the temporary folder's (workspace/host-workspace.ts
   * picks). Reports read paths the job printed against each.
   */
  hostWorkspaceCandidates(runId: string, job: string): string[] {
    assertRunId(runId);
    return [
      join(this.runDir(runId), 'jobs', job, 'workspace'),
      join(this.cacheDir, 'workspaces', runId, job),
      join(tmpdir(), `vmplan-${userInfo().uid}`, 'workspaces', runId, job),
    ];
  }
}

/** Throws an InputError unless `runId` is a well-formed run id (no paths, no traversal). */
export function assertRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new InputError(
      `"${runId}" is not a run id (expected e.g. 20261129T102300Z-1a2b3c4d; see vmplan list)`,
    );
  }
}

/**
 * A new run id: UTC time to the second, then 8 hex digits — the milliseconds (3 digits) and 5 random ones — so
 * ids sort by start time even for runs started within one second.
 */
export function newRunId(now: Date = new Date(), random: string = randomBytes(3).toString('hex')): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const milliseconds = now.getUTCMilliseconds().toString(16).padStart(3, '0');
  return `${stamp}-${milliseconds}${random.slice(0, 5)}`;
}
