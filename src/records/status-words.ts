import type { PlanNode } from '../plan/schema.js';
import { type Attempt, isFlaky, type NodeRecord, type NodeStatus, type RunStatus } from './schema.js';

/** How a status reads in text: `timed_out` → `timed out`. */
export function statusLabel(status: NodeStatus | RunStatus | string): string {
  return status.replaceAll('_', ' ');
}

/** Emoji for each node status, for Markdown and the Actions log. */
export const STATUS_ICON: Readonly<Record<NodeStatus, string>> = {
  pending: '…',
  running: '…',
  passed: '✅',
  failed: '❌',
  timed_out: '⏱️',
  cancelled: '⊘',
  skipped: '↷',
};

/** One-column symbols for each node status, for terminals. */
export const STATUS_SYMBOL: Readonly<Record<NodeStatus, string>> = {
  pending: '•',
  running: '•',
  passed: '✔',
  failed: '✖',
  timed_out: '⏱',
  cancelled: '⊘',
  skipped: '↷',
};

/** The name a plan node goes by in progress lines: the job, or `image <name>`. */
export function nodeLabel(node: PlanNode): string {
  return node.kind === 'execute' ? node.job : `image ${node.image}`;
}

/** How a job's attempts read after its status: " (flaky: passed on attempt 2 of 2)", " (3 attempts)", or "". */
export function attemptsNote(record: Pick<NodeRecord, 'status' | 'attempts'>): string {
  const attempts = record.attempts?.length ?? 0;
  if (attempts <= 1) return '';
  return isFlaky(record)
    ? ` (flaky: passed on attempt ${attempts} of ${attempts})`
    : ` (${attempts} attempts)`;
}

/** The line saying a job runs again: `attempt 1 of 3 failed (exit 1): retrying`. */
export function retryLine(attempt: Attempt, of: number): string {
  const exit = attempt.exitCode === null ? '' : ` (exit ${attempt.exitCode})`;
  const message = attempt.message === null ? '' : `: ${attempt.message}`;
  return `attempt ${attempt.attempt} of ${of} ${statusLabel(attempt.status)}${exit}${message}; retrying`;
}
