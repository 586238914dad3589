import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InputError, type Problem } from '../errors.js';
import { ImageCache, imageCacheKey } from '../images/cache.js';
import type { Plan } from '../plan/schema.js';
import { type ImageFileUse, insideFolders, type TrustPolicy, untrustedPlanProblems } from '../plan/trust.js';

/**
 * Enforces the trust policy before anything runs: an untrusted run has VM jobs only, boots build images only
 * from the image cache (never runs a build command), and prebuilt image files only from the trusted image
 * folders or from inside the repository (no symlink on the way out). Throws one InputError naming the policy.
 */
export async function enforceTrust(
  plan: Plan,
  policy: TrustPolicy,
  where: { repositoryRoot: string; cacheDir: string },
): Promise<void> {
  if (policy.trusted) return;
  const { problems, files } = untrustedPlanProblems(plan, policy);
  for (const use of files) {
    const problem = imageFileProblem(use, policy, where.repositoryRoot);
    if (problem !== undefined)
      problems.push({ file: plan.source.jobsFile, path: ['images', use.image, use.field], message: problem });
  }
  problems.push(...(await uncachedBuildImages(plan, policy, where)));
  if (problems.length > 0) throw new InputError(problems);
}

/** Why an untrusted run may not boot this file, or undefined. */
function imageFileProblem(
  use: ImageFileUse,
  policy: TrustPolicy,
  repositoryRoot: string,
): string | undefined {
  if (isAbsolute(use.path)) {
    // A missing file keeps its own path: the image check says so later, if the folder is allowed at all.
    const real = realOrSelf(use.path);
    // The real path must be inside a trusted folder's real path (the folder itself may be reached through a link).
    if (insideFolders(use.path, policy.imagePaths) && insideFolders(real, policy.imagePaths.map(realOrSelf)))
      return undefined;
    const allowed =
      policy.imagePaths.length === 0 ? 'none are set' : `they are ${policy.imagePaths.join(', ')}`;
    return `${use.path} is a host path outside the trusted image folders (trusted-image-paths: ${allowed}); ${policy.reason} boots host files only from there`;
  }
  // Inside the repository: the pull request's own file is guest content, but no component may lead elsewhere.
  // The schema refuses "..", in jobs files and plans alike; a plan that got here some other way is refused too.
  if (use.path.split('/').includes('..'))
    return `${use.path} climbs out of the repository (".."); ${policy.reason} boots repository files only from inside it`;
  let path = repositoryRoot;
  for (const part of use.path.split('/').filter((segment) => segment !== '' && segment !== '.')) {
    path = join(path, part);
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(path);
    } catch {
      return undefined; // missing: reported by the image check
    }
    if (stat.isSymbolicLink())
      return `${use.path} goes through a symbolic link in the repository; ${policy.reason} boots repository files only when no part of their path is a link`;
  }
  return undefined;
}

/** A path with every link resolved, or as given when it does not exist. */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Build images an untrusted run would have to build (it never does): located problems. */
async function uncachedBuildImages(
  plan: Plan,
  policy: TrustPolicy,
  where: { repositoryRoot: string; cacheDir: string },
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const cache = new ImageCache(join(where.cacheDir, 'images'));
  for (const node of plan.nodes) {
    if (node.kind !== 'prepare' || node.type !== 'build') continue;
    const { key } = await imageCacheKey(node, where.repositoryRoot);
    if (cache.lookup(key) !== undefined) continue;
    problems.push({
      file: plan.source.jobsFile,
      path: ['images', node.image, 'build'],
      message: `not in the image cache (key ${key}), and ${policy.reason} never runs build commands on the runner: let a trusted run (e.g. a push to the default branch) build this definition first`,
    });
  }
  return problems;
}
