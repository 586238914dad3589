// The executor VM jobs get when nothing names one (README "Executors"): vfkit on macOS, qemu on Linux, and
// elsewhere the host executor (no VM executor runs there).
import { describe, expect, it } from 'vitest';
import { platformExecutor } from '../../src/context/local-context.js';

describe('the default executor of a platform', () => {
  it('is vfkit on macOS, qemu on Linux, and the host elsewhere', () => {
    expect(platformExecutor('darwin')).toBe('vfkit');
    expect(platformExecutor('linux')).toBe('qemu');
    expect(platformExecutor('win32')).toBe('host');
    expect(platformExecutor('freebsd')).toBe('host');
  });
});
