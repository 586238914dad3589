import type { ProgressReporter } from '../engine/run-plan.js';
import type { PlanNode } from '../plan/schema.js';
import { type LiveSink, prefixLines, writeOrWait } from '../records/job-log.js';
import { formatDuration } from '../records/render.js';
import type { Attempt, NodeRecord, NodeStatus } from '../records/schema.js';
import { attemptsNote, nodeLabel, retryLine, STATUS_SYMBOL, statusLabel } from '../records/status-words.js';
import { terminalText } from '../util/control-text.js';
import { painter, type Style, type TerminalMode } from './terminal.js';

/** Silence after which a running job gets a "still running" line. */
export const HEARTBEAT_MS = 30_000;
/** How often the live status line is redrawn. */
const REDRAW_MS = 1_000;
/** Erases the terminal row the cursor is on and returns to its start. */
const CLEAR_ROW = '\r\x1b[2K';

const STATUS_STYLE: Record<NodeStatus, Style> = {
  pending: 'gray',
  running: 'cyan',
  passed: 'green',
  failed: 'red',
  timed_out: 'yellow',
  cancelled: 'gray',
  skipped: 'gray',
};

/** Options for the console's progress. */
export interface ConsoleProgressOptions {
  /** Put `[job] ` before each line of job output (several jobs at once). */
  prefixOutput: boolean;
  /** Progress lines only, not the jobs' output. */
  quiet: boolean;
  mode: TerminalMode;
  /** Nodes in the plan, for the counts of the status line. */
  total: number;
  /** Silence before a "still running" line (default 30 s). */
  heartbeatMs?: number;
  /** In quiet mode, what to print under a job that failed: the end of its log and what vmplan found in it. */
  failureDetail?: (node: PlanNode, record: NodeRecord) => string | undefined;
}

/** Progress for a console, with a way to print other lines and to end it. */
export interface ConsoleProgress extends ProgressReporter {
  /** Prints whole lines of vmplan's own without breaking the status line. */
  print(text: string): void;
  /** Removes the status line and stops the timers (before the final table). */
  stop(): void;
}

/** A running node as the console sees it. */
export interface Running {
  label: string;
  startedAt: number;
  /** When the node last printed something, or last got a heartbeat line. */
  lastSign: number;
}

/**
 * Progress for a console: a line when each node starts and ends, live job output (prefixed with the job when
 * several can run at once), a "still running" line for a job silent for 30 s, and on an interactive terminal a
 * status line at the bottom (running jobs, counts, elapsed time) redrawn in place. Colours follow the mode.
 */
