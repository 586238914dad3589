// The space a run sets aside for its records: real bytes on a real (small) filesystem.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../src/errors.js';
import { RESERVE_BYTES, reserveRunSpace, SpaceReserve } from '../../src/records/reserve.js';
import { prerequisite } from '../support/prerequisites.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-reserve-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the space reserve', () => {
  it('is a file of the reserved size in non-zero bytes, given back once', () => {
    const folder = join(root, 'run');
    mkdirSync(folder);
    const reserve = reserveRunSpace(folder);
    const file = join(folder, '.space-reserve');
    expect(statSync(file).size).toBe(RESERVE_BYTES);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file).every((byte) => byte === 0x5a)).toBe(true);
    expect(reserve.release()).toBe(true);
    expect(existsSync(file)).toBe(false);
    expect(reserve.release()).toBe(false);
  });

  it('rounds a size up to whole blocks, and a size of nothing writes nothing', () => {
    const folder = join(root, 'sizes');
    mkdirSync(folder);
    SpaceReserve.create(folder, 64 * 1024 + 1);
    expect(statSync(join(folder, '.space-reserve')).size).toBe(128 * 1024);
    SpaceReserve.create(folder, 0);
    expect(statSync(join(folder, '.space-reserve')).size).toBe(0);
  });

  it('lets a folder it cannot write in fail as it came', () => {
    expect(() => reserveRunSpace(join(root, 'missing'))).toThrow(/ENOENT/);
  });
});

describe.skipIf(!prerequisite('root (to mount a small tmpfs as a full disk)', process.getuid?.() === 0))(
  'the space reserve on a disk too full for it',
  () => {
    it('says so plainly, before anything runs, and leaves no partial reserve behind', () => {
      const disk = join(root, 'small');
      mkdirSync(disk);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk]);
      try {
        let error: unknown;
        try {
          reserveRunSpace(disk);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(InfrastructureError);
        expect((error as Error).message).toBe(
          `not enough free space for a run's records in ${disk}: vmplan sets 512 KiB aside per run (ENOSPC). Free some space (vmplan gc) and run again.`,
        );
        expect(readdirSync(disk)).toEqual([]);
      } finally {
        execFileSync('umount', [disk]);
      }
    });
  },
);
