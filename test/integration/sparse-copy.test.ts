// Copying a file a job brings back without writing its holes out: the same bytes and length, only the chunks
// holding data written (a sparse file stays sparse, zeros take no space), and never through a link.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copySparse } from '../../src/workspace/sparse-copy.js';
import { canMountBtrfs, mountLoopBtrfs } from '../support/btrfs.js';
import { descriptorsOn } from '../support/fds.js';
import { prerequisite } from '../support/prerequisites.js';

const MiB = 1024 * 1024;
const folder = mkdtempSync(join(tmpdir(), 'vmplan-sparse-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Writes `parts` (bytes at offsets) into a new file of `size` bytes; the rest is a hole. */
function fileWith(name: string, size: number, parts: [number, Buffer][]): string {
  const path = join(folder, name);
  const fd = openSync(path, 'w');
  for (const [offset, bytes] of parts) writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
  execFileSync('truncate', ['-s', String(size), path]);
  return path;
}

const allocated = (path: string) => statSync(path).blocks * 512;

describe('copySparse where files cannot be cloned (this ext4 or tmpfs)', () => {
  it('copies the bytes and the length, writing only the chunks that hold data', async () => {
    // Data in the first chunk and at the very end of the third; zeros written out in between and after.
    const size = 5 * MiB + MiB / 2;
    const source = fileWith('mixed.bin', size, [
      [0, Buffer.from('start')],
      [MiB, Buffer.alloc(MiB)],
      [3 * MiB - 1, Buffer.from('x')],
      [3 * MiB, Buffer.alloc(2 * MiB + MiB / 2)],
    ]);
    const copy = join(folder, 'mixed-copy.bin');
    await copySparse(source, copy);
    expect(readFileSync(copy).equals(readFileSync(source))).toBe(true);
    expect(statSync(copy).size).toBe(size);
    // Two chunks hold data: the zeros (written out in the source, a whole chunk or the last part-chunk) are not.
    expect(allocated(source)).toBeGreaterThanOrEqual(3 * MiB + MiB / 2);
    expect(allocated(copy)).toBeLessThanOrEqual(2 * MiB + 64 * 1024);
    expect(allocated(copy)).toBeGreaterThanOrEqual(2 * MiB);
    // Both files are closed again.
    expect([descriptorsOn(source), descriptorsOn(copy)]).toEqual([0, 0]);
  });

  it('copies a file of zeros as its length and no data, and an empty file as empty', async () => {
    const zeros = join(folder, 'zeros.bin');
    writeFileSync(zeros, Buffer.alloc(3 * MiB));
    await copySparse(zeros, join(folder, 'zeros-copy.bin'));
    expect(statSync(join(folder, 'zeros-copy.bin')).size).toBe(3 * MiB);
    expect(allocated(join(folder, 'zeros-copy.bin'))).toBe(0);
    writeFileSync(join(folder, 'empty'), '');
    await copySparse(join(folder, 'empty'), join(folder, 'empty-copy'));
    expect(readFileSync(join(folder, 'empty-copy'))).toHaveLength(0);
  });

  it('refuses a link instead of copying what it points to', async () => {
    const secret = join(folder, 'host-secret');
    writeFileSync(secret, 'host only');
    symlinkSync(secret, join(folder, 'link'));
    await expect(copySparse(join(folder, 'link'), join(folder, 'link-copy'))).rejects.toMatchObject({
      code: 'ELOOP',
    });
    expect(() => statSync(join(folder, 'link-copy'))).toThrow(/ENOENT/);
  });
});

describe.skipIf(!prerequisite('root and btrfs-progs (a loop btrfs for the clone path)', canMountBtrfs()))(
  'copySparse on a copy-on-write filesystem',
  () => {
    it('clones the file: the same bytes, no new space', async () => {
      const btrfs = mountLoopBtrfs();
      try {
        const source = join(btrfs.path, 'data.bin');
        writeFileSync(source, Buffer.alloc(8 * MiB, 7));
        const copy = join(btrfs.path, 'copy.bin');
        await copySparse(source, copy);
        expect(readFileSync(copy).equals(readFileSync(source))).toBe(true);
        execFileSync('sync');
        const usage = execFileSync('btrfs', ['filesystem', 'du', '-s', '--raw', copy], { encoding: 'utf8' });
        const [total, exclusive] = usage.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
        expect(total).toBe(8 * MiB);
        expect(exclusive).toBeLessThan(MiB);
      } finally {
        btrfs.unmount();
      }
    });
  },
);
