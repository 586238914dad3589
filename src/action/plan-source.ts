import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type LoadedJobsFile, loadJobsFile, loadJobsText } from '../config/load.js';
import { platformExecutor } from '../context/local-context.js';
import { resolveOciTags } from '../context/oci-tags.js';
import { InputError } from '../errors.js';
import { type ArtifactSource, downloadArtifact, listArtifacts } from '../github/artifacts.js';
import { buildPlan, planIdOf } from '../plan/build.js';
import { readPlan } from '../plan/io.js';
import { otherRunTrust, recordedTrust } from '../plan/run-trust.js';
import type { Plan } from '../plan/schema.js';
import { selectFromPlan } from '../plan/select.js';
import { shardPlan } from '../plan/shard.js';
import { cappedBy, type TrustPolicy } from '../plan/trust.js';
import { readDurations } from '../results/durations.js';
import { readResults } from '../results/io.js';
import { mergeResults } from '../results/merge.js';
import type { JobResult, Results } from '../results/schema.js';
import { changedFiles } from './changed-files.js';
import { type ActionInputs, isInlineJobs } from './inputs.js';
import { otherRunFacts } from './other-run.js';
import { planSource, type WorkflowContext } from './workflow-context.js';

/** How a job ended in the run a rerun repeats: what tells a flaky job or test. */
export type EarlierJob = Pick<JobResult, 'status' | 'tests'>;

/** The plan a run step executes, and where it came from. */
export interface PlanForRun {
  plan: Plan;
  /** The plan as given or made, before sharding: what results.json refers to. */
  basePlan: Plan;
  /** Whether this step made the plan (and so publishes it). */
  publish: boolean;
  /** Where each job is defined (for annotations on the jobs file), when the plan was made from one here. */
  locate: (job: string) => { file: string; line: number } | undefined;
  /** For rerun-failed-from: the workflow run repeated. */
  rerunOf: string | undefined;
  /** For rerun-failed-from: how each job ended there (to tell the jobs and tests that flipped). */
  earlier?: { sameCode: boolean; jobs: Readonly<Record<string, EarlierJob>> };
  /** Things the user should know about how the plan was made (shown as notices). */
  notes: string[];
  /**
   * What the run may do: this step's trust, no more than a rerun's earlier run (as GitHub says it was) and the
   * trust a given or rerun plan was made under.
   */
  trust: TrustPolicy;
}

/**
 * The plan for this step: made from the jobs input; or read from the `plan` input; or, with `rerun-failed-from`,
 * the plan of that workflow run narrowed to the jobs that did not pass there. Then `only` and `shard` narrow it.
 */
export async function planForRun(
  inputs: ActionInputs,
  context: WorkflowContext,
  workFolder: string,
  trust: TrustPolicy,
): Promise<PlanForRun> {
  if (
    inputs.durations !== undefined &&
    (inputs.plan !== undefined || inputs['rerun-failed-from'] !== undefined)
  ) {
    throw new InputError(
      'input "durations": durations are recorded in the plan when it is made (so every shard splits it the same way); give them to the step that plans',
    );
  }
  const notes: string[] = [];
  const source =
    inputs['rerun-failed-from'] !== undefined
      ? await rerunBase(inputs, context, inputs['rerun-failed-from'], { workFolder, trust })
      : inputs.plan !== undefined
        ? givenBase(context, inputs.plan, inputs.trust === 'auto' ? trust : undefined)
        : await madeBase(inputs, context, notes, trust);
  let base = source.base;
  if (inputs.only !== undefined && (inputs.plan !== undefined || source.rerunOf !== undefined)) {
    base = selectFromPlan(
      base,
      inputs.only,
      `not selected (input only: ${inputs.only.join(', ')})`,
      new Date().toISOString(),
    );
  }
  const plan = inputs.shard === undefined ? base : shardPlan(base, inputs.shard, new Date().toISOString());
  return { ...source, plan, basePlan: base, notes, trust: source.trust ?? trust };
}

/** Where a step's plan comes from, before `only` and `shard` narrow it. */
type BasePlan = Pick<PlanForRun, 'publish' | 'locate' | 'rerunOf' | 'earlier'> & {
  base: Plan;
  /** The trust the step runs under, when the plan's source limits it. */
  trust?: TrustPolicy;
};

