import type { Plan } from '../plan/schema.js';
import { isFlaky, type NodeRecord, type NodeStatus, type RunRecord } from './schema.js';
import { statusLabel } from './status-words.js';

/** 850 ms, 12.3 s, 4m 05s, 1h 02m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** A plain-text table with padded columns. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The order job counts read in: outcomes first, then what is still to come. */
const COUNT_ORDER: readonly NodeStatus[] = [
  'passed',
  'failed',
  'timed_out',
  'cancelled',
  'skipped',
  'running',
  'pending',
];

/** A run's jobs by status: the recorded counts of a finished run, counted from the jobs' records while it runs. */
export function jobCounts(run: RunRecord, nodes: readonly NodeRecord[]): string {
  const counts: Partial<Record<string, number>> = { ...run.counts };
  if (run.status === 'running') {
    for (const key of Object.keys(counts)) delete counts[key];
    for (const record of nodes)
      if (record.kind === 'execute') counts[record.status] = (counts[record.status] ?? 0) + 1;
  }
  const order = [
    ...COUNT_ORDER,
    ...Object.keys(counts).filter((status) => !COUNT_ORDER.includes(status as NodeStatus)),
  ];
  return order
    .filter((status) => (counts[status] ?? 0) > 0)
    .map((status) => `${counts[status]} ${statusLabel(status)}`)
    .join(', ');
}

/** How long a run took, or has been running: `1m 05s`, `running for 12.0 s`. */
export function runDuration(run: RunRecord, now: Date = new Date()): string {
  if (run.durationMs !== null) return formatDuration(run.durationMs);
  return `running for ${formatDuration(Math.max(0, now.getTime() - Date.parse(run.startedAt)))}`;
}

/** A node's duration cell: its time, how long it has run so far, or `-`. */
function nodeDuration(record: NodeRecord, now: Date): string {
  if (record.durationMs !== null) return formatDuration(record.durationMs);
  if (record.status === 'running' && record.startedAt !== null)
    return `${formatDuration(Math.max(0, now.getTime() - Date.parse(record.startedAt)))} so far`;
  return '-';
}

/**
 * The table of a run: one row per node, with status, duration, exit code and message, then a line on the run
 * (while it runs: its jobs so far, `Run …: running for 12.0 s (1 passed, 1 running, 2 pending)`).
 */
export function renderRunTable(
  run: RunRecord,
  nodes: NodeRecord[],
  plan: Plan,
  now: Date = new Date(),
): string {
  const byId = new Map(plan.nodes.map((node) => [node.id, node]));
  const rows = nodes.map((record) => {
    const node = byId.get(record.nodeId);
    const name = node?.kind === 'prepare' ? `image ${node.image}` : (record.job ?? record.nodeId);
    const status =
      record.status === 'passed' && record.cached === true
        ? 'passed (cached)'
        : isFlaky(record)
          ? `passed (flaky, ${record.attempts!.length} attempts)`
          : (record.attempts?.length ?? 0) > 1
            ? `${record.status} (${record.attempts!.length} attempts)`
            : record.status;
    return [
      name,
      status,
      nodeDuration(record, now),
      record.exitCode === null ? '-' : String(record.exitCode),
      record.executor,
      record.status === 'passed' ? '' : (record.message ?? ''),
    ];
  });
  const counts = jobCounts(run, nodes) || 'no jobs';
  const message = run.message === null ? '' : ` — ${run.message}`;
  const summary =
    run.status === 'running'
      ? `Run ${run.runId}: ${runDuration(run, now)} (${counts})${message}`
      : `Run ${run.runId}: ${run.status} (${counts}) in ${runDuration(run, now)}${message}`;
  return [textTable(['NODE', 'STATUS', 'DURATION', 'EXIT', 'EXECUTOR', 'MESSAGE'], rows), '', summary].join(
    '\n',
  );
}

/** A phase's time: milliseconds under ten seconds ("120 ms", "2.31 s"), else as formatDuration. */
function phaseTime(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : formatDuration(ms);
}

/**
 * `vmplan status --timings`: a table per job of where its time went (phase, start from the job's start,
 * duration, share of the job), its last attempt's when it retried; jobs without timings say so.
 */
export function renderPhaseTables(nodes: NodeRecord[]): string {
  const blocks = nodes.flatMap((record) => {
    if (record.kind !== 'execute' || record.job === null || record.startedAt === null) return [];
    const total = record.durationMs === null ? '' : ` in ${phaseTime(record.durationMs)}`;
    const attempts =
      (record.attempts?.length ?? 0) > 1 ? `, last of ${record.attempts!.length} attempts` : '';
    const title = `${record.job} (${record.executor}, ${statusLabel(record.status)}${total}${attempts})`;
    const phases = record.phases ?? [];
    if (phases.length === 0) return [`${title}\n  no timings recorded`];
    const whole = Math.max(1, ...phases.map((phase) => phase.startMs + phase.ms));
    const rows = phases.map((phase) => [
      phase.phase,
      phaseTime(phase.startMs),
      phaseTime(phase.ms),
      `${Math.round((phase.ms / whole) * 100)}%`,
    ]);
    const table = textTable(['phase', 'start', 'duration', 'share'], rows)
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n');
    return [`${title}\n${table}`];
  });
  return blocks.length === 0 ? 'no job of this run started' : blocks.join('\n\n');
}
