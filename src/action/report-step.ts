import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ArtifactSource } from '../github/artifacts.js';
import type { CheckRunsClient } from '../github/check-runs-client.js';
import { readPlan } from '../plan/io.js';
import type { StateLayout } from '../records/layout.js';
import type { Annotation } from '../report/annotations.js';
import { checkRunCompletion } from '../report/check-runs.js';
import type { JobReport } from '../report/model.js';
import { buildSummary } from '../report/summary.js';
import { mergeResults } from '../results/merge.js';
import { writeJsonAtomic } from '../util/atomic-write.js';
import type { ActionsLog } from './actions-log.js';
import { checkRunsFactory } from './check-runs.js';
import type { ActionInputs } from './inputs.js';
import { setOutput } from './metadata.js';
import { otherRunFacts } from './other-run.js';
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
  const from = inputs['results-from'];
  // Another run's artifacts are its workflow's: GitHub says which commit it ran, before any of them is read.
  const facts = from === undefined ? undefined : await otherRunFacts(inputs, context, from);
  const source: ArtifactSource = from === undefined ? { kind: 'this-run' } : otherRun(inputs, context, from);
  const folder = join(layout.root, 'downloads', `report-${Date.now()}`);
  mkdirSync(folder, { recursive: true });
  const given =
    inputs.plan === undefined ? undefined : readPlan(resolve(context.workspace, inputs.plan), inputs.plan);
  const { plan: found, results, problems } = await planAndResultsOf(source, folder, given?.planId);
  const plan = given ?? found;
  const merged = mergeResults(plan, results);
  log.line(`Merged ${results.length} results.json for plan ${plan.planId.slice(0, 12)}: ${merged.status}`);
  for (const note of [...problems, ...merged.problems]) log.line(`note: ${note}`);
  setOutput('durations-path', writeDurations(layout, merged.jobs));
  // Check runs go on the commit GitHub names (this run's event, or the other run's head), never a plan's
  // `source.commit`: a forged plan would put a check on any commit.
  const headSha = facts === undefined ? context.headSha : facts.headSha;
  const checks = checkRunsFactory(inputs, context, log, headSha)?.(join(folder, 'checks.json'));
  if (checks !== undefined) await completeCheckRuns(checks, merged.jobs, merged.annotations);
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

/** Writes the passed jobs' durations (job id → ms) for the next plan's shards; returns the file's path. */
function writeDurations(layout: StateLayout, jobs: JobReport[]): string {
  const path = layout.durationsFile;
  writeJsonAtomic(
    path,
    Object.fromEntries(
      jobs.flatMap((job) =>
        job.status === 'passed' && job.durationMs !== null ? [[job.job, job.durationMs]] : [],
      ),
    ),
  );
  return path;
}

/** One completed check run per job of the merged results. */
async function completeCheckRuns(
  checks: CheckRunsClient,
  jobs: JobReport[],
  annotations: Annotation[],
): Promise<void> {
  const now = new Date().toISOString();
  for (const job of jobs) {
    const own = annotations.filter((annotation) => annotation.job === job.job);
    await checks.finished(job.job, checkRunCompletion(job, own), now);
  }
}
