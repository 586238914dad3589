import { statSync } from 'node:fs';
import type { PreparedImage } from '../engine/executor.js';
import { kernelProblem } from '../executors/vm/kernel-format.js';
import type { Plan, PrepareNode } from '../plan/schema.js';

/** The VM executors that boot an image in this plan. */
export function executorsUsing(plan: Plan, node: PrepareNode): ('vfkit' | 'qemu')[] {
  const executors = new Set<'vfkit' | 'qemu'>();
  for (const id of node.usedBy) {
    const user = plan.nodes.find((candidate) => candidate.id === id);
    if (user?.executor === 'vfkit' || user?.executor === 'qemu') executors.add(user.executor);
  }
  return [...executors].sort();
}

/**
 * Checks a prepared image before any job boots it: the files exist and are non-empty, and the kernel's format
 * fits its architecture and every executor that boots it (vfkit wants an uncompressed arm64 Image).
 */
export function imageProblems(image: PreparedImage, executors: ('vfkit' | 'qemu')[]): string[] {
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
    const problem = kernelProblem(image.kernel, image.arch, executor);
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}
