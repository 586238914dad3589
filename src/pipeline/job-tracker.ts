import type { TestReport } from '../parsers/model.js';
import type { TestSummary } from '../parsers/test-summary.js';
import { type ExecuteNode, type PlanNode, reportGlobs } from '../plan/schema.js';
import type { StateLayout } from '../records/layout.js';
import type { EarlierResult, NodeRecord } from '../records/schema.js';
import type { RunStore } from '../records/store.js';
import {
  type Annotation,
  diagnosticAnnotations,
  type JobLocation,
  jobAnnotations,
} from '../report/annotations.js';
import { jobDiagnostics, jobReport, jobTests, readJobTestReportsOffThread } from '../report/collect.js';
import type { JobReport } from '../report/model.js';
import type { JobResult } from '../results/schema.js';
import type { ChecksPort, NodeHooks } from './ports.js';

/** The results of the run a rerun repeats: its id (or github-run:<id>) and its jobs' results. */
export interface EarlierRun {
  run: string;
  /** Both runs ran the same files (a local rerun's snapshot, or the same commit). */
  sameCode: boolean;
  jobs: Readonly<Record<string, Pick<JobResult, 'status' | 'tests'>>>;
}

/**
 * Follows a run's jobs as they start and end: each finished job's annotations (its failure, the diagnostics in its
 * log and test reports), worked out once, for its check run and the final reports; and the check-run requests
 * still in flight.
 */
export class JobTracker implements NodeHooks {
  private store: RunStore | undefined;
  private checks: ChecksPort | undefined;
  private readonly annotationsByJob = new Map<string, Annotation[]>();
  private readonly testsByJob = new Map<string, TestSummary | null>();
  private readonly pending: Promise<void>[] = [];
  private readonly analysing: Promise<void>[] = [];

  constructor(
    private readonly layout: StateLayout,
    private readonly repositoryRoot: string,
    private readonly locate: JobLocation,
    /** For a rerun: the results of the run it repeats, when known (to tell what flipped). */
    private readonly previous?: EarlierRun,
  ) {}

  /** How a job ended in the run this one repeats; null when this is no rerun or that is not known. */
  earlier(node: ExecuteNode): EarlierResult | null {
    const result = this.previous?.jobs[node.job];
    return result === undefined
      ? null
      : { run: this.previous!.run, status: result.status, sameCode: this.previous!.sameCode };
  }

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
    // Read off the event loop (a job's report can take seconds to parse): other jobs' timeouts stay on time.
    // Whatever its reports hold, the run goes on (each reader says why it found nothing).
    this.analysing.push(this.analyse(node, record).catch(() => undefined));
  }

  /** Resolves once every finished job's reports are read: its tests and annotations are known. */
  async analysed(): Promise<void> {
    await Promise.all(this.analysing);
  }

  private async analyse(node: ExecuteNode, record: NodeRecord): Promise<void> {
    // Its reports are read once, for both its test summary and its annotations.
    const ran = record.status === 'passed' || record.status === 'failed' || record.status === 'timed_out';
    const read =
      ran && reportGlobs(node).length > 0 ? await this.readReports(node) : { reports: [], problems: [] };
    this.testsByJob.set(node.job, ran ? this.testsOf(node, read) : null);
    const annotations = this.annotationsOf(node, record.status, read);
    this.annotationsByJob.set(node.job, annotations);
    if (this.checks === undefined) return;
    const completedAt = record.finishedAt ?? new Date().toISOString();
    this.pending.push(this.checks.finished(this.reportOf(node), annotations, completedAt));
  }

  /** A job's annotations (none for jobs that did not finish or passed). */
  annotations(node: ExecuteNode): Annotation[] {
    return this.annotationsByJob.get(node.job) ?? [];
  }

  /** A job's test summary (null for jobs that name no reports or did not run). */
  tests(node: ExecuteNode): TestSummary | null {
    return this.testsByJob.get(node.job) ?? null;
  }

  /** Resolves once every check-run request made so far has settled. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }

  private reportOf(node: ExecuteNode): JobReport {
    const store = this.store!;
    return jobReport(
      this.layout,
      store.runId,
      node,
      store.node(node.id),
      this.tests(node),
      this.earlier(node),
    );
  }

  /** A job's test reports, or the reason they could not be read (the folder is the job's). */
  private async readReports(
    node: ExecuteNode,
  ): Promise<{ reports: TestReport[]; problems: string[]; earlier?: TestReport[][] }> {
    try {
      return await readJobTestReportsOffThread(this.layout, this.store!.runId, node);
    } catch (error) {
      return { reports: [], problems: [`the reports could not be read: ${(error as Error).message}`] };
    }
  }

  private testsOf(
    node: ExecuteNode,
    read: { reports: TestReport[]; problems: string[]; earlier?: TestReport[][] },
  ): TestSummary | null {
    const store = this.store!;
    const snapshot = this.layout.snapshotDir(store.record.snapshotRun);
    // Tests that passed after a change of code were fixed, not flaky.
    const failedBefore =
      this.previous?.sameCode === true ? (this.previous.jobs[node.job]?.tests?.failures ?? []) : [];
    return jobTests(this.layout, store.runId, node, snapshot, this.repositoryRoot, failedBefore, read);
  }

  private annotationsOf(
    node: ExecuteNode,
    status: NodeRecord['status'],
    read: { reports: TestReport[] },
  ): Annotation[] {
    if (status !== 'failed' && status !== 'timed_out') return [];
    const store = this.store!;
    const snapshot = this.layout.snapshotDir(store.record.snapshotRun);
    return [
      ...jobAnnotations([this.reportOf(node)], this.locate),
      ...diagnosticAnnotations(
        jobDiagnostics(this.layout, store.runId, node, snapshot, this.repositoryRoot, read),
      ),
    ];
  }
}