/**
 * rerun-failed-from: that workflow run's plan, narrowed to the jobs that did not pass there, for this checkout.
 * GitHub is asked first what that run was: the rerun is no more trusted than it (a fork's run's artifacts are the
 * fork's), nor than its plan says it was made.
 */
async function rerunBase(
  inputs: ActionInputs,
  context: WorkflowContext,
  runId: number,
  step: { workFolder: string; trust: TrustPolicy },
): Promise<BasePlan> {
  const facts = await otherRunFacts(inputs, context, runId);
  const { plan, results } = await planAndResultsOf(
    otherRun(inputs, context, runId),
    join(step.workFolder, `rerun-${runId}`),
  );
  const trust = cappedBy(
    cappedBy(step.trust, otherRunTrust(facts, context.repository ?? '')),
    recordedTrust(plan),
  );
  const merged = mergeResults(plan, results).jobs;
  const notPassed = merged.filter((job) => job.status !== 'passed').map((job) => job.job);
  if (notPassed.length === 0)
    throw new InputError(`every job of workflow run ${runId} passed: nothing to rerun`);
  const narrowed = selectFromPlan(
    plan,
    notPassed,
    `passed in workflow run ${runId}`,
    new Date().toISOString(),
  );
  // It runs against this checkout: the plan says so (commit, ref, event of this workflow run).
  const body = {
    ...narrowed,
    source: { ...narrowed.source, ...planSource(context) },
    trust: { trusted: trust.trusted, reason: trust.reason },
  };
  const base = { ...body, planId: planIdOf(body) };
  return {
    base,
    trust,
    publish: true,
    locate: jobsFileLocator(base, context.workspace),
    rerunOf: `github-run:${runId}`,
    earlier: {
      // Of the same commit, a job that passes now was flaky; after a new commit, it may have been fixed. The
      // commit that run ran is GitHub's word, not its plan's.
      sameCode: facts.headSha === base.source.commit,
      jobs: Object.fromEntries(merged.map((job) => [job.job, { status: job.status, tests: job.tests }])),
    },
  };
}

/**
 * The `plan` input: a plan made elsewhere (not published again). Under `trust: auto` (`autoTrust` given) it runs
 * no more trusted than it was made; an explicit trust input decides alone.
 */
function givenBase(context: WorkflowContext, path: string, autoTrust: TrustPolicy | undefined): BasePlan {
  const base = readPlan(resolve(context.workspace, path), path);
  return {
    base,
    publish: false,
    locate: jobsFileLocator(base, context.workspace),
    rerunOf: undefined,
    ...(autoTrust === undefined ? {} : { trust: cappedBy(autoTrust, recordedTrust(base, 'trust: trusted')) }),
  };
}

/** A plan made here from the `jobs` input (a path or inline YAML). */
async function madeBase(
  inputs: ActionInputs,
  context: WorkflowContext,
  notes: string[],
  trust: TrustPolicy,
): Promise<BasePlan> {
  const inline = isInlineJobs(inputs.jobs);
  const loaded: LoadedJobsFile = inline
    ? loadJobsText(inputs.jobs, 'input "jobs"')
    : loadJobsFile(resolve(context.workspace, inputs.jobs), inputs.jobs, context.workspace);
  const ociDigests = await resolveOciTags(loaded.config, process.env, trust);
  const base = buildPlan(loaded.config, {
    ociDigests,
    source: planSource(context),
    trust: { trusted: trust.trusted, reason: trust.reason },
    jobsFile: { name: inline ? 'inline' : inputs.jobs, sha256: loaded.sha256 },
    changes: await changedFiles(context),
    ...(inputs.only === undefined ? {} : { only: inputs.only }),
    ...(inputs.executor === undefined ? {} : { executor: inputs.executor }),
    ...recordedDurations(inputs.durations, context.workspace, notes),
    defaultExecutor: platformExecutor(),
    createdAt: new Date().toISOString(),
  });
  const locate: PlanForRun['locate'] = (job) => {
    if (inline) return undefined;
    const located = loaded.locator.locate({ message: '', path: ['jobs', job], at: 'key' });
    return located.line === undefined ? undefined : { file: inputs.jobs, line: located.line };
  };
  return { base, publish: true, locate, rerunOf: undefined };
}

