import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { enforceTrust } from '../engine/trust-check.js';
import { InfrastructureError, InputError } from '../errors.js';
import { artifactName, uploadJsonArtifact } from '../github/artifacts.js';
import { describeFreed, describeItem, pruneCache } from '../images/cache-gc.js';
import { type RunRequest, runPipeline } from '../pipeline/run.js';
import { writePlan } from '../plan/io.js';
import type { Plan } from '../plan/schema.js';
import { secretValuesOf } from '../plan/secrets.js';
import { jobGroups } from '../plan/shard.js';
import { decideTrust, type TrustPolicy } from '../plan/trust.js';
import { DEFAULT_UNTRUSTED_LIMITS, type UntrustedLimits } from '../plan/untrusted-limits.js';
import { StateLayout } from '../records/layout.js';
import { buildSummary } from '../report/summary.js';
import { formatBytes } from '../util/bytes.js';
import { defaultCacheDir, ensureStateDir } from '../util/state-dir.js';
import { ActionsLog } from './actions-log.js';
import { checkRunsFactory } from './check-runs.js';
import { putCliOnPath } from './cli-on-path.js';
import { hostPreflight } from './host-preflight.js';
import { type ActionInputs, executorInputs, readInputs } from './inputs.js';
import { STATE, setOutput } from './metadata.js';
import { failOnInputError, writeSummary } from './outputs.js';
import { type PlanForRun, planForRun } from './plan-source.js';
import { reportStep } from './report-step.js';
import { actionPorts } from './run-ports.js';
import { artifactUrl, readEventPayload, type WorkflowContext, workflowContext } from './workflow-context.js';

/** The action's main step: plan, publish the plan, run it, report — or, with `mode: report`, merge shards' results. */
export async function mainStep(): Promise<void> {
  const log = new ActionsLog();
  try {
    const env = process.env;
    const inputs = readInputs((name) => core.getInput(name), {
      stateDir: join(env.RUNNER_TEMP ?? tmpdir(), 'vmplan'),
    });
    const event = readEventPayload(env.GITHUB_EVENT_PATH);
    const context = workflowContext(env, event.payload, event.unreadable);
    const layout = new StateLayout(
      resolve(context.workspace, inputs['state-dir']),
      resolve(context.workspace, inputs['cache-dir'] ?? defaultCacheDir(env)),
    );
    ensureStateDir(layout.root);
    ensureStateDir(layout.cacheDir, 'cache folder');
    putCliOnPath(env.RUNNER_TEMP ?? tmpdir());
    core.saveState(STATE.stateDir, layout.root);
    if (inputs.mode === 'report') await reportStep(inputs, context, layout, log);
    else await runStep(inputs, context, layout, log);
  } catch (error) {
    log.resume();
    if (error instanceof InputError) failOnInputError(error);
    else if (error instanceof InfrastructureError) core.setFailed(`vmplan: ${error.message}`);
    else core.setFailed(`vmplan: ${(error as Error).stack ?? error}`);
  } finally {
    log.resume();
  }
}

/** Names that keep this step's artifacts apart from every other step's in the workflow run. */
function artifactNames(context: WorkflowContext, inputs: ActionInputs) {
  const shard = inputs.shard === undefined ? [] : [`shard${inputs.shard.index}of${inputs.shard.count}`];
  const attempt = `attempt${context.runAttempt}`;
  return {
    plan: artifactName('vmplan-plan', context.job, ...shard, attempt),
    results: artifactName('vmplan-results', context.job, ...shard, attempt),
    logs: artifactName('vmplan-logs', context.job, ...shard, attempt),
  };
}

