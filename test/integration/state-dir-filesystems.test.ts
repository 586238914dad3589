// A state folder on filesystems that refuse it: read-only, full, a name too long, a link in its place. Each is said
// before anything is written, naming the folder.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InfrastructureError, InputError } from '../../src/errors.js';
import { ensureStateDir } from '../../src/util/state-dir.js';
import { refusalOf } from '../support/jobs.js';
import { prerequisite } from '../support/prerequisites.js';
import { withTmpfs } from '../support/tmpfs.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-state-fs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a state folder that cannot be one', () => {
  it('is not a link to a folder, nor a name the filesystem cannot hold', () => {
    mkdirSync(join(root, 'target'));
    symlinkSync(join(root, 'target'), join(root, 'link'));
    expect(refusalOf(() => ensureStateDir(join(root, 'link')))).toBe(
      `state folder ${join(root, 'link')}: is not a folder`,
    );
    const long = join(root, 'x'.repeat(300));
    expect(refusalOf(() => ensureStateDir(long))).toBe(
      `state folder ${long}: cannot be created (ENAMETOOLONG)`,
    );
    expect(readdirSync(join(root, 'target'))).toEqual([]);
  });
});

describe.skipIf(!prerequisite('root (to mount small tmpfs filesystems)', process.getuid?.() === 0))(
  'a state folder on a filesystem that refuses it',
  () => {
    it('on a read-only filesystem: a new folder cannot be created, an existing one is not writable', async () => {
      await withTmpfs(root, 'readonly', 'size=64k', (disk) => {
        mkdirSync(join(disk, 'existing'));
        execFileSync('mount', ['-o', 'remount,ro', disk]);
        const error = (() => {
          try {
            ensureStateDir(join(disk, 'new'));
          } catch (caught) {
            return caught;
          }
        })();
        expect(error).toBeInstanceOf(InputError);
        expect((error as Error).message).toBe(
          `state folder ${join(disk, 'new')}: is on a read-only filesystem`,
        );
        // Node's recursive mkdir says ENOENT here; the reason is the filesystem, however deep the new folder.
        expect(refusalOf(() => ensureStateDir(join(disk, 'deep/er/state')))).toBe(
          `state folder ${join(disk, 'deep/er/state')}: is on a read-only filesystem`,
        );
        expect(refusalOf(() => ensureStateDir(join(disk, 'existing'), 'cache folder'))).toBe(
          `cache folder ${join(disk, 'existing')}: is not writable (vmplan writes runs, logs and caches there)`,
        );
      });
    });

    it('on a full filesystem: out of space, saying what to do, and nothing half-written', async () => {
      await withTmpfs(root, 'full', 'size=64k', (disk) => {
        const state = join(disk, 'state');
        mkdirSync(state);
        expect(() => writeFileSync(join(disk, 'filler'), Buffer.alloc(128 * 1024, 1))).toThrow(/ENOSPC/);
        const error = (() => {
          try {
            ensureStateDir(state);
          } catch (caught) {
            return caught;
          }
        })();
        expect(error).toBeInstanceOf(InfrastructureError);
        expect((error as Error).message).toBe(
          `state folder ${state} is out of space (ENOSPC): free some (vmplan gc) and run again`,
        );
        expect(readdirSync(state)).toEqual([]);
      });
    });
  },
);
