import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectMatches } from '../../src/workspace/collect.js';
import { copyTree } from '../../src/workspace/copy-tree.js';
import { createExcluder } from '../../src/workspace/exclude.js';
import { canMountBtrfs, mountLoopBtrfs } from '../support/btrfs.js';
import { prerequisite } from '../support/prerequisites.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-copy-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function makeSource(name: string): string {
  const root = join(folder, name);
  const files: Record<string, string> = {
    'README.md': 'readme',
    'src/main.rs': 'fn main() {}',
    'src/deep/nested/mod.rs': 'mod x;',
    'target/debug/app': 'binary',
    'packages/a/node_modules/dep/index.js': 'dep',
    'packages/a/index.js': 'a',
    '.git/HEAD': 'ref',
    'dist/out.js': 'built',
    'docs/dist/page.html': 'kept: dist/ excluded only at the root',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  chmodSync(join(root, 'target/debug/app'), 0o755);
  writeFileSync(join(root, 'run.sh'), '#!/bin/sh\n');
  chmodSync(join(root, 'run.sh'), 0o755);
  utimesSync(join(root, 'src/main.rs'), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
  symlinkSync('src/main.rs', join(root, 'link-relative'));
  symlinkSync('/etc/hostname', join(root, 'link-absolute'));
  symlinkSync('does/not/exist', join(root, 'link-dangling'));
  symlinkSync('src', join(root, 'link-folder'));
  return root;
}

describe.each(['gnu-cp', 'node'] as const)('copyTree with the %s engine', (engine) => {
  it('copies files, folders and symlinks (as symlinks), keeping modes and times, honouring excludes', async () => {
    const source = makeSource(`a-${engine}`);
    const target = join(folder, `a-${engine}-copy`);
    const stats = await copyTree(source, target, {
      engine,
      exclude: createExcluder(['.git', 'node_modules/', 'target/', '/dist/']),
    });
    expect(stats.engine).toBe(engine);
    const exists = (path: string) => {
      try {
        lstatSync(join(target, path));
        return true;
      } catch {
        return false;
      }
    };
    expect(exists('src/deep/nested/mod.rs')).toBe(true);
    expect(exists('packages/a/index.js')).toBe(true);
    expect(exists('docs/dist/page.html')).toBe(true);
    for (const gone of ['.git', 'target', 'packages/a/node_modules', 'dist'])
      expect(exists(gone)).toBe(false);
    expect(stats.excluded).toBe(4);
    expect(readlinkSync(join(target, 'link-relative'))).toBe('src/main.rs');
    expect(readlinkSync(join(target, 'link-absolute'))).toBe('/etc/hostname');
    expect(readlinkSync(join(target, 'link-dangling'))).toBe('does/not/exist');
    expect(lstatSync(join(target, 'link-folder')).isSymbolicLink()).toBe(true);
    expect(statSync(join(target, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(target, 'src/main.rs')).mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z');
    expect(stats.symlinks).toBe(4);
    expect(['clone', 'copy']).toContain(stats.method);
  });

  it('refuses special files before copying anything, with a message saying what to do', async () => {
    const source = join(folder, `fifo-source-${engine}`);
    mkdirSync(join(source, 'sub'), { recursive: true });
    writeFileSync(join(source, 'a.txt'), 'a');
    execFileSync('mkfifo', [join(source, 'sub/pipe')]);
    const target = join(folder, `fifo-copy-${engine}`);
    await expect(copyTree(source, target, { engine })).rejects.toThrow(
      'workspace snapshot: sub/pipe is a named pipe; only files, folders and symlinks can be copied',
    );
    expect(() => lstatSync(target)).toThrow(/ENOENT/);
  });

  it('copies a whole tree with nothing excluded, and a single file', async () => {
    const source = makeSource(`whole-${engine}`);
    const stats = await copyTree(join(source, 'src'), join(folder, `whole-${engine}-copy`), { engine });
    expect(stats.files).toBe(2);
    expect(readFileSync(join(folder, `whole-${engine}-copy/deep/nested/mod.rs`), 'utf8')).toBe('mod x;');
    await copyTree(join(source, 'README.md'), join(folder, `single-${engine}.md`), { engine });
    expect(readFileSync(join(folder, `single-${engine}.md`), 'utf8')).toBe('readme');
  });
});

describe('copyTree paths', () => {
  it('reports the plain copy path on a filesystem that cannot clone, or when cloning is forced off', async () => {
    const stats = await copyTree(makeSource('b'), join(folder, 'b-copy'), {
      engine: 'node',
      forceCopy: true,
    });
    expect(stats.method).toBe('copy');
    expect(stats.files).toBeGreaterThan(5);
  });
});

describe('collectMatches', () => {
  it('brings back matching regular files and folders; links are left behind, never followed', async () => {
    const source = makeSource('c');
    const destination = join(folder, 'c-artifacts');
    const result = await collectMatches(
      source,
      ['src/**/*.rs', 'target/debug', 'link-absolute', 'nothing/*'],
      destination,
    );
    expect(result.paths.sort()).toEqual(['src/deep/nested/mod.rs', 'src/main.rs', 'target/debug']);
    expect(result.unmatched).toEqual(['nothing/*']);
    expect(readFileSync(join(destination, 'target/debug/app'), 'utf8')).toBe('binary');
    expect(result.skipped).toEqual([{ path: 'link-absolute', kind: 'a symbolic link' }]);
    expect(existsSync(join(destination, 'link-absolute'))).toBe(false);
  });
});

describe.skipIf(!prerequisite('root and btrfs-progs (a loop btrfs for the clone path)', canMountBtrfs()))(
  'copyTree on a copy-on-write filesystem',
  () => {
    let btrfs: ReturnType<typeof mountLoopBtrfs>;
    beforeAll(() => {
      btrfs = mountLoopBtrfs();
    });
    afterAll(() => btrfs?.unmount());

    it.each(['gnu-cp', 'node'] as const)('clones files with the %s engine', async (engine) => {
      const source = join(btrfs.path, `src-${engine}`);
      mkdirSync(join(source, 'a/b'), { recursive: true });
      writeFileSync(join(source, 'a/b/big.bin'), Buffer.alloc(8 * 1024 * 1024, 7));
      writeFileSync(join(source, 'keep.txt'), 'x');
      mkdirSync(join(source, 'skip'));
      writeFileSync(join(source, 'skip/no.txt'), 'x');
      const stats = await copyTree(source, join(btrfs.path, `copy-${engine}`), {
        engine,
        exclude: createExcluder(['skip/']),
      });
      expect(stats.method).toBe('clone');
      expect(
        readFileSync(join(btrfs.path, `copy-${engine}/a/b/big.bin`)).equals(Buffer.alloc(8 * 1024 * 1024, 7)),
      ).toBe(true);
      // Shared extents: the clone takes (almost) no new space (sync first: btrfs allocates extents lazily).
      execFileSync('sync');
      const usage = execFileSync(
        'btrfs',
        ['filesystem', 'du', '-s', '--raw', join(btrfs.path, `copy-${engine}`)],
        { encoding: 'utf8' },
      );
      const [total, exclusive] = usage.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
      expect(total).toBeGreaterThanOrEqual(8 * 1024 * 1024);
      expect(exclusive).toBeLessThan(1024 * 1024);
    });
  },
);
