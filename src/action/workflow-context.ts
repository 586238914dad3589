import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { PlanContext } from '../plan/build.js';
import { PULL_REQUEST_EVENTS } from '../plan/trust.js';

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
  /** Why a pull request event's origin cannot be told (its payload unreadable or without the pull request). */
  pullRequestOriginUnknown: string | undefined;
  /** Commits to diff for `paths` filters: base..head, or why they are unknown. */
  diff: { base: string; head: string; mergeBase: boolean } | { unknown: string };
}

const RepoSchema = z.looseObject({ full_name: z.string().optional() });

/** The fields of the event payload (GITHUB_EVENT_PATH) the action reads; any other field is ignored. */
const EventPayloadSchema = z.looseObject({
  before: z.string().optional(),
  after: z.string().optional(),
  pull_request: z
    .looseObject({
      head: z
        .looseObject({ sha: z.string().optional(), ref: z.string().optional(), repo: RepoSchema.nullish() })
        .optional(),
      base: z.looseObject({ sha: z.string().optional(), repo: RepoSchema.optional() }).optional(),
    })
    .optional(),
});
/** An event payload, as far as the action reads it. */
export type EventPayload = z.infer<typeof EventPayloadSchema>;

const ZERO_SHA = /^0+$/;

/**
 * Reads the workflow context from the runner's environment and the event payload (`unreadable`: why the payload
 * could not be read, when it could not). Pure.
 */
export function workflowContext(
  env: NodeJS.ProcessEnv,
  payload: EventPayload,
  unreadable?: string,
): WorkflowContext {
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
    pullRequestOriginUnknown: originUnknown(event, pullRequest !== undefined, unreadable),
    diff,
  };
}

/** Why a pull request event cannot be shown to come from this repository, or undefined. */
function originUnknown(event: string | null, hasPullRequest: boolean, unreadable: string | undefined) {
  if (event === null || !PULL_REQUEST_EVENTS.has(event)) return undefined;
  if (unreadable !== undefined) return `the ${event} event payload ${unreadable}`;
  if (!hasPullRequest) return `the ${event} event payload has no pull_request`;
  return undefined;
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

/**
 * The event payload the runner wrote (GITHUB_EVENT_PATH), or an empty one and why it could not be read (missing,
 * unreadable, not JSON, fields of the wrong type): callers decide what an unknown event means (trust fails closed).
 */
export function readEventPayload(path: string | undefined): { payload: EventPayload; unreadable?: string } {
  if (path === undefined || path === '')
    return { payload: {}, unreadable: 'is not given (GITHUB_EVENT_PATH is not set)' };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { payload: {}, unreadable: `could not be read (${path}: ${code})` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { payload: {}, unreadable: `is not JSON (${path})` };
  }
  const parsed = EventPayloadSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    return { payload: {}, unreadable: `is not a valid event payload (${path}${at}: ${issue?.message})` };
  }
  return { payload: parsed.data };
}
