import * as core from '@actions/core';
import { checkHost, checksMarkdown, verdict } from '../doctor/checks.js';
import { gatherFacts } from '../doctor/facts.js';
import { isVmExecutor } from '../executors/catalog.js';
import type { Plan } from '../plan/schema.js';
import type { StateLayout } from '../records/layout.js';
import type { ActionsLog } from './actions-log.js';
import { type ActionInputs, executorInputs } from './inputs.js';
import { writeSummary } from './outputs.js';

/**
 * The action's preflight: `vmplan doctor`'s checks for what this plan needs on this runner (its VM executors, the
 * runner's version, the state and cache folders). Warnings go to the log; a problem fails the step before anything
 * runs, with the doctor's table (and each fix) in the job summary. Returns whether the run may go ahead.
 */
export async function hostPreflight(
  plan: Plan,
  inputs: ActionInputs,
  layout: StateLayout,
  log: ActionsLog,
): Promise<boolean> {
  const vfkitPath = executorInputs(inputs)['vfkit-path'];
  const checks = checkHost(
    gatherFacts({
      executors: [...new Set(plan.nodes.map((node) => node.executor))].filter(isVmExecutor),
      env: process.env,
      ...(typeof vfkitPath === 'string' && vfkitPath !== '' ? { vfkitPath } : {}),
      folders: [
        { what: 'state folder', path: layout.root, persistent: false },
        { what: 'cache folder', path: layout.cacheDir, persistent: true },
      ],
    }),
  );
  for (const check of checks)
    if (check.status === 'warn')
      log.command(() =>
        core.warning(
          `vmplan doctor: ${check.summary}${check.fix === undefined ? '' : ` (fix: ${check.fix})`}`,
        ),
      );
  if (checks.every((check) => check.status !== 'fail')) return true;
  await writeSummary(checksMarkdown(checks));
  const problems = checks.filter((check) => check.status === 'fail');
  log.command(() =>
    core.setFailed(
      `vmplan: this runner cannot run the plan (${verdict(checks)}):\n${problems.map((check) => `  - ${check.summary}${check.fix === undefined ? '' : `; fix: ${check.fix}`}`).join('\n')}`,
    ),
  );
  return false;
}
