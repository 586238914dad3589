import { join } from 'node:path';
import * as core from '@actions/core';
import { uploadJsonArtifact, uploadLogsArtifact } from '../github/artifacts.js';
import type { CheckRunsClient } from '../github/check-runs-client.js';
import type { CollectedRun, RunPorts } from '../pipeline/ports.js';
import type { Plan } from '../plan/schema.js';
import type { StateLayout } from '../records/layout.js';
import { checkRunCompletion, checkRunStart } from '../report/check-runs.js';
import { readTail } from '../report/collect.js';
import { buildSummary } from '../report/summary.js';
import type { ActionsLog } from './actions-log.js';
import type { ActionInputs } from './inputs.js';
import { STATE, setOutput } from './metadata.js';
import { emitAnnotations, finishWithResults, writeSummary } from './outputs.js';
import { actionsProgress } from './progress.js';
import { artifactUrl, type WorkflowContext } from './workflow-context.js';

/** What the action's ports need besides the plan: its inputs, context, log, artifact names and links so far. */
export interface ActionRunSetting {
  inputs: ActionInputs;
  context: WorkflowContext;
  layout: StateLayout;
  log: ActionsLog;
  names: { results: string; logs: string };
  links: { plan?: string; logs?: string };
  /** Makes the check-runs client for a run folder; undefined when check runs are off. */
  makeChecks: ((indexFile: string) => CheckRunsClient) | undefined;
  artifactsAvailable: boolean;
}

/** The action's side of the run pipeline: the Actions log, state for the post step, check runs, artifacts, reports. */
export function actionPorts(plan: Plan, setting: ActionRunSetting): RunPorts {
  const { inputs, layout, log } = setting;
  let runId: string | undefined;
  const jobs = plan.nodes.filter((node) => node.kind === 'execute').length;
  return {
    note: (line) => log.line(line),
    progress: actionsProgress(log, {
      oneAtATime: inputs['max-parallel'] === 1 || jobs <= 1,
      tail: (node) => {
        const file = node.kind === 'execute' && node.type === 'vm_command' ? 'guest.log' : 'host.log';
        return readTail(join(layout.nodeDir(runId!, node), file), 16 * 1024).text;
      },
    }),
    runCreated(store) {
      runId = store.runId;
      core.saveState(STATE.runDir, layout.runDir(store.runId));
      core.saveState(STATE.checksFile, join(layout.runDir(store.runId), 'checks.json'));
      setOutput('run-id', store.runId);
    },
    checks(runDir) {
      const client = setting.makeChecks?.(join(runDir, 'checks.json'));
      if (client === undefined) return undefined;
      return {
        started: (node, at) => client.started(node.job, checkRunStart(node.job, node.matrix?.name), at),
        finished: (report, annotations, at) =>
          client.finished(report.job, checkRunCompletion(report, annotations), at),
      };
    },
    upload: (run) => uploadRunArtifacts(run, setting),
    async report(run) {
      log.resume();
      const failed = run.jobs.some((job) => job.status !== 'passed');
      // Last, so the slots other warnings and the step's failure take are known.
      emitAnnotations(log, run.annotations, { warning: log.warnings, error: failed ? 1 : 0 });
      await writeSummary(
        buildSummary({ plan, run: run.record, jobs: run.jobs, images: run.images, links: setting.links }),
      );
      finishWithResults(run.record.status, run.jobs);
    },
  };
}

/** results.json (always) and the logs (as `upload-logs` says); a cancelled workflow gives seconds, so only results. */
async function uploadRunArtifacts(run: CollectedRun, setting: ActionRunSetting): Promise<void> {
  if (!setting.artifactsAvailable) return;
  if (run.record.status === 'cancelled') {
    await Promise.race([
      uploadJsonArtifact(run.resultsPath, setting.names.results).catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 3_000).unref()),
    ]);
    return;
  }
  const policy = setting.inputs['upload-logs'];
  const failed = run.jobs.some((job) => job.status !== 'passed');
  try {
    await uploadJsonArtifact(run.resultsPath, setting.names.results);
    if (policy === 'always' || (policy === 'failure' && failed)) {
      const uploaded = await uploadLogsArtifact(run.runDir, setting.names.logs);
      setting.links.logs = artifactUrl(setting.context, uploaded.id);
    }
  } catch (error) {
    setting.log.warning(`an artifact could not be uploaded: ${(error as Error).message}`);
  }
}
