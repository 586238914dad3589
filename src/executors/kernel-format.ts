import { closeSync, openSync, readSync } from 'node:fs';

/** What a kernel file looks like, from its first bytes. */
export type KernelFormat = 'arm64-image' | 'gzip' | 'elf' | 'bzimage' | 'efi-zboot' | 'unknown';

/** Reads a kernel's format: arm64 Image ("ARMd" at 0x38), gzip, ELF vmlinux, x86 bzImage ("HdrS" at 0x202). */
export function kernelFormat(path: string): KernelFormat {
  const head = Buffer.alloc(0x210);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const bytes = head.subarray(0, read);
  if (bytes.subarray(0x38, 0x3c).toString('latin1') === 'ARMd') return 'arm64-image';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes.subarray(0, 4).toString('latin1') === '\x7fELF') return 'elf';
  if (bytes.subarray(0x202, 0x206).toString('latin1') === 'HdrS') return 'bzimage';
  if (bytes.subarray(0, 2).toString('latin1') === 'MZ' && bytes.subarray(4, 8).toString('latin1') === 'zimg')
    return 'efi-zboot';
  return 'unknown';
}

/**
 * Why a kernel cannot boot, or undefined when it can: arm64 wants an Image (gzip-compressed too when
 * `compressedArm64` — QEMU unpacks it, vfkit does not), amd64 a bzImage or an ELF vmlinux.
 */
export function kernelProblem(
  path: string,
  arch: 'arm64' | 'amd64',
  boots: { compressedArm64: boolean; executor: string },
): string | undefined {
  const format = kernelFormat(path);
  if (arch === 'arm64') {
    if (format === 'arm64-image') return undefined;
    if (!boots.compressedArm64) {
      return `${path} is not an uncompressed arm64 Image (found ${format}); ${boots.executor} boots only uncompressed kernels: decompress it (e.g. gunzip) first`;
    }
    return format === 'gzip' ? undefined : `${path} is not an arm64 kernel Image (found ${format})`;
  }
  if (format === 'elf' || format === 'bzimage') return undefined;
  return `${path} is not an x86 kernel (bzImage or ELF vmlinux; found ${format})`;
}
