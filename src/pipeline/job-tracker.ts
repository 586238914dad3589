import type { ExecuteNode, PlanNode } from '../plan/schema.js';
import type { StateLayout } from '../records/layout.js';
import type { NodeRecord } from '../records/schema.js';
import type { RunStore } from '../records/store.js';
import {
  type Annotation,
  diagnosticAnnotations,
  type JobLocation,
  jobAnnotations,
} from '../report/annotations.js';
import { jobDiagnostics, jobReport } from '../report/collect.js';
import type { JobReport } from '../report/model.js';
import type { ChecksPort, NodeHooks } from './ports.js';

/**
 * Follows a run's jobs as they start and end: each finished job's annotations (its failure, the diagnostics in its
 * log and test reports), worked out once, for its check run and the final reports; and the check-run requests
 * still in flight.
 */
export class JobTracker implements NodeHooks {
  private store: RunStore | undefined;
  private checks: ChecksPort | undefined;
  private readonly annotationsByJob = new Map<string, Annotation[]>();
  private readonly pending: Promise<void>[] = [];

  constructor(
    private readonly layout: StateLayout,
    private readonly repositoryRoot: string,
    private readonly locate: JobLocation,
  ) {}

  /** The run's records exist: from now on jobs can be reported (and check runs made, when there are any). */
  attach(store: RunStore, checks: ChecksPort | undefined): void {
    this.store = store;
    this.checks = checks;
  }

  started(node: PlanNode, record: NodeRecord): void {
    if (node.kind !== 'execute' || this.checks === undefined) return;
    this.pending.push(this.checks.started(node, record.startedAt ?? new Date().toISOString()));
  }

  finished(node: PlanNode, record: NodeRecord): void {
    if (node.kind !== 'execute') return;
    const annotations = this.annotationsOf(node, record.status);
    this.annotationsByJob.set(node.job, annotations);
    if (this.checks === undefined) return;
    const completedAt = record.finishedAt ?? new Date().toISOString();
    this.pending.push(this.checks.finished(this.reportOf(node), annotations, completedAt));
  }

  /** A job's annotations (none for jobs that did not finish or passed). */
  annotations(node: ExecuteNode): Annotation[] {
    return this.annotationsByJob.get(node.job) ?? [];
  }

  /** Resolves once every check-run request made so far has settled. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }

  private reportOf(node: ExecuteNode): JobReport {
    const store = this.store!;
    return jobReport(this.layout, store.runId, node, store.node(node.id));
  }

  private annotationsOf(node: ExecuteNode, status: NodeRecord['status']): Annotation[] {
    if (status !== 'failed' && status !== 'timed_out') return [];
    const store = this.store!;
    const snapshot = this.layout.snapshotDir(store.record.snapshotRun);
    return [
      ...jobAnnotations([this.reportOf(node)], this.locate),
      ...diagnosticAnnotations(jobDiagnostics(this.layout, store.runId, node, snapshot, this.repositoryRoot)),
    ];
  }
}