export function consoleProgress(
  out: NodeJS.WritableStream,
  options: ConsoleProgressOptions,
): ConsoleProgress {
  const paint = painter(options.mode);
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const startedAt = Date.now();
  const running = new Map<string, Running>();
  const finished: Partial<Record<NodeStatus, number>> = {};
  let statusShown = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const time = () => paint('gray', new Date().toISOString().slice(11, 19));
  const statusText = (): string =>
    statusLine(
      { running: [...running.values()], finished, total: options.total, startedAt },
      Date.now(),
      options.mode.columns,
    );
  /** Writes text above the status line (job output among it: controls made visible, SGR kept), then the line. */
  const emit = (raw: string): Promise<void> | undefined => {
    const text = terminalText(raw, { keepSgr: true });
    if (!options.mode.live || stopped) return writeOrWait(out, text);
    const line = running.size > 0 ? paint('dim', statusText()) : '';
    statusShown = line !== '';
    return writeOrWait(out, `${CLEAR_ROW}${text}${line}`);
  };
  const tick = () => {
    const now = Date.now();
    for (const node of running.values()) {
      if (options.mode.live || now - node.lastSign < heartbeatMs) continue;
      node.lastSign = now;
      const elapsed = formatDuration(now - node.startedAt);
      emit(
        `${time()} ${paint('gray', '…')} ${node.label} still running (${elapsed}, nothing printed for ${formatDuration(heartbeatMs)})\n`,
      );
    }
    if (options.mode.live && running.size > 0) emit('');
  };
  const startTimer = () => {
    if (timer !== undefined || stopped) return;
    timer = setInterval(tick, Math.min(REDRAW_MS, heartbeatMs));
    timer.unref();
  };

  return {
    nodeStarted(node) {
      const where =
        node.kind === 'execute'
          ? `${node.executor}${node.image === null ? '' : `, ${node.image}`}`
          : node.executor;
      const now = Date.now();
      running.set(node.id, { label: nodeLabel(node), startedAt: now, lastSign: now });
      startTimer();
      emit(`${time()} ${paint('cyan', '▶')} ${paint('bold', nodeLabel(node))} started (${where})\n`);
    },
    nodeFinished(node: PlanNode, record: NodeRecord) {
      running.delete(node.id);
      finished[record.status] = (finished[record.status] ?? 0) + 1;
      const duration = record.durationMs === null ? '' : ` in ${formatDuration(record.durationMs)}`;
      const status =
        record.status === 'passed' && record.cached === true ? 'ready (cached)' : statusLabel(record.status);
      const message = record.message === null || record.status === 'passed' ? '' : `: ${record.message}`;
      const style = STATUS_STYLE[record.status];
      const detail = options.quiet ? options.failureDetail?.(node, record) : undefined;
      emit(
        `${time()} ${paint(style, STATUS_SYMBOL[record.status])} ${paint('bold', nodeLabel(node))} ${paint(style, status)}${duration}${attemptsNote(record)}${message}\n${detail ?? ''}`,
      );
    },
    nodeRetrying(node: PlanNode, attempt: Attempt, of: number) {
      emit(`${time()} ${paint('yellow', '↻')} ${paint('bold', nodeLabel(node))} ${retryLine(attempt, of)}\n`);
    },
    liveSink(node): LiveSink {
      const prefix = options.prefixOutput ? paint('cyan', `[${nodeLabel(node)}] `) : '';
      return {
        write(text) {
          const entry = running.get(node.id);
          if (entry !== undefined) entry.lastSign = Date.now();
          if (options.quiet) return;
          return emit(prefixLines(text, prefix));
        },
      };
    },
    print(text) {
      emit(text);
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      if (statusShown && !stopped) writeOrWait(out, CLEAR_ROW);
      stopped = true;
    },
  };
}

/** What the status line shows. */
export interface StatusState {
  running: readonly Running[];
  finished: Partial<Record<NodeStatus, number>>;
  total: number;
  startedAt: number;
}

/**
 * The status line: "2 running: build 0:12, test 0:03 · 3 passed · 1 failed · 4 waiting · 0:42", cut to the
 * terminal's width (one row, so it can be redrawn in place).
 */
export function statusLine(state: StatusState, now: number, columns: number): string {
  const clock = (ms: number) => {
    const seconds = Math.floor(ms / 1000);
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  };
  const done = Object.values(state.finished).reduce((sum, count) => sum + (count ?? 0), 0);
  const waiting = Math.max(0, state.total - done - state.running.length);
  const tail: string[] = [];
  for (const status of ['passed', 'failed', 'timed_out', 'cancelled', 'skipped'] as const) {
    const count = state.finished[status] ?? 0;
    if (count > 0) tail.push(`${count} ${statusLabel(status)}`);
  }
  if (waiting > 0) tail.push(`${waiting} waiting`);
  tail.push(clock(now - state.startedAt));
  const width = Math.max(40, columns - 1);
  const head = `${state.running.length} running: `;
  const end = ` · ${tail.join(' · ')}`;
  let jobs = [...state.running]
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((job) => `${job.label} ${clock(now - job.startedAt)}`)
    .join(', ');
  // The running jobs give way first: the counts and the clock always show.
  const room = width - head.length - end.length;
  if (jobs.length > room) jobs = `${jobs.slice(0, Math.max(0, room - 1))}…`;
  const line = `${head}${jobs}${end}`;
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
