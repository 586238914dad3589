import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { secretValuesOf } from '../cli/commands/plan.js';
import { startRun } from '../engine/start-run.js';
import { InputError } from '../errors.js';
import { availableExecutors } from '../executors/available.js';
import { artifactName, uploadJsonArtifact, uploadLogsArtifact } from '../github/artifacts.js';
import type { CheckRunsClient } from '../github/check-runs-client.js';
import { HostImagePreparer } from '../images/preparer.js';
import { writePlan } from '../plan/io.js';
import type { ExecuteNode } from '../plan/schema.js';
import { jobGroups } from '../plan/shard.js';
import { StateLayout } from '../records/layout.js';
import type { RunRecord } from '../records/schema.js';
import { type RunStore, readNodeRecords } from '../records/store.js';
import { type Annotation, diagnosticAnnotations, jobAnnotations } from '../report/annotations.js';
import { jobDiagnostics, jobReport, readTail } from '../report/collect.js';
import type { JobReport } from '../report/model.js';
import { buildSummary } from '../report/summary.js';
import { buildResults } from '../results/build.js';
import { writeResults } from '../results/io.js';
import { ensureStateDir } from '../util/state-dir.js';
import { ActionsLog } from './actions-log.js';
import { checkRunsFactory } from './check-runs.js';
import { type ActionInputs, readInputs } from './inputs.js';
import { emitAnnotations, failOnInputError, finishWithResults, writeSummary } from './outputs.js';
import { planForRun } from './plan-source.js';
import { actionsProgress } from './progress.js';
import { reportStep } from './report-step.js';
import { STATE } from './state.js';
import { artifactUrl, readEventPayload, type WorkflowContext, workflowContext } from './workflow-context.js';

