import { accessSync, constants, existsSync, lstatSync, mkdirSync, rmdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { InfrastructureError, InputError, isOutOfSpace } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

/** Folders vmplan keeps inside a state folder; each must be a folder if it exists. */
const STATE_SUBFOLDERS = ['runs', 'cache', 'plans', 'images', 'shared'];

/**
 * Creates a vmplan state folder that git ignores on its own (a `.gitignore` of `*` inside it), so runs,
 * plans and caches never show up as changes or get committed, whatever the repository's own ignore rules.
 * A state folder that cannot be one (a file in its place or in place of `runs`, no write permission) is an
 * InputError naming the folder and what is wrong, before anything is written.
 */
export function ensureStateDir(path: string, what = 'state folder'): string {
  const problem = stateDirProblem(path);
  if (problem !== undefined) throw new InputError(`${what} ${path}: ${problem}`);
  const ignore = join(path, '.gitignore');
  try {
    if (!existsSync(ignore))
      writeFileAtomic(ignore, '# Created by vmplan: everything here is local state.\n*\n');
  } catch (error) {
    if (!isOutOfSpace(error)) throw error;
    throw new InfrastructureError(
      `${what} ${path} is out of space (${(error as NodeJS.ErrnoException).code}): free some (vmplan gc) and run again`,
    );
  }
  return path;
}

/** What makes a folder unusable as a state folder (creating it when missing), or undefined. */
function stateDirProblem(path: string): string | undefined {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    const code = mkdirErrorCode(path, error as NodeJS.ErrnoException);
    if (code === 'EEXIST' || code === 'ENOTDIR') return 'it, or a folder above it, is a file';
    if (code === 'EACCES' || code === 'EPERM') return 'cannot be created here (permission denied)';
    if (code === 'EROFS') return 'is on a read-only filesystem';
    return `cannot be created (${code ?? (error as Error).message})`;
  }
  if (!lstatSync(path).isDirectory()) return 'is not a folder';
  for (const name of STATE_SUBFOLDERS) {
    const sub = join(path, name);
    if (existsSync(sub) && !lstatSync(sub).isDirectory())
      return `${name} is not a folder (move it away: vmplan keeps its ${name} there)`;
  }
  try {
    accessSync(path, constants.W_OK);
  } catch {
    return 'is not writable (vmplan writes runs, logs and caches there)';
  }
  return undefined;
}

/**
 * Why creating `path` failed. Node's recursive mkdir reports ENOENT for any failure below an existing folder (a
 * read-only filesystem, say): creating the first missing folder on its own gives the real reason.
 */
function mkdirErrorCode(path: string, error: NodeJS.ErrnoException): string | undefined {
  if (error.code !== 'ENOENT') return error.code;
  let missing = path;
  while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
  try {
    mkdirSync(missing);
    rmdirSync(missing);
  } catch (real) {
    return (real as NodeJS.ErrnoException).code ?? error.code;
  }
  return error.code;
}

/**
 * The per-user folder for what outlives runs (the image cache, named caches, recorded durations): VMPLAN_CACHE_DIR,
 * else `~/Library/Caches/vmplan` on macOS and `$XDG_CACHE_HOME/vmplan` (or `~/.cache/vmplan`) elsewhere. Never
 * under a runner's RUNNER_TEMP, which the runner empties before and after every job.
 */
export function defaultCacheDir(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
  home: string = env.HOME ?? homedir(),
): string {
  if (env.VMPLAN_CACHE_DIR !== undefined && env.VMPLAN_CACHE_DIR !== '') return env.VMPLAN_CACHE_DIR;
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'vmplan');
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.cache'), 'vmplan');
}
