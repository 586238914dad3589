import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { type LoadedJobsFile, loadJobsFile, loadJobsText } from '../config/load.js';
import { platformExecutor } from '../context/local-context.js';
import { startRun } from '../engine/start-run.js';
import { InputError } from '../errors.js';
import { HostExecutor } from '../executors/host.js';
import { QemuExecutor } from '../executors/vm/qemu.js';
import { VfkitExecutor } from '../executors/vm/vfkit.js';
import { artifactName, uploadLogsArtifact, uploadPlanArtifact } from '../github/artifacts.js';
import { CheckRunsClient } from '../github/check-runs-client.js';
import { HostImagePreparer } from '../images/preparer.js';
import { buildPlan } from '../plan/build.js';
import { readPlan, writePlan } from '../plan/io.js';
import type { ExecuteNode, Plan } from '../plan/schema.js';
import { selectFromPlan } from '../plan/select.js';
import { StateLayout } from '../records/layout.js';
import type { RunRecord } from '../records/schema.js';
import { type RunStore, readNodeRecords } from '../records/store.js';
import {
  type Annotation,
  clampMessage,
  diagnosticAnnotations,
  jobAnnotations,
  mostUseful,
} from '../report/annotations.js';
import { jobDiagnostics, jobReport, readTail } from '../report/collect.js';
import type { JobReport } from '../report/model.js';
import { buildSummary } from '../report/summary.js';
import { ensureStateDir } from '../util/state-dir.js';
import { ActionsLog } from './actions-log.js';
import { changedFiles } from './changed-files.js';
import { type ActionInputs, isInlineJobs, readInputs } from './inputs.js';
import { actionsProgress } from './progress.js';
import { STATE } from './state.js';
import {
  artifactUrl,
  planSource,
  readEventPayload,
  type WorkflowContext,
  workflowContext,
} from './workflow-context.js';

/** The action's main step: plan, publish the plan, run it, report. */
export async function mainStep(): Promise<void> {
  const log = new ActionsLog();
  try {
    await runMainStep(log);
  } catch (error) {
    log.resume();
    core.setFailed(
      error instanceof InputError ? error.message : `vmplan: ${(error as Error).stack ?? error}`,
    );
  } finally {
    log.resume();
  }
}

