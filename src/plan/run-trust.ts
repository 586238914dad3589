import type { WorkflowRunFacts } from '../github/workflow-runs.js';
import type { PlanTrust } from './schema.js';
import { decideTrust } from './trust.js';

/**
 * How far another workflow run's artifacts (its plan, results, logs) are trusted: `auto`'s verdict on what
 * GitHub says the run was — a fork's pull request, pull_request_target, workflow_run or an unknown event are
 * untrusted, whatever this step's own trust setting (the artifacts are that run's author's, not this workflow's).
 */
export function otherRunTrust(run: WorkflowRunFacts, repository: string): PlanTrust {
  const verdict = decideTrust(
    'auto',
    { event: run.event, forkPullRequest: run.headRepository !== repository },
    { imagePaths: [] },
  );
  const from = run.headRepository ?? 'a repository that is gone';
  return {
    trusted: verdict.trusted,
    reason: `rerunning workflow run ${run.runId} (a ${run.event} run of ${from}: ${verdict.trusted ? 'trusted' : 'untrusted'} under trust: auto)`,
  };
}

/**
 * The limit a plan's own record puts on running it (none when it was made trusted); `override` names the
 * setting that lifts it, where one does.
 */
export function recordedTrust(plan: { trust: PlanTrust }, override?: string): PlanTrust {
  if (plan.trust.trusted) return plan.trust;
  const lifted = override === undefined ? '' : ` (${override} overrides)`;
  return { trusted: false, reason: `running a plan made under ${plan.trust.reason}${lifted}` };
}
