import type { Plan } from './schema.js';

/** Values of the secrets a plan names, as set in the environment (to make sure none leaks into plan.json). */
export function secretValuesOf(plan: Plan, env: NodeJS.ProcessEnv): string[] {
  return plan.preconditions.flatMap((p) => (p.kind === 'secret' && env[p.name] ? [env[p.name]!] : []));
}