async function runMainStep(log: ActionsLog): Promise<void> {
  const env = process.env;
  const inputs = readInputs((name) => core.getInput(name), {
    stateDir: join(env.RUNNER_TEMP ?? tmpdir(), 'vmplan'),
  });
  const context = workflowContext(env, readEventPayload(env.GITHUB_EVENT_PATH));
  const layout = new StateLayout(resolve(context.workspace, inputs['state-dir']));
  ensureStateDir(layout.root);
  core.saveState(STATE.stateDir, layout.root);

  // 1. The plan: made here, or given.
  const { plan, jobsFile } = await makePlan(inputs, context);
  const secretValues = plan.preconditions.flatMap((p) =>
    p.kind === 'secret' && env[p.name] ? [env[p.name]!] : [],
  );
  log.command(() => {
    for (const value of secretValues) core.setSecret(value);
  });
  const name = artifactName('vmplan-plan', context.job, `attempt${context.runAttempt}`);
  const planPath = join(layout.root, 'plans', `${name}.json`);
  writePlan(planPath, plan, secretValues);
  core.setOutput('plan-id', plan.planId);
  core.setOutput('plan-path', planPath);
  const links: { plan?: string; logs?: string } = {};
  if (env.ACTIONS_RUNTIME_TOKEN !== undefined) {
    const uploaded = await uploadPlanArtifact(planPath, name);
    core.setOutput('plan-artifact-id', String(uploaded.id));
    links.plan = artifactUrl(context, uploaded.id);
    core.setOutput('plan-artifact-url', links.plan ?? '');
    log.line(
      `Plan ${plan.planId.slice(0, 12)} uploaded as artifact ${uploaded.name}${links.plan === undefined ? '' : `: ${links.plan}`}`,
    );
  } else {
    log.command(() =>
      core.warning('no artifact service here (ACTIONS_RUNTIME_TOKEN is not set): the plan was not uploaded'),
    );
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
  const snapshotDir = () => layout.snapshotDir(store!.record.snapshotRun);
  const progress = actionsProgress(log, {
    oneAtATime: inputs['max-parallel'] === 1 || executeNodes.length <= 1,
    tail: (node) =>
      readTail(
        join(
          layout.nodeDir(store!.runId, node),
          node.kind === 'execute' && node.type === 'vm_command' ? 'guest.log' : 'host.log',
        ),
        16 * 1024,
      ).text,
    record: (nodeId) => store!.node(nodeId),
    hooks: {
      started(node, nodeRecord) {
        if (node.kind === 'execute' && checks !== undefined)
          pending.push(checks.started(node.job, nodeRecord.startedAt ?? new Date().toISOString()));
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
  const annotationsFor = (node: ExecuteNode, status: string): Annotation[] => {
    if (status !== 'failed' && status !== 'timed_out') return [];
    const report = reportOf(node);
    return [
      ...jobAnnotations([report], jobsFile.locate),
      ...diagnosticAnnotations(jobDiagnostics(layout, store!.runId, node, snapshotDir(), context.workspace)),
    ];
  };

  try {
    record = await startRun({
      plan,
      planPath,
      layout,
      repositoryRoot: context.workspace,
      env,
      executors: {
        host: new HostExecutor(env),
        qemu: new QemuExecutor({ cacheDir: layout.cacheDir }),
        vfkit: new VfkitExecutor({
          vfkitPath:
            inputs['vfkit-path'] === undefined ? undefined : resolve(context.workspace, inputs['vfkit-path']),
          env,
        }),
      },
      preparer: new HostImagePreparer(layout.cacheDir, env),
      maxParallel: inputs['max-parallel'],
      failFast: inputs['fail-fast'],
      rerun: undefined,
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

  // 3. Reports.
  const records = readNodeRecords(layout, record.runId, plan);
  const jobs = executeNodes.map((node) =>
    jobReport(layout, record.runId, node, records.find((r) => r.nodeId === node.id)!),
  );
  const annotations = executeNodes.flatMap((node) => annotationsByJob.get(node.job) ?? []);
  log.command(() => {
    for (const annotation of mostUseful(annotations)) {
      const properties = {
        title: annotation.title,
        ...(annotation.file === undefined ? {} : { file: annotation.file }),
        ...(annotation.line === undefined ? {} : { startLine: annotation.line }),
        ...(annotation.column === undefined ? {} : { startColumn: annotation.column }),
      };
      const message = clampMessage(annotation.message || annotation.title);
      if (annotation.level === 'error') core.error(message, properties);
      else if (annotation.level === 'warning') core.warning(message, properties);
      else core.notice(message, properties);
    }
  });
  const failedJobs = jobs.filter((job) => job.status !== 'passed');
  const cancelled = record.status === 'cancelled';
  if (
    !cancelled &&
    env.ACTIONS_RUNTIME_TOKEN !== undefined &&
    shouldUploadLogs(inputs['upload-logs'], failedJobs.length > 0)
  ) {
    try {
      const uploaded = await uploadLogsArtifact(
        layout.runDir(record.runId),
        artifactName('vmplan-logs', context.job, `attempt${context.runAttempt}`),
      );
      links.logs = artifactUrl(context, uploaded.id);
    } catch (error) {
      log.command(() => core.warning(`the logs artifact could not be uploaded: ${(error as Error).message}`));
    }
  }
  await Promise.all(pending);
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

  core.setOutput('status', record.status);
  core.setOutput('passed', String(jobs.filter((job) => job.status === 'passed').length));
  core.setOutput('failed', String(failedJobs.length));
  core.setOutput(
    'results',
    JSON.stringify(
      Object.fromEntries(
        jobs.map((job) => [
          job.job,
          { status: job.status, durationMs: job.durationMs, exitCode: job.exitCode },
        ]),
      ),
    ),
  );
  if (record.status !== 'passed') {
    const names = failedJobs.slice(0, 5).map((job) => `${job.job} (${job.status.replace('_', ' ')})`);
    core.setFailed(
      `vmplan: ${record.status === 'cancelled' ? 'cancelled' : `${failedJobs.length} job(s) did not pass`}: ${names.join(', ')}${failedJobs.length > 5 ? ', …' : ''}`,
    );
  }
}

/** Makes the plan from the jobs input (a file or inline YAML), or reads the given plan. */
async function makePlan(
  inputs: ActionInputs,
  context: WorkflowContext,
): Promise<{
  plan: Plan;
  jobsFile: { locate: (job: string) => { file: string; line: number } | undefined };
}> {
  if (inputs.plan !== undefined) {
    let plan = readPlan(resolve(context.workspace, inputs.plan), inputs.plan);
    if (inputs.only !== undefined)
      plan = selectFromPlan(
        plan,
        inputs.only,
        `not selected (input only: ${inputs.only.join(', ')})`,
        new Date().toISOString(),
      );
    return { plan, jobsFile: { locate: () => undefined } };
  }
  const inline = isInlineJobs(inputs.jobs);
  const loaded: LoadedJobsFile = inline
    ? loadJobsText(inputs.jobs, 'input "jobs"')
    : loadJobsFile(resolve(context.workspace, inputs.jobs), inputs.jobs);
  const plan = buildPlan(loaded.config, {
    source: planSource(context),
    jobsFile: { name: inline ? 'inline' : inputs.jobs, sha256: loaded.sha256 },
    changes: await changedFiles(context),
    ...(inputs.only === undefined ? {} : { only: inputs.only }),
    ...(inputs.executor === undefined ? {} : { executor: inputs.executor }),
    defaultExecutor: platformExecutor(),
    createdAt: new Date().toISOString(),
  });
  return {
    plan,
    jobsFile: {
      locate: (job) => {
        if (inline) return undefined;
        const located = loaded.locator.locate({ message: '', path: ['jobs', job], at: 'key' });
        return located.line === undefined ? undefined : { file: inputs.jobs, line: located.line };
      },
    },
  };
}

/** How to make the check-runs client once the run folder exists, or undefined when check runs are off. */
function checkRunsFactory(
  inputs: ActionInputs,
  context: WorkflowContext,
  log: ActionsLog,
): ((indexFile: string) => CheckRunsClient) | undefined {
  const mode = inputs['check-runs'];
  if (mode === 'false') return undefined;
  const [owner, repo] = (context.repository ?? '').split('/');
  if (
    owner === undefined ||
    repo === undefined ||
    context.headSha === null ||
    inputs['github-token'] === ''
  ) {
    if (mode === 'true')
      log.command(() =>
        core.warning('check runs need a repository, a commit and github-token: they are off'),
      );
    return undefined;
  }
  if (mode === 'auto' && context.forkPullRequest) {
    log.line(
      'Check runs are off: a pull request from a fork gets a read-only token (results are in the summary and annotations).',
    );
    return undefined;
  }
  const api = lazyOctokit(inputs['github-token'], context.apiUrl);
  const headSha = context.headSha;
  return (indexFile) =>
    new CheckRunsClient(api, { owner, repo }, headSha, indexFile, (message) =>
      log.command(() => core.warning(message)),
    );
}

/** Octokit, loaded on first use (most of @actions/github is not needed to start). */
function lazyOctokit(token: string, baseUrl: string) {
  let octokit:
    | Promise<{ request: (route: string, parameters: Record<string, unknown>) => Promise<{ data: unknown }> }>
    | undefined;
  return {
    async request(route: string, parameters: Record<string, unknown>) {
      octokit ??= import('@actions/github').then(({ getOctokit }) => getOctokit(token, { baseUrl }) as never);
      return (await octokit).request(route, parameters);
    },
  };
}

function shouldUploadLogs(mode: ActionInputs['upload-logs'], anyFailed: boolean): boolean {
  return mode === 'always' || (mode === 'failure' && anyFailed);
}

async function writeSummary(markdown: string): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY === undefined) return;
  await core.summary.addRaw(markdown).write();
}
