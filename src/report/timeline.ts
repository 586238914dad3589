import type { NodeStatus, Phase, PhaseName } from '../records/schema.js';
import { statusLabel } from '../records/status-words.js';
import { type RunReport, shortDuration, testDuration } from './model.js';

/** One prepare or execute node on the run's timeline. */
export interface TimelineBar {
  /** `job build`, `image debian`. */
  label: string;
  kind: 'image' | 'job';
  status: NodeStatus;
  /** Epoch milliseconds. */
  start: number;
  ms: number;
  /** Its phases (absolute, epoch milliseconds); empty when not known. */
  phases: { phase: PhaseName; start: number; ms: number }[];
}

/** Most bars in the summary's Mermaid chart: GitHub renders a taller one unreadably small. */
export const MAX_GANTT_BARS = 40;
/** Most bars in the HTML timeline. */
export const MAX_HTML_BARS = 2000;

/** Fill colours of the phases in the HTML timeline. */
const PHASE_COLOURS: Record<PhaseName, string> = {
  prepare: '#9ca3af',
  hypervisor: '#f59e0b',
  boot: '#fb923c',
  setup: '#a78bfa',
  vm: '#fbbf24',
  command: '#3b82f6',
  collect: '#14b8a6',
  shutdown: '#f472b6',
  finish: '#6b7280',
};

/** The nodes that started, in start order (images first on ties): what the timeline draws. */
export function timelineBars(report: RunReport): TimelineBar[] {
  const bars: TimelineBar[] = [];
  for (const image of report.images ?? []) {
    const start = image.startedAt == null ? Number.NaN : Date.parse(image.startedAt);
    if (Number.isNaN(start) || image.durationMs === null) continue;
    bars.push({
      label: `image ${image.image}`,
      kind: 'image',
      status: image.status,
      start,
      ms: image.durationMs,
      phases: [],
    });
  }
  for (const job of report.jobs) {
    const start = job.startedAt == null ? Number.NaN : Date.parse(job.startedAt);
    if (Number.isNaN(start) || job.durationMs === null) continue;
    bars.push({
      label: `job ${job.job}`,
      kind: 'job',
      status: job.status,
      start,
      ms: job.durationMs,
      phases: absolute(start, job.phases ?? []),
    });
  }
  return bars.sort((a, b) => a.start - b.start || (a.kind === b.kind ? 0 : a.kind === 'image' ? -1 : 1));
}

function absolute(start: number, phases: readonly Phase[]): TimelineBar['phases'] {
  return phases.map((phase) => ({ phase: phase.phase, start: start + phase.startMs, ms: phase.ms }));
}

/** Failed and timed-out bars are marked: they are what a reader looks for. */
function failedBar(bar: TimelineBar): boolean {
  return bar.status === 'failed' || bar.status === 'timed_out';
}

/**
 * The bars a chart of at most `most` bars shows: the failed ones first, then the longest, drawn in start order;
 * with how many were left out.
 */
export function chartBars(
  bars: readonly TimelineBar[],
  most: number,
): { shown: TimelineBar[]; left: number } {
  if (bars.length <= most) return { shown: [...bars], left: 0 };
  const ranked = [...bars].sort(
    (a, b) => Number(failedBar(b)) - Number(failedBar(a)) || b.ms - a.ms || a.start - b.start,
  );
  const kept = new Set(ranked.slice(0, most));
  return { shown: bars.filter((bar) => kept.has(bar)), left: bars.length - most };
}

/** A Mermaid name: no character Mermaid's gantt syntax gives a meaning to (`:`, `#`, `;`, line breaks…). */
function mermaidName(text: string): string {
  return text.replace(/[^A-Za-z0-9 _.()-]/g, '_');
}

/**
 * The run's timeline as a Mermaid `gantt` chart for the job summary (GitHub renders it): a section per node,
 * a bar per phase (the whole node when its phases are unknown), failed nodes marked `crit`. At most `most` nodes
 * (failed first, then the longest), saying how many more the HTML timeline has. Empty when nothing started.
 */
