import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import type { ArtifactSource } from '../github/artifacts.js';
import type { CheckRunsClient } from '../github/check-runs-client.js';
import { readPlan } from '../plan/io.js';
import type { StateLayout } from '../records/layout.js';
import { buildSummary } from '../report/summary.js';
import { mergeResults } from '../results/merge.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import type { ActionsLog } from './actions-log.js';
import { checkRunsFactory } from './check-runs.js';
import type { ActionInputs } from './inputs.js';
import { emitAnnotations, finishWithResults, writeSummary } from './outputs.js';
import { otherRun, planAndResultsOf } from './plan-source.js';
import type { WorkflowContext } from './workflow-context.js';

/**
 * `mode: report`: downloads every results.json of a workflow run (this one, or `results-from` — e.g. the run that
 * triggered a workflow_run, so fork PRs get check runs from a workflow with a write token), merges them over the
 * run's plan, and writes one summary, one set of annotations and the check runs. A shard that did not report
 * makes its jobs count as not run. The passed jobs' durations are written for the next plan's shards.
 */
export async function reportStep(
  inputs: ActionInputs,
  context: WorkflowContext,
  layout: StateLayout,
  log: ActionsLog,
): Promise<void> {
  const source: ArtifactSource =
    inputs['results-from'] === undefined
      ? { kind: 'this-run' }
      : otherRun(inputs, context, inputs['results-from']);
  const folder = join(layout.root, 'downloads', `report-${Date.now()}`);
  mkdirSync(folder, { recursive: true });
  const given =
    inputs.plan === undefined ? undefined : readPlan(resolve(context.workspace, inputs.plan), inputs.plan);
  const { plan: found, results, problems } = await planAndResultsOf(source, folder, given?.planId);
  const plan = given ?? found;
  const merged = mergeResults(plan, results);
  log.line(`Merged ${results.length} results.json for plan ${plan.planId.slice(0, 12)}: ${merged.status}`);
  for (const note of [...problems, ...merged.problems]) log.line(`note: ${note}`);
  const durationsPath = join(layout.root, 'durations.json');
  writeJsonAtomic(
    durationsPath,
    Object.fromEntries(
      merged.jobs.flatMap((job) =>
        job.status === 'passed' && job.durationMs !== null ? [[job.job, job.durationMs]] : [],
      ),
    ),
  );
  core.setOutput('durations-path', durationsPath);

  const makeChecks = checkRunsFactory(inputs, context, log, plan.source.commit);
  const checks: CheckRunsClient | undefined = makeChecks?.(join(folder, 'checks.json'));
  if (checks !== undefined) {
    const now = new Date().toISOString();
    for (const job of merged.jobs)
      await checks.finished(
        job,
        merged.annotations.filter((a) => a.job === job.job),
        now,
      );
  }
  emitAnnotations(log, merged.annotations, {
    warning: log.warnings,
    error: merged.jobs.some((job) => job.status !== 'passed') ? 1 : 0,
  });
  await writeSummary(
    buildSummary({
      plan,
      run: undefined,
      jobs: merged.jobs,
      links: {},
      merged: { status: merged.status, results: results.length },
      notes: [...problems, ...merged.problems],
    }),
  );
  finishWithResults(merged.status, merged.jobs);
}
