import { spawnSync } from 'node:child_process';

/** Runs git in a folder and returns its trimmed stdout, or undefined when git fails or is missing. */
export function git(cwd: string, args: string[]): string | undefined {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0 || result.error !== undefined) return undefined;
  return result.stdout.trim();
}

/** Like `git`, but throws with git's own message on failure. */
export function gitOrThrow(cwd: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error !== undefined) throw new Error(`cannot run git: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(
      `git ${args.join(' ')} failed: ${result.stderr.trim().split('\n').pop() ?? `exit ${result.status}`}`,
    );
  }
  return result.stdout.trim();
}

/** Splits git's NUL- or newline-separated file lists. */
export function fileList(output: string | undefined): string[] {
  if (output === undefined || output === '') return [];
  return output.split(/\0|\n/).filter((line) => line !== '');
}
