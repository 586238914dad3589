import { existsSync } from 'node:fs';
import { cp, mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { leaseFolder } from '../util/lease.js';

/**
 * Files that make a folder a project to the tools a job runs: Node resolves `node_modules` of every folder above
 * a script, git finds the nearest `.git`, Python, Cargo, Go and others look upwards for their project files. A
 * host job's workspace must have none of them above it, or a job passes locally and fails in CI.
 */
export const PROJECT_MARKERS = [
  '.git',
  'node_modules',
  'package.json',
  'pyproject.toml',
  'setup.py',
  'requirements.txt',
  'Pipfile',
  '.venv',
  'Cargo.toml',
  'go.mod',
  'go.work',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'Gemfile',
  'composer.json',
  'deno.json',
  'tsconfig.json',
] as const;

/** The nearest folder above `path` holding a project marker, and which, or undefined when there is none. */
export function projectAbove(
  path: string,
  exists: (path: string) => boolean = existsSync,
): { folder: string; marker: string } | undefined {
  for (let folder = dirname(path); ; folder = dirname(folder)) {
    const marker = PROJECT_MARKERS.find((name) => exists(join(folder, name)));
    if (marker !== undefined) return { folder, marker };
    if (dirname(folder) === folder) return undefined;
  }
}

/** Where a host job runs, and how its workspace ends. */
export interface HostWorkspace {
  /** The folder the job runs in. */
  path: string;
  /** Why it is not in the job's folder (a project above that folder), or undefined when it is. */
  movedBecause: string | undefined;
  /** Keeps the workspace in the job's folder (a failed job's, to look into), or drops it. */
  finish(keep: boolean): Promise<void>;
}

/**
 * The workspace of a host job, from the candidates the state layout names (StateLayout.hostWorkspaceCandidates):
 * `<job folder>/workspace` when nothing above the job folder is a project, else under the cache folder (usually on
 * the same volume as the checkout, so the copy is still a clone), else under the system's temporary folder. The state folder is usually inside the user's checkout, whose `node_modules`, `.git`
 * and project files a job must not find. A kept workspace is moved back into the job's folder, so everything of a
 * run stays in its folder.
 */
export async function hostWorkspace(candidates: readonly string[]): Promise<HostWorkspace> {
  const inJobDir = candidates[0]!;
  const above = projectAbove(inJobDir);
  if (above === undefined) {
    return {
      path: inJobDir,
      movedBecause: undefined,
      finish: (keep) => (keep ? Promise.resolve() : rm(inJobDir, { recursive: true, force: true })),
    };
  }
  const elsewhere = candidates.slice(1);
  const path = elsewhere.find((candidate) => projectAbove(candidate) === undefined) ?? elsewhere.at(-1)!;
  await rm(path, { recursive: true, force: true });
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // The run's folder there is in use until the run ends: gc of the cache folder leaves it alone.
  await leaseFolder(dirname(path));
  return {
    path,
    movedBecause: `${join(above.folder, above.marker)} is above the job's folder`,
    async finish(keep) {
      if (keep) await moveInto(path, inJobDir);
      await rm(path, { recursive: true, force: true });
      await rmdir(dirname(path)).catch(() => undefined);
    },
  };
}

/** Moves a folder, copying when it is on another filesystem. */
async function moveInto(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await cp(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  }
}
