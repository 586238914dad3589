import type { ExecuteNode } from '../plan/schema.js';

/**
 * Runner variables a job must never inherit: credentials of the runner and of the action itself
 * (`INPUT_*` includes the github-token input). Jobs get secrets only by naming them.
 */
const NEVER_INHERITED = [/^INPUT_/, /^STATE_/, /^ACTIONS_/, /^GITHUB_TOKEN$/, /^VMPLAN_/, /^NODE_OPTIONS$/];

/** Variables vmplan sets for every job. */
export function vmplanVariables(runId: string, node: ExecuteNode, workspace: string): Record<string, string> {
  return { VMPLAN: '1', VMPLAN_RUN_ID: runId, VMPLAN_JOB: node.job, VMPLAN_WORKSPACE: workspace, CI: 'true' };
}

/**
 * The environment of a job run on the host: the runner's environment minus credentials, then the job's
 * literal env, its named secrets and vmplan's variables (later ones win).
 */
export function hostJobEnvironment(
  inherited: NodeJS.ProcessEnv,
  node: ExecuteNode,
  secrets: Record<string, string>,
  vmplan: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (value !== undefined && !NEVER_INHERITED.some((pattern) => pattern.test(name))) env[name] = value;
  }
  return { ...env, ...node.env, ...secrets, ...vmplan };
}
