import { statSync } from 'node:fs';
import { descriptorOf } from '../executors/catalog.js';
import type { PreparedImage } from '../executors/contract.js';

/**
 * Checks a prepared image before any job boots it: the files exist and are non-empty, and the kernel's format
 * fits its architecture and every executor that boots it (each executor's descriptor says what it boots).
 */
export function imageProblems(image: PreparedImage, executors: readonly string[]): string[] {
  const problems: string[] = [];
  const files: [string, string | null][] = [
    ['kernel', image.kernel],
    ['initrd', image.initrd],
    ['disk', image.disk],
  ];
  for (const [what, path] of files) {
    if (path === null) continue;
    try {
      const info = statSync(path);
      if (!info.isFile()) problems.push(`the ${what} ${path} is not a file`);
      else if (info.size === 0) problems.push(`the ${what} ${path} is empty`);
    } catch {
      problems.push(`the ${what} ${path} does not exist`);
    }
  }
  if (problems.length > 0) return problems;
  for (const executor of executors) {
    const problem = descriptorOf(executor).kernelProblem?.(image.kernel, image.arch);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}