/** The action's main step: plan, publish the plan, run it, report — or, with `mode: report`, merge shards' results. */
export async function mainStep(): Promise<void> {
  const log = new ActionsLog();
  try {
    const env = process.env;
    const inputs = readInputs((name) => core.getInput(name), {
      stateDir: join(env.RUNNER_TEMP ?? tmpdir(), 'vmplan'),
    });
    const context = workflowContext(env, readEventPayload(env.GITHUB_EVENT_PATH));
    const layout = new StateLayout(resolve(context.workspace, inputs['state-dir']));
    ensureStateDir(layout.root);
    core.saveState(STATE.stateDir, layout.root);
    if (inputs.mode === 'report') await reportStep(inputs, context, layout, log);
    else await runStep(inputs, context, layout, log);
  } catch (error) {
    log.resume();
    if (error instanceof InputError) failOnInputError(error);
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

async function runStep(
  inputs: ActionInputs,
  context: WorkflowContext,
  layout: StateLayout,
  log: ActionsLog,
): Promise<void> {
  const env = process.env;
  const artifactsAvailable = env.ACTIONS_RUNTIME_TOKEN !== undefined;
  const names = artifactNames(context, inputs);

  // 1. The plan: made here, given, or the failed part of an earlier workflow run; maybe one shard of it.
  // Only a rerun downloads anything into it (and creates it then).
  const work = join(layout.root, 'downloads', `${Date.now()}`);
  const { plan, basePlan, publish, locate, rerunOf, notes } = await planForRun(inputs, context, work);
  for (const note of notes) log.command(() => core.notice(note));
  const secretValues = secretValuesOf(plan, env);
  log.command(() => {
    for (const value of secretValues) core.setSecret(value);
  });
  // The plan this step executes (maybe a shard), apart from the one it publishes (the whole plan).
  const planPath = join(layout.root, 'plans', 'executed', `${names.plan}.json`);
  writePlan(planPath, plan, secretValues);
  core.setOutput('plan-id', plan.planId);
  core.setOutput('plan-path', planPath);
  if (plan.scope.shard !== null) {
    const jobs = plan.nodes.filter((node) => node.kind === 'execute').length;
    log.line(
      `Shard ${plan.scope.shard.index}/${plan.scope.shard.count} of plan ${basePlan.planId.slice(0, 12)}: ${jobs} job(s)`,
    );
    if (jobs === 0) {
      const groups = jobGroups(basePlan).length;
      log.command(() =>
        core.notice(
          `shard ${plan.scope.shard!.index}/${plan.scope.shard!.count} has no jobs: the plan's jobs form ${groups} group(s) tied together by needs, and each group runs in one shard. Use at most ${groups} shard(s).`,
        ),
      );
    }
  }
  const links: { plan?: string; logs?: string } = {};
  if (publish && artifactsAvailable) {
    const basePath = join(layout.root, 'plans', `${names.plan}.json`);
    writePlan(basePath, basePlan, secretValues);
    const uploaded = await uploadJsonArtifact(basePath, names.plan);
    core.setOutput('plan-artifact-id', String(uploaded.id));
    core.setOutput('plan-artifact-name', uploaded.name);
    links.plan = artifactUrl(context, uploaded.id);
    core.setOutput('plan-artifact-url', links.plan ?? '');
    log.line(
      `Plan ${basePlan.planId.slice(0, 12)} uploaded as artifact ${uploaded.name}${links.plan === undefined ? '' : `: ${links.plan}`}`,
    );
  } else if (publish) {
    log.warning('no artifact service here (ACTIONS_RUNTIME_TOKEN is not set): the plan was not uploaded');
  }
  if (inputs['plan-only']) {
    core.setOutput('status', 'planned');
    await writeSummary(buildSummary({ plan, run: undefined, jobs: [], links }));
    return;
  }

  // 2. The run.
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) =>
    controller.abort(`received ${signal} (the workflow was cancelled)`);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const makeChecks = checkRunsFactory(inputs, context, log);
  let checks: CheckRunsClient | undefined;
  const pending: Promise<void>[] = [];
  const executeNodes = plan.nodes.filter((node): node is ExecuteNode => node.kind === 'execute');
  const annotationsByJob = new Map<string, Annotation[]>();
  let store: RunStore | undefined;
  let record: RunRecord;
  const reportOf = (node: ExecuteNode): JobReport =>
    jobReport(layout, store!.runId, node, store!.node(node.id));
  const annotationsFor = (node: ExecuteNode, status: string): Annotation[] => {
    if (status !== 'failed' && status !== 'timed_out') return [];
    const snapshot = layout.snapshotDir(store!.record.snapshotRun);
    return [
      ...jobAnnotations([reportOf(node)], locate),
      ...diagnosticAnnotations(jobDiagnostics(layout, store!.runId, node, snapshot, context.workspace)),
    ];
  };
  const progress = actionsProgress(log, {
    oneAtATime: inputs['max-parallel'] === 1 || executeNodes.length <= 1,
    tail: (node) => {
      const file = node.kind === 'execute' && node.type === 'vm_command' ? 'guest.log' : 'host.log';
      return readTail(join(layout.nodeDir(store!.runId, node), file), 16 * 1024).text;
    },
    record: (nodeId) => store!.node(nodeId),
    hooks: {
      started(node, nodeRecord) {
        if (node.kind === 'execute' && checks !== undefined) {
          pending.push(checks.started(node.job, nodeRecord.startedAt ?? new Date().toISOString()));
        }
      },
      finished(node, nodeRecord) {
        if (node.kind !== 'execute') return;
        const annotations = annotationsFor(node, nodeRecord.status);
        annotationsByJob.set(node.job, annotations);
        if (checks !== undefined)
          pending.push(
            checks.finished(reportOf(node), annotations, nodeRecord.finishedAt ?? new Date().toISOString()),
          );
      },
    },
  });

  try {
    record = await startRun({
      plan,
      planPath,
      layout,
      repositoryRoot: context.workspace,
      env,
      executors: availableExecutors({
        env,
        cacheDir: layout.cacheDir,
        vfkitPath: inputs['vfkit-path'],
        base: context.workspace,
        keepFailedDisks: inputs['keep-failed-disks'],
      }),
      preparer: new HostImagePreparer(layout.cacheDir, env),
      maxParallel: inputs['max-parallel'],
      failFast: inputs['fail-fast'],
      rerun: rerunOf === undefined ? undefined : { of: rerunOf, snapshotRun: undefined },
      progress,
      note: (line) => log.line(line),
      signal: controller.signal,
      onCreated: (created) => {
        store = created;
        const checksFile = join(layout.runDir(created.runId), 'checks.json');
        checks = makeChecks?.(checksFile);
        core.saveState(STATE.runDir, layout.runDir(created.runId));
        core.saveState(STATE.checksFile, checksFile);
        core.setOutput('run-id', created.runId);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log.resume();
  }

  // 3. Reports: annotations, results.json, logs, summary, outputs.
  const records = readNodeRecords(layout, record.runId, plan);
  const jobs = executeNodes.map((node) =>
    jobReport(layout, record.runId, node, records.find((r) => r.nodeId === node.id)!),
  );
  const annotations = executeNodes.flatMap((node) => annotationsByJob.get(node.job) ?? []);
  const resultsPath = join(layout.runDir(record.runId), 'results.json');
  writeResults(resultsPath, buildResults(basePlan.planId, plan.scope.shard, record, jobs, annotations));
  const failed = jobs.some((job) => job.status !== 'passed');
  if (artifactsAvailable && record.status === 'cancelled') {
    // A cancelled workflow gives the step seconds: only results.json (small), so a report knows what ran.
    await Promise.race([
      uploadJsonArtifact(resultsPath, names.results).catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 3_000).unref()),
    ]);
  } else if (artifactsAvailable) {
    try {
      await uploadJsonArtifact(resultsPath, names.results);
      if (inputs['upload-logs'] === 'always' || (inputs['upload-logs'] === 'failure' && failed)) {
        links.logs = artifactUrl(
          context,
          (await uploadLogsArtifact(layout.runDir(record.runId), names.logs)).id,
        );
      }
    } catch (error) {
      log.warning(`an artifact could not be uploaded: ${(error as Error).message}`);
    }
  }
  await Promise.all(pending);
  // Last, so the slots other warnings and the step's failure take are known.
  emitAnnotations(log, annotations, { warning: log.warnings, error: failed ? 1 : 0 });
  const images = plan.nodes.flatMap((node) => {
    if (node.kind !== 'prepare') return [];
    const image = records.find((r) => r.nodeId === node.id)!;
    return [
      {
        image: node.image,
        status: image.status,
        cached: image.cached === true,
        durationMs: image.durationMs,
        message: image.message,
      },
    ];
  });
  await writeSummary(buildSummary({ plan, run: record, jobs, images, links }));
  finishWithResults(record.status, jobs);
}
