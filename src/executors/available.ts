import { resolve } from 'node:path';
import type { Executor as ExecutorName } from '../config/schema.js';
import type { JobExecutor } from '../engine/executor.js';
import { HostExecutor } from './host.js';
import { QemuExecutor } from './vm/qemu.js';
import { VfkitExecutor } from './vm/vfkit.js';

/** Where and how vmplan runs jobs on this machine, as the CLI flags or the action inputs say. */
export interface ExecutorSettings {
  env: NodeJS.ProcessEnv;
  /** The state folder's cache/ (images, KVM probe, caches). */
  cacheDir: string;
  /** vfkit to use: a path (relative to `base`) when it has a slash, else a name looked up on PATH. */
  vfkitPath: string | undefined;
  /** The folder relative vfkit paths start from (the CLI's working folder, the action's workspace). */
  base: string;
  keepFailedDisks: boolean;
}

/** The executors vmplan offers; each checks in its preflight that this machine can run it. */
export function availableExecutors(settings: ExecutorSettings): Partial<Record<ExecutorName, JobExecutor>> {
  const { vfkitPath, keepFailedDisks, env } = settings;
  return {
    host: new HostExecutor(env),
    qemu: new QemuExecutor({ cacheDir: settings.cacheDir, keepFailedDisks }),
    vfkit: new VfkitExecutor({
      vfkitPath: vfkitPath?.includes('/') === true ? resolve(settings.base, vfkitPath) : vfkitPath,
      env,
      keepFailedDisks,
    }),
  };
}
