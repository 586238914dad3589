import { z } from 'zod';
import { InputError } from '../errors.js';

/** The slice of Octokit this client uses. */
export interface RestApi {
  request(route: string, parameters: Record<string, unknown>): Promise<{ data: unknown }>;
}

/** The fields of GitHub's workflow-run object vmplan reads (GET /repos/{owner}/{repo}/actions/runs/{run_id}). */
const WorkflowRunSchema = z.object({
  event: z.string().min(1),
  head_sha: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'expected a commit id'),
  // null when the head repository was deleted (a fork that is gone).
  head_repository: z
    .object({ full_name: z.string().min(1) })
    .nullable()
    .optional(),
});

/** What GitHub says a workflow run was: never read from the run's own artifacts, which its workflow wrote. */
export interface WorkflowRunFacts {
  runId: number;
  event: string;
  /** The commit the run ran (the pull request's head on pull requests). */
  headSha: string;
  /** owner/name of the repository the run's code came from; null when that repository is gone. */
  headRepository: string | null;
}

/**
 * Asks GitHub what workflow run `runId` of a repository was. Throws an InputError saying why when the API does not
 * answer with a run (no token, no such run, a token without `actions: read`): callers fail closed on it.
 */
export async function fetchWorkflowRun(
  api: RestApi,
  repository: { owner: string; repo: string },
  runId: number,
): Promise<WorkflowRunFacts> {
  const route = 'GET /repos/{owner}/{repo}/actions/runs/{run_id}';
  const cannot = (why: string) =>
    new InputError(
      `cannot tell what workflow run ${runId} was: ${why}. vmplan uses another run's artifacts only once GitHub says whose code that run ran (the github-token needs actions: read)`,
    );
  let data: unknown;
  try {
    ({ data } = await api.request(route, { ...repository, run_id: runId }));
  } catch (error) {
    const status = (error as { status?: number }).status;
    throw cannot(
      `GitHub's API answered ${status ?? `with an error: ${(error as Error).message}`} to GET /repos/${repository.owner}/${repository.repo}/actions/runs/${runId}`,
    );
  }
  const parsed = WorkflowRunSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw cannot(`GitHub's answer has no valid ${issue?.path.join('.') || 'run'} (${issue?.message})`);
  }
  return {
    runId,
    event: parsed.data.event,
    headSha: parsed.data.head_sha,
    headRepository: parsed.data.head_repository?.full_name ?? null,
  };
}
