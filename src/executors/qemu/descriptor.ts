import type { ExecutorDescriptor } from '../descriptor.js';
import { kernelProblem } from '../kernel-format.js';
import { KEEP_FAILED_DISKS } from '../vm-options.js';

/** The qemu executor: a VM per job on Linux, with KVM when it works and emulation otherwise. */
export const qemu = {
  name: 'qemu',
  order: 3,
  summary: '"qemu" (a VM on Linux)',
  docs: {
    where: 'Linux',
    isolation: 'a VM per job',
    notes: 'default on Linux; KVM or TCG; virtiofs (virtiofsd) or 9p shares',
  },
  isolation: 'vm',
  defaultOn: ['linux'],
  guestArchs: ['arm64', 'amd64'],
  kernelProblem: (path, arch) => kernelProblem(path, arch, { compressedArm64: true, executor: 'qemu' }),
  options: [KEEP_FAILED_DISKS],
  load: async () => (await import('./executor.js')).runtime,
} as const satisfies ExecutorDescriptor;
