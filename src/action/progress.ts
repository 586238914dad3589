import * as core from '@actions/core';
import type { ProgressReporter } from '../engine/run-plan.js';
import type { PlanNode } from '../plan/schema.js';
import { formatDuration } from '../records/render.js';
import type { NodeRecord } from '../records/schema.js';
import type { ActionsLog } from './actions-log.js';

const SYMBOL: Record<string, string> = {
  passed: '✅',
  failed: '❌',
  timed_out: '⏱️',
  cancelled: '⊘',
  skipped: '↷',
};

function label(node: PlanNode): string {
  return node.kind === 'execute' ? node.job : `image ${node.image}`;
}

/** What the action does besides logging when nodes start and end (check runs). */
export interface ProgressHooks {
  started(node: PlanNode, record: NodeRecord): void;
  finished(node: PlanNode, record: NodeRecord): void;
}

/**
 * Progress in the Actions log. One node at a time: each node's live output in its own group. Several at once:
 * live output prefixed with the job id (groups cannot interleave), then each job's end of log replayed in its
 * own collapsed group as it finishes. Job output always flows with workflow commands stopped.
 */
export function actionsProgress(
  log: ActionsLog,
  options: {
    oneAtATime: boolean;
    tail: (node: PlanNode) => string;
    hooks: ProgressHooks;
    record: (nodeId: string) => NodeRecord;
  },
): ProgressReporter {
  const open = new Set<string>();
  return {
    nodeStarted(node) {
      const where =
        node.kind === 'execute' ? `${node.executor}${node.image === null ? '' : `, ${node.image}`}` : 'host';
      if (options.oneAtATime) {
        log.command(() => core.startGroup(`▶ ${label(node)} (${where})`));
        open.add(node.id);
      } else {
        log.line(`▶ ${label(node)} started (${where})`);
      }
      options.hooks.started(node, options.record(node.id));
    },
    nodeFinished(node, record) {
      if (open.delete(node.id)) log.command(() => core.endGroup());
      const duration = record.durationMs === null ? '' : ` in ${formatDuration(record.durationMs)}`;
      const message = record.status === 'passed' || record.message === null ? '' : `: ${record.message}`;
      const status =
        record.status === 'passed' && record.cached === true
          ? 'ready (cached)'
          : record.status.replace('_', ' ');
      log.line(`${SYMBOL[record.status] ?? '•'} ${label(node)} ${status}${duration}${message}`);
      if (!options.oneAtATime && node.kind === 'execute' && record.startedAt !== null) {
        const tail = options.tail(node);
        if (tail !== '') {
          log.command(() => core.startGroup(`${label(node)}: end of its log`));
          void log.untrusted(tail.endsWith('\n') ? tail : `${tail}\n`);
          log.command(() => core.endGroup());
        }
      }
      options.hooks.finished(node, record);
    },
    liveSink(node) {
      return log.sink(options.oneAtATime ? '' : `[${label(node)}] `);
    },
  };
}