/** The run step: plan, publish the plan, then the run pipeline with the action's ports. */
async function runStep(
  inputs: ActionInputs,
  context: WorkflowContext,
  layout: StateLayout,
  log: ActionsLog,
): Promise<void> {
  const names = artifactNames(context, inputs);
  // Only a rerun downloads anything into it (and creates it then).
  const planned = await planForRun(
    inputs,
    context,
    join(layout.root, 'downloads', `${Date.now()}`),
    trustOf(inputs, context),
  );
  const trust = planned.trust;
  for (const note of planned.notes) log.command(() => core.notice(note));
  const secretValues = secretValuesOf(planned.plan, process.env);
  log.command(() => {
    for (const value of secretValues) core.setSecret(value);
  });
  // The plan this step executes (maybe a shard), apart from the one it publishes (the whole plan).
  const planPath = join(layout.root, 'plans', 'executed', `${names.plan}.json`);
  writePlan(planPath, planned.plan, secretValues);
  setOutput('plan-id', planned.plan.planId);
  setOutput('plan-path', planPath);
  announceShard(planned, log);
  // A plan the trust policy refuses is never published: an artifact is what a later rerun-failed-from would run.
  // (The pipeline checks the plan this step executes again, published or not.)
  if (planned.publish)
    await enforceTrust(planned.basePlan, trust, {
      repositoryRoot: context.workspace,
      cacheDir: layout.cacheDir,
    });
  const links = await publishPlan(planned, { context, layout, log, name: names.plan, secretValues });
  if (inputs['plan-only']) {
    setOutput('status', 'planned');
    await writeSummary(buildSummary({ plan: planned.plan, run: undefined, jobs: [], links }));
    return;
  }
  const ports = actionPorts(planned.plan, {
    inputs,
    context,
    layout,
    log,
    names,
    links,
    makeChecks: checkRunsFactory(inputs, context, log),
    artifactsAvailable: process.env.ACTIONS_RUNTIME_TOKEN !== undefined,
  });
  if (!(await hostPreflight(planned.plan, inputs, layout, log))) {
    setOutput('status', 'failed');
    return;
  }
  try {
    await runPipeline(runRequest(planned, inputs, context, { layout, planPath, trust }), ports);
  } finally {
    await pruneAfterRun(inputs, layout, log);
  }
}

/** Keeps the cache folder within `cache-max-size` after a run; a prune that fails only warns. */
async function pruneAfterRun(inputs: ActionInputs, layout: StateLayout, log: ActionsLog): Promise<void> {
  const maxBytes = inputs['cache-max-size'];
  if (maxBytes === undefined) return;
  try {
    const pruned = await pruneCache(layout.cacheDir, { maxBytes });
    const now = Date.now();
    const removed = pruned.removed.map((item) => `  removed ${describeItem(item, now)}`);
    log.line(
      `Cache ${layout.cacheDir}: ${formatBytes(pruned.keptBytes)} kept (cache-max-size ${formatBytes(maxBytes)}); ${describeFreed(pruned.freedBytes)}${removed.length > 0 ? `\n${removed.join('\n')}` : ''}`,
    );
  } catch (error) {
    log.command(() => core.warning(`vmplan: could not prune the cache folder: ${(error as Error).message}`));
  }
}

/** How far this workflow run's code is trusted (decided before planning: an untrusted plan asks registries anonymously). */
function trustOf(inputs: ActionInputs, context: WorkflowContext): TrustPolicy {
  return decideTrust(
    inputs.trust,
    {
      event: context.event,
      forkPullRequest: context.pullRequestFromElsewhere,
      unknownOrigin: context.pullRequestOriginUnknown,
    },
    {
      imagePaths: inputs['trusted-image-paths'],
      network: inputs['untrusted-network'],
      untrustedSecrets: inputs['untrusted-secrets'],
      caps: untrustedCaps(inputs),
    },
  );
}

