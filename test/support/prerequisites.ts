import { spawnSync } from 'node:child_process';

/**
 * Whether a test prerequisite is here. Outside CI a missing one skips the tests that need it (with a note);
 * in CI (CI=true) it fails the run instead, so nothing is ever skipped silently where it counts.
 */
export function prerequisite(what: string, available: boolean): boolean {
  if (available) return true;
  if (process.env.CI === 'true')
    throw new Error(`missing test prerequisite in CI: ${what} (.ci/run must install it)`);
  console.warn(`skipping tests that need ${what} (not available here; CI installs it)`);
  return false;
}

/** True when a command runs and exits 0. */
export function commandWorks(command: string, args: string[] = ['--version']): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}
