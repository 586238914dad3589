import * as core from '@actions/core';
import type { ProgressReporter } from '../engine/run-plan.js';
import type { PlanNode } from '../plan/schema.js';
import { formatDuration } from '../records/render.js';
import { attemptsNote, nodeLabel, retryLine, STATUS_ICON, statusLabel } from '../records/status-words.js';
import type { ActionsLog } from './actions-log.js';

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
  },
): ProgressReporter {
  const open = new Set<string>();
  return {
    nodeStarted(node) {
      const where =
        node.kind === 'execute'
          ? `${node.executor}${node.image === null ? '' : `, ${node.image}`}`
          : node.executor;
      if (options.oneAtATime) {
        log.command(() => core.startGroup(`▶ ${nodeLabel(node)} (${where})`));
        open.add(node.id);
      } else {
        log.line(`▶ ${nodeLabel(node)} started (${where})`);
      }
    },
    nodeFinished(node, record) {
      if (open.delete(node.id)) log.command(() => core.endGroup());
      const duration = record.durationMs === null ? '' : ` in ${formatDuration(record.durationMs)}`;
      const message = record.status === 'passed' || record.message === null ? '' : `: ${record.message}`;
      const status =
        record.status === 'passed' && record.cached === true ? 'ready (cached)' : statusLabel(record.status);
      log.line(
        `${STATUS_ICON[record.status]} ${nodeLabel(node)} ${status}${duration}${attemptsNote(record)}${message}`,
      );
      if (!options.oneAtATime && node.kind === 'execute' && record.startedAt !== null) {
        const tail = options.tail(node);
        if (tail !== '') {
          log.command(() => core.startGroup(`${nodeLabel(node)}: end of its log`));
          void log.untrusted(tail.endsWith('\n') ? tail : `${tail}\n`);
          log.command(() => core.endGroup());
        }
      }
    },
    nodeRetrying(node, attempt, of) {
      log.line(`↻ ${nodeLabel(node)} ${retryLine(attempt, of)}`);
    },
    liveSink(node) {
      return log.sink(options.oneAtATime ? '' : `[${nodeLabel(node)}] `);
    },
  };
}
