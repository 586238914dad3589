import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import * as core from '@actions/core';
import { reconcileRun } from '../engine/reconcile.js';
import { CheckRunsClient } from '../github/check-runs-client.js';
import { StateLayout } from '../records/layout.js';
import { readRunRecord } from '../records/store.js';
import { lazyOctokit } from './check-runs.js';
import { STATE } from './metadata.js';
import { readEventPayload, workflowContext } from './workflow-context.js';

/**
 * The action's post step (runs even when the workflow is cancelled): if the main step did not finish its run,
 * stop whatever it left (VMs: HardStop → SIGTERM → SIGKILL; processes), mark unfinished jobs cancelled, finish
 * run.json, and complete check runs left in progress as cancelled. A cancelled workflow leaves nothing behind.
 */
export async function postStep(): Promise<void> {
  try {
    const runDir = core.getState(STATE.runDir);
    if (runDir === '') {
      core.info('vmplan: no run was started; nothing to clean up');
      return;
    }
    const layout = new StateLayout(core.getState(STATE.stateDir));
    const runId = basename(runDir);
    const before = readRunRecord(layout, runId);
    const run = await reconcileRun(layout, runId);
    if (before.status === 'running')
      core.info(
        `vmplan: run ${runId} was left running; stopped what it left and recorded it as ${run.status}`,
      );
    else core.info(`vmplan: run ${runId} ended ${run.status}; nothing left running`);

    const checksFile = core.getState(STATE.checksFile);
    const token = core.getInput('github-token');
    if (checksFile !== '' && existsSync(checksFile) && token !== '') {
      const event = readEventPayload(process.env.GITHUB_EVENT_PATH);
      const context = workflowContext(process.env, event.payload, event.unreadable);
      const [owner, repo] = (context.repository ?? '').split('/');
      if (owner !== undefined && repo !== undefined && context.headSha !== null) {
        const checks = new CheckRunsClient(
          lazyOctokit(token, context.apiUrl),
          { owner, repo },
          context.headSha,
          checksFile,
          (message) => core.warning(message),
        );
        const cancelled = await checks.cancelUnfinished(new Date().toISOString());
        if (cancelled > 0)
          core.info(`vmplan: completed ${cancelled} check run(s) left in progress as cancelled`);
      }
    }
  } catch (error) {
    // Cleanup must never fail the job on its own account: say what happened.
    core.warning(`vmplan post step: ${(error as Error).message}`);
  }
}
