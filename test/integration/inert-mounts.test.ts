// The nosuid,nodev bind mounts over the shares a root virtiofsd serves (src/executors/vm/inert-mounts.ts): made in
// one `mount` call each where util-linux can, and checked in /proc/self/mountinfo, never assumed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isInert, mountInert } from '../../src/executors/vm/inert-mounts.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-inert-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('isInert', () => {
  it("reads the mount on top at the folder, with the kernel's escapes in its path", () => {
    const folder = join(root, 'with space');
    mkdirSync(folder);
    const escaped = folder.replaceAll(' ', '\\040');
    const line = (id: number, options: string) =>
      `${id} 1 0:42 / ${escaped} ${options} shared:1 - ext4 /dev/sda1 rw`;
    expect(isInert(folder, `${line(1, 'rw,relatime')}\n`)).toBe(false);
    expect(isInert(folder, `${line(1, 'rw,relatime')}\n${line(2, 'rw,nosuid,nodev,relatime')}\n`)).toBe(true);
    expect(isInert(folder, `${line(1, 'rw,nosuid,relatime')}\n`)).toBe(false);
    expect(isInert(join(root, 'missing'), line(1, 'rw,nosuid,nodev'))).toBe(false);
  });
});

describe.runIf(process.getuid?.() === 0 && process.platform === 'linux')('mountInert', () => {
  it('makes each folder a nosuid,nodev mount of itself until released', () => {
    const folders = ['a', 'b'].map((name) => {
      const folder = join(root, name);
      mkdirSync(folder);
      return folder;
    });
    const mounts = mountInert(folders);
    try {
      for (const folder of folders) {
        expect(isInert(folder)).toBe(true);
        expect(execFileSync('findmnt', ['-no', 'OPTIONS', folder], { encoding: 'utf8' })).toMatch(
          /(^|,)nosuid,nodev(,|$)/,
        );
      }
    } finally {
      expect(mounts.release()).toEqual([]);
    }
    for (const folder of folders) expect(isInert(folder)).toBe(false);
  });
});
