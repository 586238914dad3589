import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Problem } from '../errors.js';
import type { Plan } from '../plan/schema.js';

/**
 * The prebuilt image files a plan names that cannot be booted as given — missing, or not a regular file — located
 * at the image's field in the jobs file, with the path as it resolves here (a repository path climbing out with
 * `..` never gets this far: the jobs-file and plan schemas refuse it). Checked before anything runs, on the machine that runs it (a plan made elsewhere names paths
 * of that machine's repository and image folders): `oci`, `build` and `nix` images are not files and pass.
 */
export function givenImageFileProblems(plan: Plan, repositoryRoot: string): Problem[] {
  const problems: Problem[] = [];
  for (const node of plan.nodes) {
    if (node.kind !== 'prepare' || node.type !== 'files') continue;
    const fields: [string, string | null][] = [
      ['kernel', node.kernel],
      ['initrd', node.initrd],
      ['disk', node.disk],
    ];
    for (const [field, given] of fields) {
      if (given === null) continue;
      const message = fileProblem(given, repositoryRoot);
      if (message !== undefined)
        problems.push({
          file: plan.source.jobsFile,
          path: ['images', node.image, field],
          message: `the ${field} of image "${node.image}": ${message}`,
        });
    }
  }
  return problems;
}

/** Why one given path is no image file, or undefined. */
function fileProblem(given: string, repositoryRoot: string): string | undefined {
  const path = isAbsolute(given) ? given : resolve(repositoryRoot, given);
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return `${path} is not a regular file`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `${path} does not exist`;
    return `${path} cannot be read (${code ?? String(error)})`;
  }
}
