import type { ExecutorDescriptor } from '../descriptor.js';
import { kernelProblem } from '../kernel-format.js';
import { KEEP_FAILED_DISKS } from '../vm-options.js';

/** The vfkit executor: a VM per job on an Apple Silicon Mac (Apple's Virtualization framework). */
export const vfkit = {
  name: 'vfkit',
  order: 2,
  summary: '"vfkit" (a VM on a Mac)',
  docs: {
    where: 'self-hosted Apple Silicon Mac, macOS 13+',
    isolation: "a VM per job (Apple's Virtualization framework)",
    notes: 'default on macOS; `brew install vfkit` (0.6.2+)',
  },
  isolation: 'vm',
  defaultOn: ['darwin'],
  // The Virtualization framework cannot emulate: guests run on the Mac's own CPU.
  guestArchs: 'host',
  kernelProblem: (path, arch) => kernelProblem(path, arch, { compressedArm64: false, executor: 'vfkit' }),
  options: [
    {
      name: 'vfkit-path',
      type: 'string',
      value: 'PATH',
      description: 'The vfkit binary (default - vfkit on PATH).',
    },
    KEEP_FAILED_DISKS,
  ],
  load: async () => (await import('./executor.js')).runtime,
} as const satisfies ExecutorDescriptor;
