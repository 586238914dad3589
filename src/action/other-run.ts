import { InputError } from '../errors.js';
import { fetchWorkflowRun, type WorkflowRunFacts } from '../github/workflow-runs.js';
import { lazyOctokit } from './check-runs.js';
import type { ActionInputs } from './inputs.js';
import type { WorkflowContext } from './workflow-context.js';

/**
 * What GitHub says another workflow run of this repository was (event, head commit, head repository), asked
 * before any of its artifacts is used: its artifacts were written by its own workflow, which a fork's pull request
 * controls. Throws an InputError when GitHub cannot say (nothing of the run is used then).
 */
export async function otherRunFacts(
  inputs: ActionInputs,
  context: WorkflowContext,
  runId: number,
): Promise<WorkflowRunFacts> {
  const [owner, repo] = (context.repository ?? '').split('/');
  if (owner === undefined || repo === undefined || inputs['github-token'] === '') {
    throw new InputError(
      `cannot tell what workflow run ${runId} was: asking GitHub needs the repository (GITHUB_REPOSITORY) and the github-token input (with actions: read)`,
    );
  }
  return fetchWorkflowRun(lazyOctokit(inputs['github-token'], context.apiUrl), { owner, repo }, runId);
}
