import type { ExecutorName } from './catalog.js';
import { descriptorOf } from './catalog.js';
import type { JobExecutor } from './contract.js';
import type { ExecutorRuntime, ExecutorSettings } from './descriptor.js';

/**
 * The executors a run needs, made from the table: each is loaded (its code is imported only now) and checks in
 * its preflight that this machine can run it.
 */
export async function availableExecutors(
  names: Iterable<string>,
  settings: ExecutorSettings,
): Promise<Partial<Record<ExecutorName, JobExecutor>>> {
  const executors: Partial<Record<string, JobExecutor>> = {};
  for (const name of new Set(names)) executors[name] = (await runtimeOf(name)).create(settings);
  return executors;
}

const loaded = new Map<string, ExecutorRuntime>();

/** An executor's runtime, loaded once. */
export async function runtimeOf(name: string): Promise<ExecutorRuntime> {
  let runtime = loaded.get(name);
  if (runtime === undefined) {
    runtime = await descriptorOf(name).load();
    loaded.set(name, runtime);
  }
  return runtime;
}

/** An executor's runtime if it was loaded already (for exit handlers, which cannot wait for an import). */
export function loadedRuntimeOf(name: string): ExecutorRuntime | undefined {
  return loaded.get(name);
}
