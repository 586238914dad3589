import type { ProgressReporter } from '../engine/run-plan.js';
import type { PlanNode } from '../plan/schema.js';
import { type LiveSink, streamSink } from '../records/job-log.js';
import { formatDuration } from '../records/render.js';
import type { NodeRecord } from '../records/schema.js';
import { nodeLabel, STATUS_SYMBOL, statusLabel } from '../records/status-words.js';

/**
 * Progress for a terminal: a line when each node starts and ends (with its duration), and live job output,
 * prefixed with the job id when several jobs can run at once.
 */
export function consoleProgress(
  out: NodeJS.WritableStream,
  options: { prefixOutput: boolean; quiet: boolean },
): ProgressReporter {
  const time = () => new Date().toISOString().slice(11, 19);
  return {
    nodeStarted(node) {
      const where =
        node.kind === 'execute'
          ? `${node.executor}${node.image === null ? '' : `, ${node.image}`}`
          : node.executor;
      out.write(`${time()} ▶ ${nodeLabel(node)} started (${where})\n`);
    },
    nodeFinished(node: PlanNode, record: NodeRecord) {
      const duration = record.durationMs === null ? '' : ` in ${formatDuration(record.durationMs)}`;
      const status =
        record.status === 'passed' && record.cached === true ? 'ready (cached)' : statusLabel(record.status);
      const message = record.message === null || record.status === 'passed' ? '' : `: ${record.message}`;
      out.write(
        `${time()} ${STATUS_SYMBOL[record.status]} ${nodeLabel(node)} ${status}${duration}${message}\n`,
      );
    },
    liveSink(node): LiveSink | undefined {
      if (options.quiet) return undefined;
      return streamSink(out, options.prefixOutput ? `[${nodeLabel(node)}] ` : '');
    },
  };
}
