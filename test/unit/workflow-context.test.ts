// What the action reads from the runner's environment and event payload (src/action/workflow-context.ts), beyond the
// head commit and fork checks of test/unit/action-inputs.test.ts.
import { describe, expect, it } from 'vitest';
import { artifactUrl, planSource, workflowContext } from '../../src/action/workflow-context.js';

describe('the workflow context', () => {
  it('links an artifact on the server the runner names (GitHub Enterprise too), or nowhere without a run', () => {
    const env = { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_RUN_ID: '77' };
    expect(artifactUrl(workflowContext(env, {}), 5)).toBe(
      'https://github.com/acme/widgets/actions/runs/77/artifacts/5',
    );
    const enterprise = workflowContext(
      {
        ...env,
        GITHUB_SERVER_URL: 'https://git.example.com',
        GITHUB_API_URL: 'https://git.example.com/api/v3',
      },
      {},
    );
    expect(artifactUrl(enterprise, 5)).toBe(
      'https://git.example.com/acme/widgets/actions/runs/77/artifacts/5',
    );
    expect(enterprise.apiUrl).toBe('https://git.example.com/api/v3');
    expect(artifactUrl(workflowContext({ GITHUB_REPOSITORY: 'acme/widgets' }, {}), 5)).toBeUndefined();
    expect(artifactUrl(workflowContext({ GITHUB_RUN_ID: '77' }, {}), 5)).toBeUndefined();
  });

  it('outside a runner: attempt 1, the default API, this folder as the workspace', () => {
    expect(workflowContext({}, {})).toMatchObject({
      repository: null,
      headSha: null,
      runId: null,
      runAttempt: '1',
      job: 'job',
      apiUrl: 'https://api.github.com',
      workspace: process.cwd(),
      forkPullRequest: false,
      pullRequestFromElsewhere: false,
      pullRequestOriginUnknown: undefined,
    });
  });

  it("counts a pull request whose head repository is gone as from elsewhere (it cannot be shown to be this one's)", () => {
    const env = { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_EVENT_NAME: 'pull_request' };
    const gone = workflowContext(env, {
      pull_request: {
        head: { sha: 'h', repo: null },
        base: { sha: 'b', repo: { full_name: 'acme/widgets' } },
      },
    });
    expect(gone.pullRequestFromElsewhere).toBe(true);
    const noBase = workflowContext(env, {
      pull_request: { head: { sha: 'h', repo: { full_name: 'acme/widgets' } } },
    });
    expect(noBase.pullRequestFromElsewhere).toBe(true);
    expect(noBase.diff).toEqual({ unknown: 'the pull request event has no base or head commit' });
  });

  it("puts the event's commit, ref, repository and event in the plan's source", () => {
    const context = workflowContext(
      {
        GITHUB_REPOSITORY: 'acme/widgets',
        GITHUB_SHA: 'c'.repeat(40),
        GITHUB_REF: 'refs/tags/v1',
        GITHUB_EVENT_NAME: 'push',
      },
      { before: 'a'.repeat(40), after: 'c'.repeat(40) },
    );
    expect(planSource(context)).toEqual({
      repository: 'acme/widgets',
      commit: 'c'.repeat(40),
      ref: 'refs/tags/v1',
      event: 'push',
    });
  });
});
