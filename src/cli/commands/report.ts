import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { reconcileRun } from '../../engine/reconcile.js';
import { imageReports, timelinePath } from '../../pipeline/collect.js';
import { readPlan } from '../../plan/io.js';
import type { StateLayout } from '../../records/layout.js';
import { readNodeRecords } from '../../records/store.js';
import { jobReport } from '../../report/collect.js';
import type { JobReport, RunReport } from '../../report/model.js';
import { buildSummary } from '../../report/summary.js';
import { timelineHtml } from '../../report/timeline.js';
import { readResults } from '../../results/io.js';
import { jobReportFromResult } from '../../results/merge.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import type { Flags } from '../spec.js';
import { stateLayout } from './run.js';
import { resolveRunId, STATE_DIR } from './runs.js';

/** The flags of `vmplan report`. */
export const REPORT_FLAGS = {
  ...STATE_DIR,
  html: {
    type: 'boolean',
    description:
      "The run's timeline as an HTML page (an SVG bar per image and job, with its phases) instead of the summary.",
  },
  out: {
    type: 'string',
    value: 'PATH|-',
    description:
      'Where to write it (default: the summary to stdout, the HTML to timeline.html in the run folder).',
  },
} as const satisfies Flags;

/**
 * A run as the reports see it: its jobs from its results.json (tests, flaky, earlier results included), or from
 * their records when it has none (a run that ended before its reports were collected).
 */
async function loadRunReport(layout: StateLayout, runId: string): Promise<RunReport> {
  const run = await reconcileRun(layout, runId);
  const plan = readPlan(layout.planFile(runId));
  const records = new Map(readNodeRecords(layout, runId, plan).map((record) => [record.nodeId, record]));
  const resultsPath = layout.resultsFile(runId);
  const results = existsSync(resultsPath) ? readResults(resultsPath) : undefined;
  const jobs = plan.nodes.flatMap((node): JobReport[] => {
    if (node.kind !== 'execute') return [];
    const result = results?.jobs[node.job];
    if (result !== undefined) return [jobReportFromResult(node.job, result)];
    const record = records.get(node.id);
    return record === undefined ? [] : [jobReport(layout, runId, node, record)];
  });
  return { plan, run, jobs, images: imageReports(plan, records), links: {} };
}

/**
 * `vmplan report [RUN] [--html] [--out PATH|-]`: a finished run's job summary (Markdown, as the action writes
 * it), or its timeline as an HTML page.
 */
export async function reportCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('report', args, REPORT_FLAGS);
  const layout = stateLayout(io, values['state-dir']);
  const runId = resolveRunId(layout, positionals[0]);
  const report = await loadRunReport(layout, runId);
  const text = values.html === true ? timelineHtml(report, `vmplan run ${runId}`) : buildSummary(report);
  const out = values.out ?? (values.html === true ? timelinePath(layout.runDir(runId)) : '-');
  if (out === '-') io.stdout(text);
  else {
    const path = resolve(io.cwd, out);
    writeFileAtomic(path, text);
    io.stdout(`${path}\n`);
  }
  return EXIT.ok;
}