/**
 * Recorded durations from the `durations` input. A file that is not there (the first run, a cache miss) is not
 * an error: shards are then balanced by job count, and a note says so.
 */
function recordedDurations(
  input: string | undefined,
  workspace: string,
  notes: string[],
): { durations?: Record<string, number> } {
  if (input === undefined) return {};
  const path = resolve(workspace, input);
  if (!existsSync(path)) {
    notes.push(`no recorded durations at ${input} (yet): shards are balanced by job count`);
    return {};
  }
  return { durations: readDurations(path, `input "durations" ${input}`) };
}

/**
 * Where a given plan's jobs are defined, for annotations on the jobs file: when the jobs file it was made from is
 * in the workspace with the same content (a shard or a rerun on a checkout of the same commit); else nowhere.
 */
function jobsFileLocator(plan: Plan, workspace: string): PlanForRun['locate'] {
  const name = plan.source.jobsFile;
  if (name === 'inline') return () => undefined;
  const path = resolve(workspace, name);
  if (!path.startsWith(`${resolve(workspace)}/`) || !existsSync(path)) return () => undefined;
  let loaded: LoadedJobsFile;
  try {
    loaded = loadJobsFile(path, name, workspace);
  } catch {
    return () => undefined;
  }
  if (loaded.sha256 !== plan.source.jobsFileSha256) return () => undefined;
  return (job) => {
    const located = loaded.locator.locate({ message: '', path: ['jobs', job], at: 'key' });
    return located.line === undefined ? undefined : { file: name, line: located.line };
  };
}

/** The artifact source of another workflow run of this repository. */
export function otherRun(inputs: ActionInputs, context: WorkflowContext, runId: number): ArtifactSource {
  const [owner, repo] = (context.repository ?? '').split('/');
  if (owner === undefined || repo === undefined || inputs['github-token'] === '') {
    throw new InputError(
      "reading another workflow run's artifacts needs the repository and github-token (with actions: read)",
    );
  }
  return { kind: 'other-run', runId, token: inputs['github-token'], owner, repo };
}

/** The plan and every results.json of a workflow run, from its artifacts; corrupt results are reported, not used. */
export async function planAndResultsOf(
  source: ArtifactSource,
  folder: string,
  planId?: string,
): Promise<{ plan: Plan; results: Results[]; problems: string[] }> {
  const where = source.kind === 'this-run' ? 'this workflow run' : `workflow run ${source.runId}`;
  const plans = await downloadJson(source, 'vmplan-plan-', join(folder, 'plans'));
  const resultFiles = await downloadJson(source, 'vmplan-results-', join(folder, 'results'));
  const problems: string[] = [];
  const results: Results[] = [];
  for (const file of resultFiles) {
    try {
      results.push(readResults(file.path, file.name));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const wanted = planId ?? results[0]?.planId;
  const candidates = plans.map((file) => ({ file, plan: readPlan(file.path, file.name) }));
  const chosen =
    candidates.find((candidate) => candidate.plan.planId === wanted) ??
    (candidates.length === 1 ? candidates[0] : undefined);
  if (chosen === undefined) {
    throw new InputError(
      candidates.length === 0
        ? `${where} has no plan artifact (vmplan-plan-*.json): was it planned by vmplan?`
        : `${where} has ${candidates.length} plans and none matches its results; give the plan input`,
    );
  }
  return { plan: chosen.plan, results, problems };
}

async function downloadJson(
  source: ArtifactSource,
  prefix: string,
  folder: string,
): Promise<{ name: string; path: string }[]> {
  mkdirSync(folder, { recursive: true });
  const files: { name: string; path: string }[] = [];
  for (const artifact of await listArtifacts(source, prefix)) {
    const into = mkdtempSync(join(folder, 'a-'));
    await downloadArtifact(source, artifact.id, into);
    for (const name of readdirSync(into)) files.push({ name: artifact.name, path: join(into, name) });
  }
  return files;
}
