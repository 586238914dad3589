// What each executor boots, read from a kernel's first bytes (docs/images.md): vfkit only an uncompressed arm64
// Image, QEMU a gzipped one too, and for amd64 a bzImage or an ELF vmlinux. Files of the exact headers, no VM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { descriptorOf } from '../../src/executors/catalog.js';
import { kernelFormat } from '../../src/executors/kernel-format.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-kernel-format-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A file of `size` zero bytes with `text` written at `offset` (a kernel header, and nothing else). */
function kernel(name: string, parts: [offset: number, bytes: string | number[]][], size = 0x400): string {
  const bytes = Buffer.alloc(size);
  for (const [offset, text] of parts)
    (typeof text === 'string' ? Buffer.from(text, 'latin1') : Buffer.from(text)).copy(bytes, offset);
  const path = join(folder, name);
  writeFileSync(path, bytes);
  return path;
}

const arm64Image = kernel('Image', [[0x38, 'ARMd']]);
const gzipped = kernel('Image.gz', [[0, [0x1f, 0x8b, 0x08]]]);
const elf = kernel('vmlinux', [[0, '\x7fELF']]);
const bzImage = kernel('bzImage', [[0x202, 'HdrS']]);
const zboot = kernel('vmlinuz.efi', [
  [0, 'MZ'],
  [4, 'zimg'],
]);
const unknown = kernel('notes.txt', [[0, 'just text, no kernel']]);
// Shorter than the offsets read: the header ends inside the file's first bytes.
const tiny = kernel('tiny', [[0, [0x1f, 0x8b]]], 2);

describe('the format of a kernel file', () => {
  it('is read from the magic bytes at their exact offsets', () => {
    expect(kernelFormat(arm64Image)).toBe('arm64-image');
    expect(kernelFormat(gzipped)).toBe('gzip');
    expect(kernelFormat(elf)).toBe('elf');
    expect(kernelFormat(bzImage)).toBe('bzimage');
    expect(kernelFormat(zboot)).toBe('efi-zboot');
    expect(kernelFormat(unknown)).toBe('unknown');
    expect(kernelFormat(tiny)).toBe('gzip');
    // One byte off is no magic: "ARMd" at 0x39, "HdrS" at 0x201, "MZ" without "zimg", gzip's first byte alone.
    expect(kernelFormat(kernel('arm-off', [[0x39, 'ARMd']]))).toBe('unknown');
    expect(kernelFormat(kernel('bz-off', [[0x201, 'HdrS']]))).toBe('unknown');
    expect(kernelFormat(kernel('mz-only', [[0, 'MZ']]))).toBe('unknown');
    expect(kernelFormat(kernel('gzip-half', [[0, [0x1f, 0x9d]]]))).toBe('unknown');
  });
});

describe('which kernels an executor boots', () => {
  const vfkit = (path: string, arch: 'arm64' | 'amd64' = 'arm64') =>
    descriptorOf('vfkit').kernelProblem?.(path, arch);
  const qemu = (path: string, arch: 'arm64' | 'amd64' = 'arm64') =>
    descriptorOf('qemu').kernelProblem?.(path, arch);

  it('vfkit: an uncompressed arm64 Image only, and it says to decompress a gzipped one', () => {
    expect(vfkit(arm64Image)).toBeUndefined();
    expect(vfkit(gzipped)).toBe(
      `${gzipped} is not an uncompressed arm64 Image (found gzip); vfkit boots only uncompressed kernels: decompress it (e.g. gunzip) first`,
    );
    expect(vfkit(zboot)).toBe(
      `${zboot} is not an uncompressed arm64 Image (found efi-zboot); vfkit boots only uncompressed kernels: decompress it (e.g. gunzip) first`,
    );
  });

  it('qemu: an arm64 Image, gzipped or not; nothing else for arm64', () => {
    expect(qemu(arm64Image)).toBeUndefined();
    expect(qemu(gzipped)).toBeUndefined();
    expect(qemu(elf)).toBe(`${elf} is not an arm64 kernel Image (found elf)`);
    expect(qemu(unknown)).toBe(`${unknown} is not an arm64 kernel Image (found unknown)`);
  });

  it('amd64: a bzImage or an ELF vmlinux, never an arm64 Image or a gzip', () => {
    for (const boots of [qemu, vfkit]) {
      expect(boots(bzImage, 'amd64')).toBeUndefined();
      expect(boots(elf, 'amd64')).toBeUndefined();
      expect(boots(arm64Image, 'amd64')).toBe(
        `${arm64Image} is not an x86 kernel (bzImage or ELF vmlinux; found arm64-image)`,
      );
      expect(boots(gzipped, 'amd64')).toBe(
        `${gzipped} is not an x86 kernel (bzImage or ELF vmlinux; found gzip)`,
      );
    }
  });

  it('the host executor boots nothing, so it checks no kernel', () => {
    expect(descriptorOf('host').kernelProblem).toBeUndefined();
  });
});
