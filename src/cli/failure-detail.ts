import type { PlanNode } from '../plan/schema.js';
import type { StateLayout } from '../records/layout.js';
import type { NodeRecord, RunRecord } from '../records/schema.js';
import { jobDiagnostics, jobReport } from '../report/collect.js';

/** Lines of a failed job's log shown under it in quiet mode. */
const TAIL_LINES = 20;
/** Diagnostics shown under it. */
const DIAGNOSTICS_SHOWN = 10;

/** A text's lines, split at \\n, \\r\\n and a lone \\r alike. */
const splitLines = (text: string): string[] => text.split(/\r\n|\r|\n/);

/**
 * What `--quiet` prints under a job that failed or timed out: the end of its log and the file:line problems vmplan
 * found in it, so a quiet run still says why without a second command.
 */
export function failureDetail(
  layout: StateLayout,
  run: () => Pick<RunRecord, 'runId' | 'snapshotRun'> | undefined,
  repositoryRoot: string,
): (node: PlanNode, record: NodeRecord) => string | undefined {
  return (node, record) => {
    const current = run();
    if (node.kind !== 'execute' || current === undefined) return undefined;
    if (record.status !== 'failed' && record.status !== 'timed_out') return undefined;
    const report = jobReport(layout, current.runId, node, record);
    const lines = report.logTail.replace(/\n$/, '').split('\n');
    const tail = lines.slice(-TAIL_LINES).filter((line, index, all) => line !== '' || index < all.length - 1);
    const diagnostics = jobDiagnostics(
      layout,
      current.runId,
      node,
      layout.snapshotDir(current.snapshotRun),
      repositoryRoot,
    );
    const out: string[] = [];
    if (tail.length > 0 && report.logTail !== '') {
      const cut = lines.length > TAIL_LINES || report.logTruncated;
      out.push(
        `${cut ? `last ${tail.length} lines of` : ''}${cut ? ' ' : ''}${node.job}'s log:`,
        ...tail.map((l) => `  ${l}`),
      );
    }
    if (diagnostics.length > 0) {
      out.push('found in it:');
      for (const found of diagnostics.slice(0, DIAGNOSTICS_SHOWN)) {
        const where = `${found.path}:${found.line}${found.column === undefined ? '' : `:${found.column}`}`;
        // A test failure's message spans lines (JUnit's text): its first line here, the rest indented under it.
        const [first = '', ...more] = splitLines(found.message).filter((line) => line.trim() !== '');
        out.push(
          `  ${where}: ${found.severity}: ${first}${found.title === '' ? '' : ` (${found.title})`}`,
          ...more.map((line) => `      ${line}`),
        );
      }
      if (diagnostics.length > DIAGNOSTICS_SHOWN)
        out.push(`  and ${diagnostics.length - DIAGNOSTICS_SHOWN} more`);
    }
    out.push(`whole log: vmplan logs ${current.runId} ${node.job}`);
    // Every line in the box: a line break (or carriage return) inside one would start a line outside it.
    return `${out
      .flatMap(splitLines)
      .map((line) => `    │ ${line}`)
      .join('\n')}\n`;
  };
}
