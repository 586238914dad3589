// Writes that run out of space: the old content stays, and no temporary file is left behind to fill the disk more.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { maskFileInPlace } from '../../src/util/mask-file.js';
import { prerequisite } from '../support/prerequisites.js';
import { withTmpfs } from '../support/tmpfs.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-full-disk-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('masking with no secrets touches nothing, not even a path that is not there', async () => {
  await expect(maskFileInPlace(join(root, 'missing.log'), [])).resolves.toBe(false);
});

describe.skipIf(!prerequisite('root (to mount a small tmpfs as a full disk)', process.getuid?.() === 0))(
  'writing on a full disk',
  () => {
    it('an atomic write fails with ENOSPC, keeps the old file and removes its temporary file', async () => {
      await withTmpfs(root, 'atomic', 'size=64k', (disk) => {
        const path = join(disk, 'record.json');
        writeFileSync(path, 'old\n');
        expect(() => writeFileAtomic(path, Buffer.alloc(128 * 1024, 0x61))).toThrow(/ENOSPC/);
        expect(readFileSync(path, 'utf8')).toBe('old\n');
        expect(readdirSync(disk)).toEqual(['record.json']);
      });
    });

    it('masking a file in place fails with ENOSPC, keeps the file as it was and removes its temporary file', async () => {
      await withTmpfs(root, 'mask', 'size=64k', async (disk) => {
        const path = join(disk, 'job.log');
        const text = `${'x'.repeat(40 * 1024)} token=hunter2\n`;
        writeFileSync(path, text);
        await expect(maskFileInPlace(path, ['hunter2'])).rejects.toThrow(/ENOSPC/);
        expect(readFileSync(path, 'utf8') === text).toBe(true);
        expect(readdirSync(disk)).toEqual(['job.log']);
      });
    });
  },
);
