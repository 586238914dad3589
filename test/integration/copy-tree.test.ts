import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectMatches } from '../../src/workspace/collect.js';
import { copyTree } from '../../src/workspace/copy-tree.js';
import { createExcluder } from '../../src/workspace/exclude.js';
import { canMountBtrfs, mountLoopBtrfs } from '../support/btrfs.js';
import { REPO_ROOT, TSX_LOADER } from '../support/cli.js';
import { writeTree } from '../support/git-tree.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { withTmpfs } from '../support/tmpfs.js';

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
  // Links have times of their own, kept like a file's.
  const linked = new Date('2019-05-06T07:08:09Z');
  for (const link of ['link-relative', 'link-absolute', 'link-dangling', 'link-folder'])
    lutimesSync(join(root, link), linked, linked);
  return root;
}

/** Every entry under a folder with what a copy must keep: type, permission bits, mtime, link target, content. */
function describeTree(root: string, skip: (path: string) => boolean = () => false): string[] {
  const lines: string[] = [];
  const walk = (relative: string) => {
    const path = relative === '' ? root : join(root, relative);
    const info = lstatSync(path);
    const mode = (info.mode & 0o7777).toString(8);
    const when = info.mtime.toISOString();
    if (info.isSymbolicLink()) lines.push(`${relative} -> ${readlinkSync(path)} ${when}`);
    else if (info.isDirectory()) {
      lines.push(`${relative}/ ${mode} ${when}`);
      for (const name of readdirSync(path).sort()) {
        const child = relative === '' ? name : `${relative}/${name}`;
        if (!skip(child)) walk(child);
      }
    } else lines.push(`${relative} ${mode} ${when} ${readFileSync(path, 'utf8')}`);
  };
  walk('');
  return lines;
}

/** Gives folders their own modes and times (set deepest first: adding entries changes a folder's mtime). */
function ageFolders(root: string, folders: Record<string, number>): void {
  const entries = Object.entries(folders).sort(([a], [b]) => b.length - a.length);
  entries.forEach(([path, mode], i) => {
    chmodSync(join(root, path), mode);
    const when = new Date(Date.UTC(2021, 0, 1 + i, 12));
    utimesSync(join(root, path), when, when);
  });
}

