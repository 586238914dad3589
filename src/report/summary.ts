import type { Plan } from '../plan/schema.js';
import { formatDuration } from '../records/render.js';
import { STATUS_ICON, statusLabel } from '../records/status-words.js';
import { FAILING, type JobReport, type RunReport, shortDuration } from './model.js';

/** GitHub drops a step summary over 1 MiB; stay well under it. */
export const SUMMARY_BUDGET_BYTES = 1_000_000;
/** At most this much of each failed job's log goes into the summary. */
const LOG_TAIL_BYTES = 16 * 1024;
const MAX_TABLE_ROWS = 500;

/**
 * The job summary: the result table, the plan (id, link, exclusions), why `paths` filters did or did not apply,
 * and the end of each failed job's log in a collapsed section. Always within `budget` bytes, whatever the log
 * sizes: logs are trimmed first, then table rows, each with a note.
 */
export function buildSummary(report: RunReport, budget = SUMMARY_BUDGET_BYTES): string {
  const { plan, run } = report;
  const head: string[] = [];
  const counts =
    run === undefined
      ? ''
      : ` — ${Object.entries(run.counts)
          .map(([status, n]) => `${n} ${statusLabel(status)}`)
          .join(', ')}`;
  const title =
    report.merged !== undefined
      ? `report: ${report.merged.status} — ${report.merged.results} result(s) merged`
      : run === undefined
        ? 'plan'
        : `run: ${run.status}${counts}`;
  head.push(`## vmplan ${title}`, '');
  head.push(planLine(plan, report.links.plan));
  if (run !== undefined)
    head.push(
      `Run \`${run.runId}\` in ${shortDuration(run.durationMs)}${run.message === null ? '' : ` — ${escapeCell(run.message)}`}.`,
    );
  for (const note of capped(report.notes ?? [], 'note')) head.push(`> ⚠️ ${escapeCell(clip(note))}`, '');
  if (report.images !== undefined && report.images.length > 0) {
    const images = report.images.map((image) => {
      const how =
        image.status !== 'passed'
          ? `${statusLabel(image.status)}${image.message === null ? '' : `: ${escapeCell(image.message)}`}`
          : image.cached
            ? 'from the cache'
            : 'built';
      return `\`${image.image}\` ${how} (${image.durationMs === null ? '–' : formatDuration(image.durationMs)})`;
    });
    head.push(`Images: ${images.join(', ')}.`);
  }
  if (!plan.scope.changes.known)
    head.push(
      `Changed files unknown (${escapeCell(plan.scope.changes.reason)}): no job was filtered out by \`paths\`.`,
    );
  head.push('');

  const logsLink = report.links.logs === undefined ? 'logs artifact' : `[logs](${report.links.logs})`;
  const rows = report.jobs.map(
    (job) =>
      `| ${STATUS_ICON[job.status]} ${statusLabel(job.status)} | \`${job.job}\` | ${shortDuration(job.durationMs)} | ${job.exitCode ?? '–'} | ${job.executor} | ${report.links.logs === undefined ? '' : logsLink} |`,
  );
  const table = [
    '| status | job | duration | exit | executor | logs |',
    '| --- | --- | --- | --- | --- | --- |',
  ];

  const excluded =
    plan.excluded.length === 0
      ? []
      : [
          '',
          '<details><summary>Excluded jobs</summary>',
          '',
          ...capped(
            plan.excluded.map((entry) => `- \`${entry.job}\`: ${escapeCell(clip(entry.message))}`),
            'excluded job',
          ),
          '',
          '</details>',
        ];
  const skipped = report.jobs.filter((job) => job.status === 'skipped' || job.status === 'cancelled');
  const skippedLines =
    skipped.length === 0
      ? []
      : [
          '',
          '**Not run:**',
          ...capped(
            skipped.map((job) => `- \`${job.job}\` ${job.status}: ${escapeCell(clip(job.message ?? ''))}`),
            'job',
          ),
        ];

  const failed = report.jobs.filter(
    (job) => FAILING.includes(job.status) && job.status !== 'skipped' && job.status !== 'cancelled',
  );
  const fixed = [...head, ...table];
  const tail = [...skippedLines, ...excluded];
  const size = (lines: string[]) => Buffer.byteLength(lines.join('\n'), 'utf8');

  // The table, trimmed when it alone would not fit.
  let shownRows = rows.slice(0, MAX_TABLE_ROWS);
  while (shownRows.length > 0 && size([...fixed, ...shownRows, ...tail]) > budget * 0.5)
    shownRows = shownRows.slice(0, Math.floor(shownRows.length / 2));
  const rowsNote =
    shownRows.length < rows.length ? [`| … | ${rows.length - shownRows.length} more job(s) | | | | |`] : [];

  const body = [...fixed, ...shownRows, ...rowsNote, ...tail];
  let remaining = budget - size(body) - 200;
  const sections: string[] = [];
  for (const job of failed) {
    const section = failureSection(job, Math.min(LOG_TAIL_BYTES, Math.max(0, remaining - 400)));
    const bytes = Buffer.byteLength(section, 'utf8');
    if (bytes > remaining) {
      sections.push(`\n_${failed.length - sections.length} more failed job(s): see the ${logsLink}._`);
      break;
    }
    sections.push(section);
    remaining -= bytes;
  }
  return `${[...body, ...sections].join('\n')}\n`;
}

/** At most this many lines per list (excluded jobs, jobs not run, notes), so lists never crowd out the table. */
const MAX_LIST_LINES = 200;
/** Longest message shown per list line. */
const MAX_LIST_MESSAGE = 500;

/** The first lines of a list, with a line saying how many more there are. */
function capped(lines: string[], what: string): string[] {
  if (lines.length <= MAX_LIST_LINES) return lines;
  return [...lines.slice(0, MAX_LIST_LINES), `- … and ${lines.length - MAX_LIST_LINES} more ${what}(s)`];
}

function clip(message: string): string {
  return message.length <= MAX_LIST_MESSAGE ? message : `${message.slice(0, MAX_LIST_MESSAGE)}…`;
}

function planLine(plan: Plan, link: string | undefined): string {
  const jobs = plan.nodes.filter((node) => node.kind === 'execute').length;
  const images = plan.nodes.length - jobs;
  const id =
    link === undefined ? `\`${plan.planId.slice(0, 12)}\`` : `[\`${plan.planId.slice(0, 12)}\`](${link})`;
  return `Plan ${id}: ${jobs} job(s), ${images} image(s), ${plan.stages.length} stage(s), ${plan.excluded.length} excluded.`;
}

/** A collapsed section with the end of a failed job's log. */
function failureSection(job: JobReport, maxLogBytes: number): string {
  const exit = job.exitCode === null ? '' : `, exit ${job.exitCode}`;
  let log = job.logTail;
  let trimmed = job.logTruncated;
  if (Buffer.byteLength(log, 'utf8') > maxLogBytes) {
    log = Buffer.from(log, 'utf8')
      .subarray(-maxLogBytes)
      .toString('utf8')
      .replace(/^[^\n]*\n/, '');
    trimmed = true;
  }
  const fence = '```';
  return [
    '',
    `<details><summary>❌ <code>${job.job}</code> ${statusLabel(job.status)}${exit}${job.message === null ? '' : `: ${escapeHtml(job.message)}`}</summary>`,
    '',
    trimmed ? '_The end of the log (the whole log is in the logs artifact):_' : '',
    '',
    `${fence}text`,
    log.replaceAll(fence, "'''").trimEnd(),
    fence,
    '',
    '</details>',
  ].join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/[|<>]/g, (char) => `\\${char}`);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
