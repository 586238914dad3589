import { isRunnerOnly } from '../config/runner-variables.js';
import type { ExecuteNode } from '../plan/schema.js';

/**
 * The runner's environment without what no job or image build may inherit: the runner's credentials and
 * workflow files (see runner-variables.ts), vmplan's own variables and NODE_OPTIONS (which would change how a
 * job's node runs), and the `withheld` names — the secrets the plan's jobs name (see secretNamesOf), which reach
 * a job only when it names them itself.
 */
export function inheritableEnvironment(
  inherited: NodeJS.ProcessEnv,
  withheld: ReadonlySet<string> = new Set(),
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (
      value !== undefined &&
      !isRunnerOnly(name) &&
      !withheld.has(name) &&
      !/^(VMPLAN_|NODE_OPTIONS$)/.test(name)
    )
      env[name] = value;
  }
  return env;
}

/** Variables vmplan sets for every job. */
export function vmplanVariables(runId: string, node: ExecuteNode, workspace: string): Record<string, string> {
  return { VMPLAN: '1', VMPLAN_RUN_ID: runId, VMPLAN_JOB: node.job, VMPLAN_WORKSPACE: workspace, CI: 'true' };
}

/**
 * The environment of a job run on the host: the runner's environment minus credentials and minus every secret
 * another job of the plan names (`planSecrets`), then the job's literal env, its own named secrets and vmplan's
 * variables (later ones win).
 */
export function hostJobEnvironment(
  inherited: NodeJS.ProcessEnv,
  node: ExecuteNode,
  secrets: Record<string, string>,
  vmplan: Record<string, string>,
  planSecrets: ReadonlySet<string> = new Set(),
): NodeJS.ProcessEnv {
  return { ...inheritableEnvironment(inherited, planSecrets), ...node.env, ...secrets, ...vmplan };
}