export function ganttChart(report: RunReport, most = MAX_GANTT_BARS): string[] {
  const bars = timelineBars(report);
  if (bars.length === 0) return [];
  const { shown, left } = chartBars(bars, most);
  const span = Math.max(...bars.map((bar) => bar.start + bar.ms)) - Math.min(...bars.map((bar) => bar.start));
  const lines = [
    '```mermaid',
    'gantt',
    '  dateFormat x',
    `  axisFormat ${span >= 3_600_000 ? '%H:%M' : '%H:%M:%S'}`,
  ];
  for (const bar of shown) {
    const tag = failedBar(bar) ? 'crit, ' : bar.status === 'passed' ? 'done, ' : 'active, ';
    lines.push(`  section ${mermaidName(`${bar.label} (${statusLabel(bar.status)})`)}`);
    const parts = bar.phases.filter((phase) => phase.ms > 0);
    const pieces =
      parts.length === 0
        ? [{ phase: bar.kind === 'image' ? 'prepare' : 'run', start: bar.start, ms: bar.ms }]
        : parts;
    for (const piece of pieces)
      lines.push(
        `  ${mermaidName(`${piece.phase} ${testDuration(piece.ms)}`)} :${tag}${Math.round(piece.start)}, ${Math.round(piece.start + Math.max(1, piece.ms))}`,
      );
  }
  lines.push('```');
  if (left > 0)
    lines.push(
      '',
      `_${left} more node(s) not drawn (the chart shows the failed and the longest ${shown.length}); the HTML timeline in the logs artifact has all of them._`,
    );
  return lines;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Axis ticks: a round step giving about eight ticks over `span` milliseconds. */
export function tickStep(span: number): number {
  const steps = [
    100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
  ];
  return steps.find((step) => span / step <= 8) ?? Math.ceil(span / 8 / 600_000) * 600_000;
}

/**
 * The run's timeline as one self-contained HTML page with an SVG: a row per node (at most MAX_HTML_BARS, failed
 * first then the longest, saying how many were left out), its phases coloured, failed rows outlined in red,
 * each piece titled with its phase and duration. Every name is escaped: job names and messages come from the
 * jobs file.
 */
export function timelineHtml(report: RunReport, title: string): string {
  const bars = timelineBars(report);
  const { shown, left } = chartBars(bars, MAX_HTML_BARS);
  const origin = bars.length === 0 ? 0 : Math.min(...bars.map((bar) => bar.start));
  const span = Math.max(1, ...bars.map((bar) => bar.start + bar.ms - origin));
  const labelWidth = 220;
  const width = 1000;
  const rowHeight = 20;
  const top = 30;
  const x = (at: number) => labelWidth + ((at - origin) / span) * (width - labelWidth - 10);
  const svg: string[] = [];
  const step = tickStep(span);
  for (let tick = 0; tick <= span; tick += step) {
    svg.push(
      `<line x1="${x(origin + tick).toFixed(1)}" y1="${top - 5}" x2="${x(origin + tick).toFixed(1)}" y2="${top + shown.length * rowHeight}" stroke="#e5e7eb"/>`,
      `<text x="${x(origin + tick).toFixed(1)}" y="${top - 10}" font-size="11" text-anchor="middle">${escapeXml(shortDuration(tick))}</text>`,
    );
  }
  shown.forEach((bar, row) => {
    const y = top + row * rowHeight;
    const failed = failedBar(bar);
    svg.push(
      `<text x="${labelWidth - 6}" y="${y + 14}" font-size="12" text-anchor="end"${failed ? ' fill="#b91c1c"' : ''}>${escapeXml(bar.label)}</text>`,
    );
    const pieces =
      bar.phases.length === 0 ? [{ phase: 'run' as const, start: bar.start, ms: bar.ms }] : bar.phases;
    for (const piece of pieces) {
      const colour = piece.phase === 'run' ? '#60a5fa' : PHASE_COLOURS[piece.phase];
      svg.push(
        `<rect x="${x(piece.start).toFixed(1)}" y="${y + 3}" width="${Math.max(0.5, x(piece.start + piece.ms) - x(piece.start)).toFixed(1)}" height="${rowHeight - 6}" fill="${colour}"><title>${escapeXml(`${bar.label}: ${piece.phase} ${testDuration(piece.ms)}`)}</title></rect>`,
      );
    }
    svg.push(
      `<rect x="${x(bar.start).toFixed(1)}" y="${y + 2}" width="${Math.max(0.5, x(bar.start + bar.ms) - x(bar.start)).toFixed(1)}" height="${rowHeight - 4}" fill="none" stroke="${failed ? '#dc2626' : '#374151'}" stroke-width="${failed ? 2 : 0.5}"><title>${escapeXml(`${bar.label}: ${statusLabel(bar.status)} in ${shortDuration(bar.ms)}`)}</title></rect>`,
    );
  });
  const height = top + shown.length * rowHeight + 10;
  const legend = Object.entries(PHASE_COLOURS)
    .map(([phase, colour]) => `<span><i style="background:${colour}"></i>${escapeXml(phase)}</span>`)
    .join(' ');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeXml(title)}</title>`,
    '<style>body{font:14px system-ui,sans-serif;margin:1.5em}i{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:middle}svg text{font-family:ui-monospace,monospace}</style>',
    '</head><body>',
    `<h1>${escapeXml(title)}</h1>`,
    `<p>${bars.length} node(s) over ${escapeXml(shortDuration(span))}; failed ones outlined in red. Hover a bar for its phase and duration.</p>`,
    left > 0 ? `<p>${left} more node(s) not drawn (the failed and the longest ${shown.length} are).</p>` : '',
    `<p>${legend}</p>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    ...svg,
    '</svg>',
    '</body></html>',
    '',
  ].join('\n');
}
