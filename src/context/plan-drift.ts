import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plan } from '../plan/schema.js';
import { sha256 } from '../util/canonical-json.js';
import { git } from './git.js';

/**
 * How this checkout differs from the one a plan was made on (`vmplan run --plan` of a plan from a workflow run):
 * another commit, or a jobs file with other bytes. Warnings, not errors: reproducing a CI run on a laptop with
 * local changes is the point; the user should know which jobs file and which files the jobs see.
 */
export function planDrift(plan: Plan, root: string): string[] {
  const warnings: string[] = [];
  const head = git(root, ['rev-parse', '--verify', '-q', 'HEAD']);
  if (plan.source.commit !== null && head !== undefined && head !== plan.source.commit)
    warnings.push(
      `the plan was made at commit ${plan.source.commit.slice(0, 12)}; this checkout is at ${head.slice(0, 12)}: the jobs run on this checkout's files (git checkout ${plan.source.commit.slice(0, 12)} to run them on the plan's)`,
    );
  const name = plan.source.jobsFile;
  if (name === 'inline') return warnings;
  let bytes: Buffer | undefined;
  try {
    bytes = readFileSync(resolve(root, name));
  } catch {
    bytes = undefined;
  }
  if (bytes === undefined) warnings.push(`the plan's jobs file ${name} is not in this checkout`);
  else if (sha256(bytes) !== plan.source.jobsFileSha256)
    warnings.push(
      `${name} changed since the plan was made (sha256 ${plan.source.jobsFileSha256.slice(0, 12)}, now ${sha256(bytes).slice(0, 12)}): the plan runs the jobs as they were; vmplan run ${name} plans them again`,
    );
  return warnings;
}
