/**
 * Variables of the runner that no job, image build or guest may see, whatever the jobs file asks: the runner's
 * and the action's credentials (`ACTIONS_RUNTIME_TOKEN`, `ACTIONS_ID_TOKEN_REQUEST_*`, `INPUT_*` holds the
 * github-token input, `STATE_*` the action's saved state), the token workflows conventionally export, and the
 * files through which a step talks to the runner (writing `GITHUB_ENV` or `GITHUB_PATH` changes later steps).
 */
const RUNNER_ONLY: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /^ACTIONS_/, what: "the runner's own credentials and settings" },
  { pattern: /^INPUT_/, what: "the action's inputs, which include its github-token" },
  { pattern: /^STATE_/, what: "the action's saved state" },
  {
    pattern: /^(GITHUB_TOKEN|GH_TOKEN|GH_ENTERPRISE_TOKEN|GITHUB_ENTERPRISE_TOKEN)$/,
    what: 'a GitHub token',
  },
  {
    pattern: /^GITHUB_(ENV|OUTPUT|PATH|STATE|STEP_SUMMARY)$/,
    what: 'a file through which a step changes the workflow',
  },
  { pattern: /^RUNNER_(TOKEN|TRACKING_ID)$/, what: "the runner's credentials" },
];

/** Why a variable is the runner's alone (to say so in an error), or undefined when a job may be given it. */
export function runnerOnlyReason(name: string): string | undefined {
  return RUNNER_ONLY.find((entry) => entry.pattern.test(name))?.what;
}

/** True for variables no job or image build ever inherits or is given. */
export function isRunnerOnly(name: string): boolean {
  return runnerOnlyReason(name) !== undefined;
}
