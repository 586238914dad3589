import type { PlanNode } from '../plan/schema.js';
import type { NodeStatus, RunStatus } from './schema.js';

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