/** The `untrusted-max-*` inputs as caps (each unset one at its default). */
function untrustedCaps(inputs: ActionInputs): UntrustedLimits {
  return {
    maxJobs: inputs['untrusted-max-jobs'] ?? DEFAULT_UNTRUSTED_LIMITS.maxJobs,
    maxMemoryMiB: inputs['untrusted-max-memory'] ?? DEFAULT_UNTRUSTED_LIMITS.maxMemoryMiB,
    maxCpus: inputs['untrusted-max-cpus'] ?? DEFAULT_UNTRUSTED_LIMITS.maxCpus,
    maxTimeoutMinutes: inputs['untrusted-max-timeout'] ?? DEFAULT_UNTRUSTED_LIMITS.maxTimeoutMinutes,
  };
}

/** What the pipeline runs and how, from the inputs and the workflow run. */
function runRequest(
  planned: PlanForRun,
  inputs: ActionInputs,
  context: WorkflowContext,
  where: { layout: StateLayout; planPath: string; trust: TrustPolicy },
): RunRequest {
  return {
    plan: planned.plan,
    basePlanId: planned.basePlan.planId,
    planPath: where.planPath,
    layout: where.layout,
    repositoryRoot: context.workspace,
    env: process.env,
    executors: { base: context.workspace, options: executorInputs(inputs) },
    maxParallel: inputs['max-parallel'],
    failFast: inputs['fail-fast'],
    rerun:
      planned.rerunOf === undefined
        ? undefined
        : { of: planned.rerunOf, snapshotRun: undefined, earlier: planned.earlier },
    locate: planned.locate,
    // Step debug logging (ACTIONS_STEP_DEBUG) shows the details too; they are always in the logs artifact.
    verbose: core.isDebug(),
    ...(inputs['min-free'] === undefined ? {} : { minFreeBytes: inputs['min-free'] }),
    trust: where.trust,
    signals: { reason: (signal) => `received ${signal} (the workflow was cancelled)` },
  };
}

/** Says which shard this step runs, and why it is empty when it is. */
function announceShard(planned: PlanForRun, log: ActionsLog): void {
  const shard = planned.plan.scope.shard;
  if (shard === null) return;
  const jobs = planned.plan.nodes.filter((node) => node.kind === 'execute').length;
  log.line(
    `Shard ${shard.index}/${shard.count} of plan ${planned.basePlan.planId.slice(0, 12)}: ${jobs} job(s)`,
  );
  if (jobs > 0) return;
  const groups = jobGroups(planned.basePlan).length;
  log.command(() =>
    core.notice(
      `shard ${shard.index}/${shard.count} has no jobs: the plan's jobs form ${groups} group(s) tied together by needs, and each group runs in one shard. Use at most ${groups} shard(s).`,
    ),
  );
}

/** Uploads the whole plan as an artifact (when this step made it) and sets the plan-artifact outputs. */
async function publishPlan(
  planned: PlanForRun,
  where: {
    context: WorkflowContext;
    layout: StateLayout;
    log: ActionsLog;
    name: string;
    secretValues: string[];
  },
): Promise<{ plan?: string; logs?: string }> {
  const links: { plan?: string; logs?: string } = {};
  if (!planned.publish) return links;
  if (process.env.ACTIONS_RUNTIME_TOKEN === undefined) {
    where.log.warning(
      'no artifact service here (ACTIONS_RUNTIME_TOKEN is not set): the plan was not uploaded',
    );
    return links;
  }
  const basePath = join(where.layout.root, 'plans', `${where.name}.json`);
  const base: Plan = planned.basePlan;
  writePlan(basePath, base, where.secretValues);
  const uploaded = await uploadJsonArtifact(basePath, where.name);
  setOutput('plan-artifact-id', String(uploaded.id));
  setOutput('plan-artifact-name', uploaded.name);
  links.plan = artifactUrl(where.context, uploaded.id);
  setOutput('plan-artifact-url', links.plan ?? '');
  where.log.line(
    `Plan ${base.planId.slice(0, 12)} uploaded as artifact ${uploaded.name}${links.plan === undefined ? '' : `: ${links.plan}`}`,
  );
  return links;
}
