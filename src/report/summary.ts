import { testCounts } from '../parsers/test-summary.js';
import type { Plan } from '../plan/schema.js';
import { formatDuration } from '../records/render.js';
import { STATUS_ICON, statusLabel } from '../records/status-words.js';
import { compareText } from '../util/canonical-json.js';
import { codeSpan, fencedText, markdownInline } from './markdown.js';
import { FAILING, type JobReport, type RunReport, shortDuration, testDuration } from './model.js';
import { ganttChart } from './timeline.js';

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
  // The tests column only when some job has test reports: most runs have none.
  const withTests = report.jobs.some((job) => job.tests !== null);
  const rows = report.jobs.map(
    (job) =>
      `| ${STATUS_ICON[job.status]} ${statusLabel(job.status)}${attemptsCell(job)} | \`${job.job}\`${job.name === undefined ? '' : ` ${escapeCell(job.name)}`} | ${shortDuration(job.durationMs)} | ${job.exitCode ?? '–'} | ${job.executor} |${withTests ? ` ${testsCell(job)} |` : ''} ${report.links.logs === undefined ? '' : logsLink} |`,
  );
  const table = [
    `| status | job | duration | exit | executor |${withTests ? ' tests |' : ''} logs |`,
    `| --- | --- | --- | --- | --- |${withTests ? ' --- |' : ''} --- |`,
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
  const tail = [
    ...testSections(report.jobs, logsLink),
    ...attemptSections(report.jobs),
    ...timelineSection(report),
    ...skippedLines,
    ...excluded,
  ];
  const size = (lines: string[]) => Buffer.byteLength(lines.join('\n'), 'utf8');

  // The table, trimmed when it alone would not fit.
  let shownRows = rows.slice(0, MAX_TABLE_ROWS);
  while (shownRows.length > 0 && size([...fixed, ...shownRows, ...tail]) > budget * 0.5)
    shownRows = shownRows.slice(0, Math.floor(shownRows.length / 2));
  const rowsNote =
    shownRows.length < rows.length
      ? [`| … | ${rows.length - shownRows.length} more job(s) | | | |${withTests ? ' |' : ''} |`]
      : [];

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

/** The run's timeline (a Mermaid gantt chart GitHub draws), when some node started. */
function timelineSection(report: RunReport): string[] {
  const chart = ganttChart(report);
  return chart.length === 0
    ? []
    : ['', "**Timeline** (each node's phases; failed ones in red):", '', ...chart];
}

/** After a retried job's status: ", flaky (2 attempts)" or " (3 attempts)". */
function attemptsCell(job: JobReport): string {
  if (job.attempts.length <= 1) return '';
  return job.flaky ? `, flaky (${job.attempts.length} attempts)` : ` (${job.attempts.length} attempts)`;
}

/** Retried jobs, each attempt with its status, time and message, flaky jobs first. */
function attemptSections(jobs: JobReport[]): string[] {
  const retried = jobs
    .filter((job) => job.attempts.length > 1)
    .sort((a, b) => Number(b.flaky) - Number(a.flaky));
  if (retried.length === 0) return [];
  const flaky = retried.filter((job) => job.flaky).length;
  const lines = ['', `**Retried jobs** (${flaky} flaky):`];
  for (const job of retried) {
    const attempts = job.attempts.map((attempt) => {
      const exit = attempt.exitCode === null ? '' : `, exit ${attempt.exitCode}`;
      const why =
        attempt.status === 'passed' || attempt.message === null
          ? ''
          : `: ${clipTo(firstLine(attempt.message), 120)}`;
      return `${attempt.attempt}. ${statusLabel(attempt.status)} in ${shortDuration(attempt.durationMs)}${exit}${escapeCell(why)}`;
    });
    lines.push(`- \`${job.job}\`${job.flaky ? ' — flaky' : ''}: ${attempts.join('; ')}`);
  }
  return capped(lines, 'retried job');
}

/** The tests cell of a job's row: "11 passed, 1 failed in 3.4 s", or "–". */
function testsCell(job: JobReport): string {
  if (job.tests === null) return '–';
  const time = job.tests.durationMs === null ? '' : ` in ${testDuration(job.tests.durationMs)}`;
  const problems = job.tests.problems.length > 0 ? ' ⚠️' : '';
  return `${testCounts(job.tests)}${time}${problems}`;
}

/** Failed tests shown across all jobs (each job keeps up to 50 in results.json). */
const MAX_FAILED_TEST_ROWS = 50;
/** Slowest tests shown across all jobs. */
const SLOWEST_SHOWN = 10;
/** Longest failure message in a table cell (its first line). */
const MAX_CELL_MESSAGE = 200;

/**
 * The failed tests (job, test, first line of the message, file:line), the slowest tests, and the report files
 * that could not be read; each bounded, with a note when cut.
 */
function testSections(jobs: JobReport[], logsLink: string): string[] {
  const withTests = jobs.filter((job) => job.tests !== null);
  if (withTests.length === 0) return [];
  const lines: string[] = [];
  const failed = withTests.flatMap((job) =>
    job.tests!.failures.map((failure) => ({ job: job.job, failure })),
  );
  const failedCount = withTests.reduce((sum, job) => sum + job.tests!.failed, 0);
  if (failedCount > 0) {
    lines.push('', '**Failed tests:**', '', '| job | test | message | where |', '| --- | --- | --- | --- |');
    for (const { job, failure } of failed.slice(0, MAX_FAILED_TEST_ROWS)) {
      const where = failure.file === null ? '–' : codeSpan(`${failure.file}:${failure.line}`, true);
      const message = escapeCell(clipTo(firstLine(failure.message ?? failure.status), MAX_CELL_MESSAGE));
      lines.push(
        `| \`${job}\` | ${escapeCell(clipTo(failure.test, MAX_CELL_MESSAGE))} | ${message} | ${where} |`,
      );
    }
    const shown = Math.min(failed.length, MAX_FAILED_TEST_ROWS);
    if (failedCount > shown)
      lines.push('', `_${failedCount - shown} more failed test(s): the reports are in the ${logsLink}._`);
  }
  const flaky = withTests.flatMap((job) => job.tests!.flaky.map((test) => ({ job: job.job, test })));
  if (flaky.length > 0) {
    lines.push(
      '',
      '**Flaky tests** (failed in one attempt, passed in another):',
      '',
      '| job | test | attempts |',
      '| --- | --- | --- |',
    );
    for (const { job, test } of flaky.slice(0, MAX_FAILED_TEST_ROWS))
      lines.push(
        `| \`${job}\` | ${escapeCell(clipTo(test.test, MAX_CELL_MESSAGE))} | ${test.history.map((status) => HISTORY_MARK[status]).join(' → ')} |`,
      );
    if (flaky.length > MAX_FAILED_TEST_ROWS)
      lines.push('', `_${flaky.length - MAX_FAILED_TEST_ROWS} more flaky test(s)._`);
  }
  const slowest = withTests
    .flatMap((job) => job.tests!.slowest.map((test) => ({ job: job.job, test })))
    .sort((a, b) => b.test.durationMs - a.test.durationMs || compareText(a.job, b.job))
    .slice(0, SLOWEST_SHOWN);
  if (slowest.length > 0) {
    lines.push(
      '',
      '<details><summary>Slowest tests</summary>',
      '',
      '| job | test | duration |',
      '| --- | --- | --- |',
    );
    for (const { job, test } of slowest)
      lines.push(
        `| \`${job}\` | ${escapeCell(clipTo(test.test, MAX_CELL_MESSAGE))} | ${testDuration(test.durationMs)} |`,
      );
    lines.push('', '</details>');
  }
  const problems = withTests.flatMap((job) =>
    job.tests!.problems.map((problem) => `- \`${job.job}\`: ${escapeCell(clip(problem))}`),
  );
  if (problems.length > 0) lines.push('', '**Test reports not read:**', ...capped(problems, 'problem'));
  return lines;
}

/** A test's status in one attempt, in the flaky-tests table. */
const HISTORY_MARK = { passed: '✅', failed: '❌', skipped: '↷', missing: '–' } as const;

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

function clipTo(text: string, most: number): string {
  return text.length <= most ? text : `${text.slice(0, most)}…`;
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
    `<details><summary>❌ <code>${job.job}</code> ${statusLabel(job.status)}${exit}${job.message === null ? '' : `: ${markdownInline(job.message)}`}</summary>`,
    '',
    trimmed ? '_The end of the log (the whole log is in the logs artifact):_' : '',
    '',
    `${fence}text`,
    fencedText(log).trimEnd(),
    fence,
    '',
    '</details>',
  ].join('\n');
}

/** Job-derived text in a cell or line of the summary: shown, never rendered (see markdown.ts). */
function escapeCell(text: string): string {
  return markdownInline(text);
}
