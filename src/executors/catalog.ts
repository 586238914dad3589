import { InternalError } from '../errors.js';
import type { ExecutorDescriptor, ExecutorOption } from './descriptor.js';
import * as table from './table.js';

type Described = (typeof table)[keyof typeof table];
/** An executor's name, as the table knows it. */
export type ExecutorName = Described['name'];

/** Every executor, in listing order. */
export const EXECUTORS: readonly ExecutorDescriptor[] = Object.values(table).sort(
  (a, b) => a.order - b.order,
);

/** Executor names in listing order (the jobs-file enum). */
export const EXECUTOR_NAMES = EXECUTORS.map((descriptor) => descriptor.name) as [
  ExecutorName,
  ...ExecutorName[],
];

/** The executor that runs things directly on this machine (image builds run there too). */
export const HOST_EXECUTOR = EXECUTORS.find((descriptor) => descriptor.isolation === 'host')!
  .name as ExecutorName;

/** The descriptor of an executor; an unknown name is a bug (names are validated where they enter). */
export function descriptorOf(name: string): ExecutorDescriptor {
  const descriptor = EXECUTORS.find((candidate) => candidate.name === name);
  if (descriptor === undefined) throw new InternalError(`no executor named "${name}" in the table`);
  return descriptor;
}

/** True when the executor runs jobs in VMs (they need an image). */
export function isVmExecutor(name: string): boolean {
  return descriptorOf(name).isolation === 'vm';
}

/** The executor jobs use on a platform when they name none: the one that is default there, else the first host executor. */
export function defaultExecutorFor(platform: NodeJS.Platform): ExecutorName {
  const found = EXECUTORS.find((descriptor) => descriptor.defaultOn.includes(platform));
  return found === undefined ? HOST_EXECUTOR : (found.name as ExecutorName);
}

/** Every executor option, once each (VM executors share some), in listing order. */
export function executorOptions(): ExecutorOption[] {
  const options = new Map<string, ExecutorOption>();
  for (const descriptor of EXECUTORS)
    for (const option of descriptor.options) options.set(option.name, option);
  return [...options.values()];
}
