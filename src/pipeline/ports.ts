import type { ProgressReporter } from '../engine/run-plan.js';
import type { ExecuteNode, Plan, PlanNode } from '../plan/schema.js';
import type { NodeRecord, RunRecord } from '../records/schema.js';
import type { RunStore } from '../records/store.js';
import type { Annotation } from '../report/annotations.js';
import type { ImageReport, JobReport } from '../report/model.js';

/** What the pipeline tells its caller when a node starts or ends (for check runs, live groups). */
export interface NodeHooks {
  started(node: PlanNode, record: NodeRecord): void;
  finished(node: PlanNode, record: NodeRecord): void;
}

/** One job's check run as the pipeline drives it (the action's Checks API client; absent in the CLI). */
export interface ChecksPort {
  started(node: ExecuteNode, startedAt: string): Promise<void>;
  finished(report: JobReport, annotations: Annotation[], completedAt: string): Promise<void>;
}

/** Everything a finished run left for the reports. */
export interface CollectedRun {
  plan: Plan;
  record: RunRecord;
  /** Every node's record, as the run ended (from memory: a node folder a job destroyed cannot hide it). */
  nodes: NodeRecord[];
  jobs: JobReport[];
  images: ImageReport[];
  annotations: Annotation[];
  /** The run's results.json. */
  resultsPath: string;
  /** The folder of the run (logs, records, artifacts). */
  runDir: string;
  /** The signal that stopped the run, if one did. */
  signal: NodeJS.Signals | undefined;
  /** Problems of vmplan's own (a full disk, a record it could not write); empty when there were none. */
  infrastructure: string[];
}

/**
 * What differs between the CLI and the action, as the run pipeline sees it (the way actions/cache keeps its
 * restore logic apart from its state provider): each caller supplies these, the pipeline does the rest.
 */
export interface RunPorts {
  /** A line about the run itself (snapshot made, reuse of a snapshot, ...). */
  note(line: string): void;
  /** Progress of nodes: lines, groups, live output (the pipeline adds its own hooks around it). */
  progress: ProgressReporter;
  /** The run exists: its records can be finished by an exit handler from now on. */
  runCreated(store: RunStore): void;
  /** Check runs for this run's jobs, once its folder exists; undefined when there are none. */
  checks?(runDir: string): ChecksPort | undefined;
  /** Uploads what the run produced (results.json, logs) before the reports are written. */
  upload?(run: CollectedRun): Promise<void>;
  /** Reports the outcome: the CLI prints its table, the action writes annotations, summary and outputs. */
  report(run: CollectedRun): Promise<void>;
}
