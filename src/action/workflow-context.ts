import { existsSync, readFileSync } from 'node:fs';
import type { PlanContext } from '../plan/build.js';

/** What the action knows about the workflow run it is part of. */
export interface WorkflowContext {
  repository: string | null;
  /** The commit the jobs run against: the PR head on pull requests (GITHUB_SHA is a merge commit there). */
  headSha: string | null;
  ref: string | null;
  event: string | null;
  runId: string | null;
  runAttempt: string;
  job: string;
  serverUrl: string;
  apiUrl: string;
  workspace: string;
  /** A pull request from a fork: its token cannot write checks. */
  forkPullRequest: boolean;
  /** A pull request whose head is not in this repository (a fork, or a deleted one), whatever the event. */
  pullRequestFromElsewhere: boolean;
  /** Commits to diff for `paths` filters: base..head, or why they are unknown. */
  diff: { base: string; head: string; mergeBase: boolean } | { unknown: string };
}

interface EventPayload {
  before?: string;
  after?: string;
  pull_request?: {
    head?: { sha?: string; ref?: string; repo?: { full_name?: string } | null };
    base?: { sha?: string; repo?: { full_name?: string } };
  };
}

const ZERO_SHA = /^0+$/;

/** Reads the workflow context from the runner's environment and the event payload. Pure. */
export function workflowContext(env: NodeJS.ProcessEnv, payload: EventPayload): WorkflowContext {
  const event = env.GITHUB_EVENT_NAME ?? null;
  const pullRequest = payload.pull_request;
  const headSha = pullRequest?.head?.sha ?? env.GITHUB_SHA ?? null;
  let diff: WorkflowContext['diff'];
  if (pullRequest !== undefined) {
    const base = pullRequest.base?.sha;
    const head = pullRequest.head?.sha;
    diff =
      base !== undefined && head !== undefined
        ? { base, head, mergeBase: true }
        : { unknown: 'the pull request event has no base or head commit' };
  } else if (event === 'push') {
    if (payload.before === undefined || payload.after === undefined)
      diff = { unknown: 'the push event has no before/after commits' };
    else if (ZERO_SHA.test(payload.before))
      diff = { unknown: 'a new branch was pushed: there is no earlier commit to compare with' };
    else diff = { base: payload.before, head: payload.after, mergeBase: false };
  } else {
    diff = { unknown: `changed files are not known for ${event ?? 'this'} events` };
  }
  const headRepo = pullRequest?.head?.repo?.full_name;
  const baseRepo = pullRequest?.base?.repo?.full_name;
  return {
    repository: env.GITHUB_REPOSITORY ?? null,
    headSha,
    ref:
      pullRequest?.head?.ref === undefined ? (env.GITHUB_REF ?? null) : `refs/heads/${pullRequest.head.ref}`,
    event,
    runId: env.GITHUB_RUN_ID ?? null,
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    job: env.GITHUB_JOB ?? 'job',
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    // pull_request_target runs in the base repository with its token, so it can write checks.
    forkPullRequest:
      event !== 'pull_request_target' &&
      pullRequest !== undefined &&
      headRepo !== undefined &&
      baseRepo !== undefined &&
      headRepo !== baseRepo,
    pullRequestFromElsewhere:
      pullRequest !== undefined &&
      (headRepo === undefined || baseRepo === undefined || headRepo !== baseRepo),
    diff,
  };
}

/** The plan's source from the workflow context. */
export function planSource(context: WorkflowContext): PlanContext['source'] {
  return { repository: context.repository, commit: context.headSha, ref: context.ref, event: context.event };
}

/** A link to a run's artifact on GitHub. */
export function artifactUrl(context: WorkflowContext, artifactId: number): string | undefined {
  if (context.repository === null || context.runId === null) return undefined;
  return `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/artifacts/${artifactId}`;
}

/** The event payload the runner wrote (GITHUB_EVENT_PATH), or an empty one. */
export function readEventPayload(path: string | undefined): Record<string, unknown> {
  if (path === undefined || !existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