describe.each(['gnu-cp', 'node'] as const)('copyTree with the %s engine', (engine) => {
  it('makes an exact copy: every file, folder and link with its mode and time, minus only the excludes', async () => {
    const source = makeSource(`exact-${engine}`);
    ageFolders(source, {
      src: 0o750,
      'src/deep': 0o700,
      'src/deep/nested': 0o755,
      packages: 0o751,
      'packages/a': 0o755,
      docs: 0o750,
      'docs/dist': 0o755,
      '': 0o755,
    });
    const excluded = ['.git', 'packages/a/node_modules', 'target', 'dist'];
    const target = join(folder, `exact-${engine}-copy`);
    const stats = await copyTree(source, target, {
      engine,
      exclude: createExcluder(['.git', 'node_modules/', 'target/', '/dist/']),
    });
    expect(describeTree(target)).toEqual(describeTree(source, (path) => excluded.includes(path)));
    expect(stats).toMatchObject({ files: 6, directories: 8, symlinks: 4, excluded: 4, engine });
    expect(stats.ms).toBeGreaterThanOrEqual(0);
    expect(stats.ms).toBeLessThan(60_000);
  });

  it('makes an exact copy of a tree with nothing excluded (one cp for all of it)', async () => {
    const source = makeSource(`exact-whole-${engine}`);
    ageFolders(source, { src: 0o700, 'src/deep': 0o750, '': 0o755 });
    const target = join(folder, `exact-whole-${engine}-copy`);
    const stats = await copyTree(source, target, { engine });
    expect(describeTree(target)).toEqual(describeTree(source));
    expect(stats).toMatchObject({ files: 10, directories: 14, symlinks: 4, excluded: 0 });
  });

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
  it('chooses Node per-file copies where files cannot be cloned (this ext4 or tmpfs), and says so', async () => {
    const stats = await copyTree(makeSource('default-engine'), join(folder, 'default-engine-copy'));
    expect(stats).toMatchObject({ engine: 'node', method: 'copy' });
    expect(readdirSync(folder).filter((name) => name.includes('.clone-probe-'))).toEqual([]);
  });

  it('copies an empty folder, which has no file to probe cloning with', async () => {
    mkdirSync(join(folder, 'empty/inner'), { recursive: true });
    const stats = await copyTree(join(folder, 'empty'), join(folder, 'empty-copy'));
    expect(stats).toMatchObject({ files: 0, directories: 2, method: 'copy', engine: 'node' });
    expect(statSync(join(folder, 'empty-copy/inner')).isDirectory()).toBe(true);
  });

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

    it('chooses one GNU cp per clean subtree where files clone, and reports the clone path', async () => {
      const source = join(btrfs.path, 'src-default');
      mkdirSync(join(source, 'deep/er'), { recursive: true });
      writeFileSync(join(source, 'deep/er/file'), 'x');
      mkdirSync(join(source, 'skip'));
      writeFileSync(join(source, 'skip/no'), 'x');
      const stats = await copyTree(source, join(btrfs.path, 'copy-default'), {
        exclude: createExcluder(['skip/']),
      });
      expect(stats).toMatchObject({ engine: 'gnu-cp', method: 'clone', files: 1, excluded: 1 });
      expect(readFileSync(join(btrfs.path, 'copy-default/deep/er/file'), 'utf8')).toBe('x');
      const forced = await copyTree(source, join(btrfs.path, 'copy-forced'), { forceCopy: true });
      expect(forced).toMatchObject({ engine: 'node', method: 'copy' });
    });

    it.each(['gnu-cp', 'node'] as const)(
      'copies what cannot be cloned (a mount of another filesystem inside) with the %s engine',
      async (engine) => {
        const source = join(btrfs.path, `mixed-fs-${engine}`);
        mkdirSync(source, { recursive: true });
        writeFileSync(join(source, 'on-btrfs.txt'), 'cloned');
        await withTmpfs(source, 'tmp', 'size=1m', async (tmp) => {
          writeFileSync(join(tmp, 'on-tmpfs.txt'), 'copied');
          mkdirSync(join(tmp, 'deep'));
          writeFileSync(join(tmp, 'deep/also.txt'), 'copied too');
          const target = join(btrfs.path, `mixed-fs-${engine}-copy`);
          await copyTree(source, target, { engine });
          expect(readFileSync(join(target, 'on-btrfs.txt'), 'utf8')).toBe('cloned');
          expect(readFileSync(join(target, 'tmp/on-tmpfs.txt'), 'utf8')).toBe('copied');
          expect(readFileSync(join(target, 'tmp/deep/also.txt'), 'utf8')).toBe('copied too');
        });
      },
    );

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
      expect(existsSync(join(btrfs.path, `copy-${engine}/skip`))).toBe(false);
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

/** True when this process can make a device node (root with CAP_MKNOD): a guest running as root can. */
function canMknod(): boolean {
  const probe = join(folder, `mknod-probe-${process.pid}`);
  try {
    execFileSync('mknod', [probe, 'c', '1', '3'], { stdio: 'ignore' });
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

describe.each(['gnu-cp', 'node'] as const)('copyTree with the %s engine, at its edges', (engine) => {
  /** A tree with one clean subfolder and one holding an excluded file, so both whole and partial folders. */
  function mixedTree(name: string): string {
    const root = join(folder, name);
    const files: Record<string, string> = {
      'src/clean/deep/a.txt': 'a',
      'src/clean/b.txt': 'b',
      'src/gen/keep.txt': 'keep',
      'src/gen/out.tmp': 'excluded',
      'top.txt': 'top',
    };
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    return root;
  }
  const withoutTmp = createExcluder(['*.tmp']);

  it('leaves dot files out by a glob as well: *.pem takes .key.pem, secrets/* takes secrets/.env', async () => {
    const source = join(folder, `dots-${engine}`);
    writeTree(source, {
      'a.txt': 'kept',
      'cert.pem': 'x',
      'conf/.key.pem': 'private',
      'secrets/.env': 'TOKEN=1',
      'secrets/plain': 'p',
      '.github/ci.yml': 'kept',
    });
    const target = join(folder, `dots-${engine}-copy`);
    await copyTree(source, target, { engine, exclude: createExcluder(['*.pem', 'secrets/*']) });
    const copied = readdirSync(target, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(target.length + 1))
      .sort();
    expect(copied).toEqual(['.github/ci.yml', 'a.txt']);
  });

  it('copies everything beside a deep exclude: the clean subfolder whole, the other without what is excluded', async () => {
    const source = mixedTree(`mixed-${engine}`);
    const target = join(folder, `mixed-${engine}-copy`);
    const stats = await copyTree(source, target, { engine, exclude: withoutTmp });
    expect(describeTree(target)).toEqual(describeTree(source, (path) => path === 'src/gen/out.tmp'));
    expect(stats).toMatchObject({
      files: 4,
      directories: 5,
      symlinks: 0,
      excluded: 1,
      engine,
      method: 'copy',
    });
  });

  it('keeps folder modes the umask would cut (group-writable, sticky) and read-only ones', async () => {
    for (const exclude of [withoutTmp, undefined]) {
      const name = `modes-${engine}-${exclude === undefined ? 'whole' : 'partial'}`;
      const source = mixedTree(name);
      ageFolders(source, {
        src: 0o775,
        'src/gen': 0o777,
        'src/clean': 0o1777,
        'src/clean/deep': 0o555,
        '': 0o770,
      });
      const target = join(folder, `${name}-copy`);
      await copyTree(source, target, { engine, exclude });
      expect(describeTree(target), name).toEqual(
        describeTree(source, (path) => exclude !== undefined && path === 'src/gen/out.tmp'),
      );
    }
  });

  it('makes the target and the folders missing above it, for a whole tree, a partial one and a single file', async () => {
    const source = mixedTree(`parents-${engine}`);
    for (const [what, exclude] of [
      ['whole', undefined],
      ['partial', withoutTmp],
    ] as const) {
      const target = join(folder, `parents-${engine}-${what}/not/yet/there`);
      await copyTree(source, target, { engine, exclude });
      expect(readFileSync(join(target, 'src/clean/deep/a.txt'), 'utf8'), what).toBe('a');
      expect(readFileSync(join(target, 'top.txt'), 'utf8'), what).toBe('top');
    }
    const single = await copyTree(join(source, 'top.txt'), join(folder, `parents-${engine}-single.txt`), {
      engine,
    });
    expect(single).toMatchObject({ files: 1, directories: 0, symlinks: 0, excluded: 0 });
    expect(readFileSync(join(folder, `parents-${engine}-single.txt`), 'utf8')).toBe('top');
  });

  it('copies a folder of more entries than one cp call takes, beside an excluded one', async () => {
    const source = join(folder, `many-${engine}`);
    mkdirSync(source);
    for (let i = 0; i < 1201; i++) writeFileSync(join(source, `file-${i}.txt`), String(i));
    writeFileSync(join(source, 'skip.tmp'), 'excluded');
    const target = join(folder, `many-${engine}-copy`);
    const stats = await copyTree(source, target, { engine, exclude: withoutTmp });
    expect(stats).toMatchObject({ files: 1201, excluded: 1 });
    const copied = readdirSync(target);
    expect(copied).toHaveLength(1201);
    expect(copied).not.toContain('skip.tmp');
    expect(readFileSync(join(target, 'file-1200.txt'), 'utf8')).toBe('1200');
  });

  it('stops when the run is cancelled: the copy rejects instead of finishing', async () => {
    for (const partial of [false, true]) {
      const source = join(folder, `cancel-${engine}-${partial}`);
      mkdirSync(source);
      for (const name of ['a.txt', 'b.txt', 'c.tmp']) writeFileSync(join(source, name), name);
      const cancel = new AbortController();
      // Cancelled while the tree is read: the copy must not start (or go on) after it.
      const exclude = (path: string) => {
        cancel.abort();
        return partial && path.endsWith('.tmp');
      };
      const target = join(folder, `cancel-${engine}-${partial}-copy`);
      await expect(
        copyTree(source, target, { engine, exclude, signal: cancel.signal }),
      ).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(existsSync(join(target, 'a.txt')) && existsSync(join(target, 'b.txt'))).toBe(false);
    }
  });

  it('refuses a socket by name, with what to do, before copying anything', async () => {
    const source = join(folder, `socket-${engine}`);
    mkdirSync(join(source, 'run'), { recursive: true });
    writeFileSync(join(source, 'a.txt'), 'a');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(source, 'run/agent.sock'), resolve));
    try {
      const target = join(folder, `socket-${engine}-copy`);
      await expect(copyTree(source, target, { engine })).rejects.toThrow(
        "workspace snapshot: run/agent.sock is a socket; only files, folders and symlinks can be copied into a job's workspace. Exclude it (workspace.exclude in the jobs file) or remove it.",
      );
      expect(existsSync(target)).toBe(false);
    } finally {
      server.close();
    }
  });

  it.skipIf(!canMknod())('refuses a device file by name', async () => {
    const source = join(folder, `device-${engine}`);
    mkdirSync(source);
    execFileSync('mknod', [join(source, 'null'), 'c', '1', '3']);
    await expect(copyTree(source, join(folder, `device-${engine}-copy`), { engine })).rejects.toThrow(
      'workspace snapshot: null is a device file; only files',
    );
  });
});

// Not under Stryker (vitest.mutation.config.ts): its sandbox is private to root, so nobody could not load the code.
describe.skipIf(
  process.getuid?.() !== 0 ||
    !commandWorks('setpriv', ['--version']) ||
    process.env.VMPLAN_MUTATION_SANDBOX === '1',
)('copyTree for a runner that is not root (a child process as nobody)', () => {
  it.each(['gnu-cp', 'node'] as const)(
    'fills folders their owner cannot write, and gives them their modes (%s)',
    async (engine) => {
      const base = mkdtempSync(join(tmpdir(), 'vmplan-copy-unprivileged-'));
      try {
        const source = join(base, 'source');
        writeTree(source, {
          'locked/a.txt': 'a',
          'locked/inner/b.txt': 'b',
          'locked/skip.tmp': 'excluded',
          'open/c.txt': 'c',
        });
        execFileSync('chown', ['-R', 'nobody:', base]);
        chmodSync(join(source, 'locked/inner'), 0o555);
        chmodSync(join(source, 'locked'), 0o555);
        // As the runner user would: with an exclude (folders made one by one) and without (one cp for all).
        const script = `
            import { copyTree } from ${JSON.stringify(join(REPO_ROOT, 'src/workspace/copy-tree.ts'))};
            const exclude = (path) => path.endsWith('.tmp');
            await copyTree(${JSON.stringify(source)}, ${JSON.stringify(join(base, 'partial'))}, { engine: '${engine}', exclude });
            await copyTree(${JSON.stringify(source)}, ${JSON.stringify(join(base, 'whole'))}, { engine: '${engine}' });
          `;
        const run = spawnSync(
          'setpriv',
          [
            '--reuid=nobody',
            '--regid=nogroup',
            '--clear-groups',
            process.execPath,
            '--import',
            TSX_LOADER,
            '--input-type=module',
            '-e',
            script,
          ],
          { encoding: 'utf8', cwd: base, env: { ...process.env, HOME: base } },
        );
        expect(run.status, run.stderr).toBe(0);
        for (const copy of ['partial', 'whole']) {
          const target = join(base, copy);
          expect(readFileSync(join(target, 'locked/inner/b.txt'), 'utf8'), copy).toBe('b');
          expect(readFileSync(join(target, 'open/c.txt'), 'utf8'), copy).toBe('c');
          expect([
            statSync(join(target, 'locked')).mode & 0o777,
            statSync(join(target, 'locked/inner')).mode & 0o777,
          ]).toEqual([0o555, 0o555]);
        }
        expect(existsSync(join(base, 'partial/locked/skip.tmp'))).toBe(false);
      } finally {
        execFileSync('chmod', ['-R', 'u+w', base]);
        rmSync(base, { recursive: true, force: true });
      }
    },
  );
});

describe('copyTree and names that are not UTF-8', () => {
  it.each(['gnu-cp', 'node'] as const)(
    'refuses one by name, saying what to do, unless it is excluded (%s)',
    async (engine) => {
      const source = join(folder, `latin1-${engine}`);
      mkdirSync(join(source, 'src'), { recursive: true });
      writeFileSync(join(source, 'src/main.c'), 'int main;');
      writeFileSync(Buffer.from(join(source, 'src/caf\xe9.txt'), 'latin1'), 'x');
      await expect(copyTree(source, join(folder, `latin1-${engine}-copy`), { engine })).rejects.toThrow(
        'workspace snapshot: "src/caf\uFFFD.txt" has a name that is not UTF-8, which vmplan cannot copy into a job\'s workspace. Rename it, or exclude it (workspace.exclude in the jobs file).',
      );
      expect(existsSync(join(folder, `latin1-${engine}-copy`))).toBe(false);
      const target = join(folder, `latin1-${engine}-excluded`);
      const stats = await copyTree(source, target, { engine, exclude: createExcluder(['*.txt']) });
      expect(stats).toMatchObject({ files: 1, excluded: 1 });
      expect(readdirSync(join(target, 'src'))).toEqual(['main.c']);
    },
  );
});
