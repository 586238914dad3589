import { readFileSync } from 'node:fs';
import type { Executor } from '../config/schema.js';
import { InputError } from '../errors.js';
import { defaultExecutorFor } from '../executors/catalog.js';
import type { PlanContext } from '../plan/build.js';
import type { Changes } from '../plan/schema.js';
import { fileList, git } from './git.js';

/** The executor a host platform runs VMs with by default. */
export function platformExecutor(platform: NodeJS.Platform = process.platform): Executor {
  return defaultExecutorFor(platform);
}

/** The repository root containing `cwd` (git's top level), or `cwd` itself outside git. */
export function repositoryRoot(cwd: string): string {
  return gitTopLevel(cwd) ?? cwd;
}

/** The top of the git work tree containing `cwd`, or undefined outside git. */
export function gitTopLevel(cwd: string): string | undefined {
  return git(cwd, ['rev-parse', '--show-toplevel']);
}

/** Source facts for a local run: repository (from the origin remote), HEAD commit and branch. */
export function localSource(cwd: string): PlanContext['source'] {
  const remote = git(cwd, ['remote', 'get-url', 'origin']);
  return {
    repository: remote === undefined ? null : repositoryFromRemote(remote),
    commit: git(cwd, ['rev-parse', '--verify', '-q', 'HEAD']) ?? null,
    ref: git(cwd, ['symbolic-ref', '-q', 'HEAD']) ?? null,
    event: 'local',
  };
}

/** `owner/name` from a GitHub-style remote URL (https or ssh), else the URL; never the credentials a URL holds. */
export function repositoryFromRemote(remote: string): string {
  // The user and password go first: `https://ci:TOKEN@git.example.com/repo.git` has one path part, and the
  // owner/name match would otherwise take `TOKEN@git.example.com/repo` into plan.json.
  const bare = remote.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
  const match = /[:/]([^/:]+\/[^/]+?)(?:\.git)?\/?$/.exec(bare);
  return match?.[1] ?? bare;
}

/**
 * Changed files for `paths` filters: from a file (one path per line), or from git against a base ref
 * (committed changes since the merge base, plus uncommitted and untracked files).
 */
export function localChanges(cwd: string, options: { changedFilesPath?: string; base?: string }): Changes {
  if (options.changedFilesPath !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.changedFilesPath, 'utf8');
    } catch (error) {
      throw new InputError(
        `--changed-files ${options.changedFilesPath}: cannot read (${(error as NodeJS.ErrnoException).code})`,
      );
    }
    const files = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '');
    return { known: true, source: `file ${options.changedFilesPath}`, files };
  }
  if (options.base !== undefined) {
    const mergeBase = git(cwd, ['merge-base', options.base, 'HEAD']);
    if (mergeBase === undefined)
      throw new InputError(`--base ${options.base}: not a commit git can find here`);
    const changed = fileList(git(cwd, ['diff', '--name-only', '-z', mergeBase]));
    const untracked = fileList(git(cwd, ['ls-files', '--others', '--exclude-standard', '-z']));
    return {
      known: true,
      source: `git diff ${options.base} (merge base ${mergeBase.slice(0, 12)})`,
      files: [...changed, ...untracked],
    };
  }
  return { known: false, reason: 'no --base or --changed-files given' };
}

/** The plan timestamp: SOURCE_DATE_EPOCH when set (reproducible output), else now. */
export function planTimestamp(env: NodeJS.ProcessEnv = process.env, now = new Date()): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return now.toISOString();
}
