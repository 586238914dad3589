import * as core from '@actions/core';
import { CheckRunsClient } from '../github/check-runs-client.js';
import type { ActionsLog } from './actions-log.js';
import type { ActionInputs } from './inputs.js';
import type { WorkflowContext } from './workflow-context.js';

/** How to make the check-runs client once the run folder exists, or undefined when check runs are off. */
export function checkRunsFactory(
  inputs: ActionInputs,
  context: WorkflowContext,
  log: ActionsLog,
  headSha: string | null = context.headSha,
): ((indexFile: string) => CheckRunsClient) | undefined {
  const mode = inputs['check-runs'];
  if (mode === 'false') return undefined;
  const [owner, repo] = (context.repository ?? '').split('/');
  if (owner === undefined || repo === undefined || headSha === null || inputs['github-token'] === '') {
    const missing = [
      ...(owner === undefined || repo === undefined ? ['GITHUB_REPOSITORY (owner/name)'] : []),
      ...(headSha === null ? ['the commit (GITHUB_SHA)'] : []),
      ...(inputs['github-token'] === '' ? ['the github-token input'] : []),
    ];
    if (mode === 'true') log.warning(`check runs are off: ${missing.join(', ')} missing`);
    return undefined;
  }
  if (mode === 'auto' && context.forkPullRequest) {
    log.command(() =>
      core.notice(
        'Check runs are off: a pull request from a fork gets a read-only token (results are in the summary and annotations).',
      ),
    );
    return undefined;
  }
  const api = lazyOctokit(inputs['github-token'], context.apiUrl);
  return (indexFile) =>
    new CheckRunsClient(api, { owner, repo }, headSha, indexFile, (message) => log.warning(message));
}

/** Octokit, loaded on first use (most of @actions/github is not needed to start). */
/** The Checks API through Octokit, loaded on the first request (most steps never make one). */
export function lazyOctokit(token: string, baseUrl: string) {
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
