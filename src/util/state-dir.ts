import { accessSync, constants, existsSync, lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InfrastructureError, InputError, isOutOfSpace } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

/** Folders vmplan keeps inside a state folder; each must be a folder if it exists. */
const STATE_SUBFOLDERS = ['runs', 'cache', 'plans'];

/**
 * Creates a vmplan state folder that git ignores on its own (a `.gitignore` of `*` inside it), so runs,
 * plans and caches never show up as changes or get committed, whatever the repository's own ignore rules.
 * A state folder that cannot be one (a file in its place or in place of `runs`, no write permission) is an
 * InputError naming the folder and what is wrong, before anything is written.
 */
export function ensureStateDir(path: string): string {
  const problem = stateDirProblem(path);
  if (problem !== undefined) throw new InputError(`state folder ${path}: ${problem}`);
  const ignore = join(path, '.gitignore');
  try {
    if (!existsSync(ignore))
      writeFileAtomic(ignore, '# Created by vmplan: everything here is local state.\n*\n');
  } catch (error) {
    if (!isOutOfSpace(error)) throw error;
    throw new InfrastructureError(
      `state folder ${path} is out of space (${(error as NodeJS.ErrnoException).code}): free some (vmplan gc) and run again`,
    );
  }
  return path;
}

/** What makes a folder unusable as a state folder (creating it when missing), or undefined. */
function stateDirProblem(path: string): string | undefined {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
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
