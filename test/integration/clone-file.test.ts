// Duplicating a job's root disk: a copy-on-write clone where the filesystem can, else a copy that keeps holes.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cloneFile } from '../../src/workspace/clone-file.js';
import { canMountBtrfs, mountLoopBtrfs } from '../support/btrfs.js';
import { prerequisite } from '../support/prerequisites.js';
import { withTmpfs } from '../support/tmpfs.js';

const MiB = 1024 * 1024;

/** A 64 MiB file with data only at its start and end: the rest is a hole. */
function sparseDisk(folder: string): string {
  const path = join(folder, 'disk.img');
  const fd = openSync(path, 'w');
  writeSync(fd, 'start');
  writeSync(fd, 'end', 64 * MiB - 3);
  closeSync(fd);
  return path;
}

const allocated = (path: string) => statSync(path).blocks * 512;

describe.skipIf(!prerequisite('root (to mount a small tmpfs)', process.getuid?.() === 0))(
  'cloning a disk image on a filesystem that cannot clone',
  () => {
    const folder = mkdtempSync(join(tmpdir(), 'vmplan-clone-'));
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    // tmpfs cannot clone, whatever filesystem this machine's /tmp is; and it is smaller than the image, so only
    // a copy that keeps the holes fits.
    it('copies it sparsely: the same bytes, the holes kept', async () => {
      await withTmpfs(folder, 'disk', 'size=16m', async (disk) => {
        const image = sparseDisk(disk);
        const copy = join(disk, 'copy.img');
        expect(await cloneFile(image, copy)).toBe('sparse-copy');
        expect(statSync(copy).size).toBe(64 * MiB);
        expect(readFileSync(copy).subarray(0, 5).toString()).toBe('start');
        expect(readFileSync(copy).subarray(-3).toString()).toBe('end');
        expect(allocated(copy)).toBeLessThan(MiB);
      });
    });
  },
);

describe.skipIf(!prerequisite('root and btrfs-progs (a loop btrfs for the clone path)', canMountBtrfs()))(
  'cloning a disk image on a copy-on-write filesystem',
  () => {
    it('clones it, with the same bytes', async () => {
      const btrfs = mountLoopBtrfs();
      try {
        const disk = join(btrfs.path, 'disk.img');
        const fd = openSync(disk, 'w');
        writeSync(fd, Buffer.alloc(8 * MiB, 7));
        closeSync(fd);
        const copy = join(btrfs.path, 'copy.img');
        expect(await cloneFile(disk, copy)).toBe('clone');
        expect(readFileSync(copy).equals(readFileSync(disk))).toBe(true);
      } finally {
        btrfs.unmount();
      }
    });
  },
);

describe('cloning a disk image where this machine keeps its temporary files', () => {
  const folder = mkdtempSync(join(tmpdir(), 'vmplan-clone-tmp-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('gives the same bytes and length, the holes kept', async () => {
    const image = sparseDisk(folder);
    const copy = join(folder, 'copy.img');
    const method = await cloneFile(image, copy);
    expect(['clone', 'sparse-copy']).toContain(method);
    expect(statSync(copy).size).toBe(64 * MiB);
    expect(readFileSync(copy).subarray(0, 5).toString()).toBe('start');
    expect(readFileSync(copy).subarray(-3).toString()).toBe('end');
    expect(allocated(copy)).toBeLessThan(MiB);
  });

  it('fails, rather than say it copied, when the copy cannot be written', async () => {
    const image = sparseDisk(mkdtempSync(join(folder, 'src-')));
    await expect(cloneFile(image, join(folder, 'missing/folder/copy.img'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
