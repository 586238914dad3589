import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** What a snapshot's own `.git` holds: the commit jobs see as HEAD, and the branch it is on (if any). */
export interface GitHead {
  commit: string;
  branch: string | undefined;
}

/**
 * Git as a CI checkout gives it, without the user's repository: git itself, with no configuration of the user's
 * (their `includeIf`, credentials or hooks must not change what a job's git does) and no repository above the
 * folder it is asked about.
 */
function gitIsolated(cwd: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CEILING_DIRECTORIES: join(cwd, '..'),
    GIT_TERMINAL_PROMPT: '0',
  };
}

async function git(cwd: string, args: string[], signal: AbortSignal, env = process.env): Promise<string> {
  const { stdout } = await execFileAsync('git', args, {
    cwd,
    env,
    signal,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

/** The commit to give jobs: the plan's when the repository has it, else HEAD; undefined without commits. */
async function chooseHead(
  root: string,
  planCommit: string | null | undefined,
  signal: AbortSignal,
): Promise<GitHead | undefined> {
  const resolve = (rev: string) =>
    git(root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], signal).catch(() => '');
  // A plan can be edited: only a hex object name is handed to git, never text it could read as an option.
  const named = planCommit != null && /^[0-9a-f]{7,64}$/.test(planCommit) ? await resolve(planCommit) : '';
  const commit = named || (await resolve('HEAD'));
  if (commit === '') return undefined;
  const branch = await git(root, ['symbolic-ref', '--short', '--quiet', 'HEAD'], signal).catch(() => '');
  const head = branch === '' ? '' : await resolve(`refs/heads/${branch}`);
  // Name the branch only when the commit is its tip (a plan made on an older commit is detached, as in CI).
  return { commit, branch: branch !== '' && head === commit ? branch : undefined };
}

/**
 * Gives a snapshot a `.git` of its own, as a shallow CI checkout has: HEAD is `planCommit` (or the repository's
 * HEAD), `git log -1` shows it, and `git status` shows only what the snapshot has beyond the commit. Only that
 * commit's objects are fetched (depth 1), never the history, the user's config, remotes, credentials or hooks.
 * Returns what it made, or undefined when the repository has no commit to give.
 */
export async function addGitHead(
  root: string,
  target: string,
  planCommit: string | null | undefined,
  signal: AbortSignal,
): Promise<GitHead | undefined> {
  const head = await chooseHead(root, planCommit, signal);
  if (head === undefined) return undefined;
  const env = gitIsolated(target);
  await git(target, ['init', '--quiet', '--template=', target], signal, env);
  // A local fetch of one commit at depth 1: its tree and blobs, and a shallow boundary instead of its parents.
  await git(
    target,
    ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--depth=1', root, head.commit],
    signal,
    env,
  );
  if (head.branch !== undefined) {
    await git(target, ['update-ref', `refs/heads/${head.branch}`, head.commit], signal, env);
    await git(target, ['symbolic-ref', 'HEAD', `refs/heads/${head.branch}`], signal, env);
  } else {
    await git(target, ['update-ref', '--no-deref', 'HEAD', head.commit], signal, env);
  }
  await git(target, ['read-tree', head.commit], signal, env);
  // Stat every file once now, so a job's first `git status` does not hash the whole tree (exit 1: files differ).
  await git(target, ['update-index', '-q', '--refresh'], signal, env).catch(() => '');
  return head;
}
