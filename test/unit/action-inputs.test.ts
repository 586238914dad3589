import { describe, expect, it } from 'vitest';
import { isInlineJobs, readInputs } from '../../src/action/inputs.js';
import { workflowContext } from '../../src/action/workflow-context.js';

const read = (values: Record<string, string>) =>
  readInputs((name) => values[name] ?? '', { stateDir: '/tmp/runner/vmplan' });

describe('action inputs', () => {
  it('reads defaults and types', () => {
    expect(read({ 'fail-fast': 'true', only: 'unit, lint\nbuild', 'max-parallel': '3' })).toMatchObject({
      jobs: '.github/vmplan.yml',
      only: ['unit', 'lint', 'build'],
      executor: undefined,
      'max-parallel': 3,
      'fail-fast': true,
      'plan-only': false,
      'state-dir': '/tmp/runner/vmplan',
      'upload-logs': 'always',
      'check-runs': 'auto',
    });
  });

  it('names every bad input with what was found', () => {
    expect(() => read({ 'fail-fast': 'sometimes', 'upload-logs': 'maybe' })).toThrow(
      'input "fail-fast": expected true or false, found "sometimes"\ninput "upload-logs": expected always, failure or never, found "maybe"',
    );
  });

  it('reads untrusted-secrets as a list of variable names, refusing anything else', () => {
    expect(read({ 'untrusted-secrets': 'NPM_READ_TOKEN, CARGO_READ\n' })['untrusted-secrets']).toEqual([
      'NPM_READ_TOKEN',
      'CARGO_READ',
    ]);
    expect(read({})['untrusted-secrets']).toEqual([]);
    expect(() => read({ 'untrusted-secrets': 'NPM TOKEN' })).toThrow(
      'input "untrusted-secrets": expected variable names, found "NPM TOKEN"',
    );
  });

  it('reads trusted-image-paths as absolute folders, refusing a relative one (it would name a folder of the checkout)', () => {
    expect(
      read({ 'trusted-image-paths': '/opt/vmplan/images, /srv/guests\n' })['trusted-image-paths'],
    ).toEqual(['/opt/vmplan/images', '/srv/guests']);
    expect(() => read({ 'trusted-image-paths': '/opt/images, images' })).toThrow(
      'input "trusted-image-paths": expected absolute folders, found "images"',
    );
  });

  it('refuses a plan together with a jobs file', () => {
    expect(() => read({ plan: 'plan.json', jobs: 'ci/jobs.yml' })).toThrow(
      'inputs "plan" and "jobs" both given',
    );
  });

  it('tells inline YAML from a path', () => {
    expect(isInlineJobs('.github/vmplan.yml')).toBe(false);
    expect(isInlineJobs('ci/my jobs.yml')).toBe(false);
    expect(isInlineJobs('version: 1\njobs: {}')).toBe(true);
    expect(isInlineJobs('{ version: 1, jobs: { a: { run: x } } }')).toBe(true);
  });
});

describe('workflow context', () => {
  const env = {
    GITHUB_REPOSITORY: 'acme/widgets',
    GITHUB_SHA: 'merge',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_REF: 'refs/pull/1/merge',
  };

  it('uses the pull request head commit, not the merge commit', () => {
    const context = workflowContext(env, {
      pull_request: {
        head: { sha: 'head', ref: 'feature', repo: { full_name: 'acme/widgets' } },
        base: { sha: 'base', repo: { full_name: 'acme/widgets' } },
      },
    });
    expect(context).toMatchObject({
      headSha: 'head',
      ref: 'refs/heads/feature',
      forkPullRequest: false,
      diff: { base: 'base', head: 'head', mergeBase: true },
    });
  });

  it('knows a fork pull request, but not pull_request_target (its token can write checks)', () => {
    const payload = {
      pull_request: {
        head: { sha: 'h', repo: { full_name: 'someone/widgets' } },
        base: { sha: 'b', repo: { full_name: 'acme/widgets' } },
      },
    };
    expect(workflowContext(env, payload).forkPullRequest).toBe(true);
    const target = workflowContext({ ...env, GITHUB_EVENT_NAME: 'pull_request_target' }, payload);
    expect(target.forkPullRequest).toBe(false);
  });

  it('diffs a push from before to after, and says why when it cannot', () => {
    const push = { ...env, GITHUB_EVENT_NAME: 'push' };
    expect(workflowContext(push, { before: 'a', after: 'b' }).diff).toEqual({
      base: 'a',
      head: 'b',
      mergeBase: false,
    });
    expect(workflowContext(push, { before: '0'.repeat(40), after: 'b' }).diff).toEqual({
      unknown: 'a new branch was pushed: there is no earlier commit to compare with',
    });
    expect(workflowContext({ ...env, GITHUB_EVENT_NAME: 'workflow_dispatch' }, {}).diff).toEqual({
      unknown: 'changed files are not known for workflow_dispatch events',
    });
  });
});
