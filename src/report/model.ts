import type { ExecutorName } from '../executors/catalog.js';
import type { TestSummary } from '../parsers/test-summary.js';
import type { Plan } from '../plan/schema.js';
import { formatDuration } from '../records/render.js';
import type { Attempt, EarlierResult, NodeStatus, Phase, RunRecord } from '../records/schema.js';

/** What the reports say about one job (from its record and the end of its log). */
export interface JobReport {
  job: string;
  /** A matrix variant's display name (`test (node 22, arm64)`); absent for other jobs. */
  name?: string;
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
  /** What its test reports say; null when the job names no reports (or did not run). */
  tests: TestSummary | null;
  /** Every attempt when it ran more than once (retries), else empty. */
  attempts: Attempt[];
  /** It failed, then passed: on a later attempt, or in this rerun of a run where it failed. */
  flaky: boolean;
  /** For a rerun: how the job ended in the run this one repeats (null when that is not known). */
  earlier: EarlierResult | null;
  /** When it started (for the run's timeline); absent or null when unknown. */
  startedAt?: string | null;
  /** Where its time went (its last attempt's), relative to startedAt; absent when unknown. */
  phases?: Phase[];
}

/** How a guest image was prepared for the run. */
export interface ImageReport {
  image: string;
  status: NodeStatus;
  cached: boolean;
  durationMs: number | null;
  message: string | null;
  /** When it started (for the run's timeline); absent or null when unknown. */
  startedAt?: string | null;
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

/** A test's duration: milliseconds under a second ("48 ms"), else as shortDuration. */
export function testDuration(ms: number | null): string {
  return ms !== null && ms < 1000 ? `${Math.round(ms)} ms` : shortDuration(ms);
}
