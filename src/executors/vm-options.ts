import type { ExecutorOption } from './descriptor.js';

/** The option every VM executor offers: keep a failed job's root disk clone to look into. */
export const KEEP_FAILED_DISKS = {
  name: 'keep-failed-disks',
  type: 'boolean',
  description: 'Keep the root disk clone of a failed VM job in its folder, to look into (true or false).',
} as const satisfies ExecutorOption;
