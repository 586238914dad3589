import type { ExecutorName } from '../executors/catalog.js';
import type { Plan } from '../plan/schema.js';
import { formatDuration } from '../records/render.js';
import type { NodeStatus, RunRecord } from '../records/schema.js';

/** What the reports say about one job (from its record and the end of its log). */
export interface JobReport {
  job: string;
  description: string;
  executor: ExecutorName;
  status: NodeStatus;
  durationMs: number | null;
  exitCode: number | null;
  message: string | null;
  /** The end of the job's main log (guest.log for VM jobs, host.log otherwise), secrets already masked. */
  logTail: string;
  /** True when logTail is only the end of a longer log. */
  logTruncated: boolean;
}

/** How a guest image was prepared for the run. */
export interface ImageReport {
  image: string;
  status: NodeStatus;
  cached: boolean;
  durationMs: number | null;
  message: string | null;
}

/** Everything the summary, annotations and check runs are made from. */
export interface RunReport {
  plan: Plan;
  /** Undefined for plan-only. */
  run: RunRecord | undefined;
  jobs: JobReport[];
  images?: ImageReport[];
  /** For `mode: report`: the merged status and how many results.json were merged. */
  merged?: { status: string; results: number };
  /** Things the reader should know (a shard that did not report, results of another plan). */
  notes?: string[];
  links: { plan?: string; logs?: string };
}

/** Statuses that fail a run. */
export const FAILING: readonly NodeStatus[] = ['failed', 'timed_out', 'cancelled', 'skipped'];

/** formatDuration for reports, where columns read better in seconds: "0.4 s", "3.4 s", "2m 05s". */
export function shortDuration(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 1000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}
