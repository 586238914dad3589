import { getExecOutput } from '@actions/exec';
import type { Changes } from '../plan/schema.js';
import type { WorkflowContext } from './workflow-context.js';

/**
 * The files a push or pull request changed, from git in the workspace. When they cannot be determined (a shallow
 * clone without the base commit, a new branch, another event), the changes are "unknown" with the reason: then no
 * job is filtered out by `paths`, and the summary says why.
 */
export async function changedFiles(context: WorkflowContext): Promise<Changes> {
  if ('unknown' in context.diff) return { known: false, reason: context.diff.unknown };
  const { base, head, mergeBase } = context.diff;
  const range = mergeBase ? `${base}...${head}` : `${base}..${head}`;
  const result = await getExecOutput('git', ['diff', '--name-only', '-z', range], {
    cwd: context.workspace,
    ignoreReturnCode: true,
    silent: true,
  });
  if (result.exitCode !== 0) {
    const reason = /bad object|unknown revision|invalid revision|Invalid symmetric difference/i.test(
      result.stderr,
    )
      ? `commit ${base.slice(0, 12)} is not in the clone (use actions/checkout with fetch-depth: 0)`
      : `git diff ${range} failed: ${result.stderr.trim().split('\n').pop() ?? `exit ${result.exitCode}`}`;
    return { known: false, reason };
  }
  return {
    known: true,
    source: `git diff ${range}`,
    files: result.stdout.split('\0').filter((file) => file !== ''),
  };
}
