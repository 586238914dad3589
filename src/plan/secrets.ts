import type { Plan } from './schema.js';

/** Values of the secrets a plan names, as set in the environment (to make sure none leaks into plan.json). */
export function secretValuesOf(plan: Plan, env: NodeJS.ProcessEnv): string[] {
  return plan.preconditions.flatMap((p) => (p.kind === 'secret' && env[p.name] ? [env[p.name]!] : []));
}

/** Names of the runner variables any job of the plan names under `secrets:` (withheld from everything else). */
export function secretNamesOf(plan: Plan): ReadonlySet<string> {
  return new Set(plan.preconditions.flatMap((p) => (p.kind === 'secret' ? [p.name] : [])));
}
