import type { ExecutorDescriptor } from '../descriptor.js';

/** The host executor: each job in a folder of its own on this machine, no VM. */
export const host = {
  name: 'host',
  order: 1,
  summary: '"host" (directly on this machine, no VM)',
  docs: {
    where: 'anywhere',
    isolation: 'a folder per job',
    notes: 'no VM: for trusted work and trying a jobs file out',
  },
  isolation: 'host',
  defaultOn: [],
  guestArchs: [],
  options: [],
  load: async () => (await import('./executor.js')).runtime,
} as const satisfies ExecutorDescriptor;
