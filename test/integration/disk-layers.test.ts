// The Debian builder's two-layer root disk (guest/disk-layers.sh): the packages' tree made by mkfs.ext4, the
// setup script's changes written over it with debugfs. Real e2fsprogs on real trees: the disk reads back as the
// final tree, unchanged files keep their inodes and blocks, the bytes are the same every build, a small change
// moves a small part of the disk, and what debugfs cannot write the same way falls back to one mkfs.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chunkEnd, isZero, ZERO_BLOCK } from '../../src/oci/chunking.js';
import { REPO_ROOT } from '../support/cli.js';
import { commandWorks, prerequisite } from '../support/prerequisites.js';
import { seededBytes } from '../support/seeded-bytes.js';

const available = prerequisite(
  'root, mkfs.ext4, debugfs and e2fsck (the e2fsprogs package), setfattr (the attr package)',
  process.getuid?.() === 0 &&
    commandWorks('mkfs.ext4', ['-V']) &&
    commandWorks('debugfs', ['-V']) &&
    commandWorks('e2fsck', ['-V']) &&
    commandWorks('setfattr', ['--version']),
);
const LAYERS = join(REPO_ROOT, 'guest', 'disk-layers.sh');
const EPOCH = 1704067200;
const folder = mkdtempSync(join(tmpdir(), 'vmplan-disk-layers-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Runs a disk-layers.sh function as the builder does; returns what it logged. */
function layers(call: string, ...args: string[]): string {
  const result = spawnSync(
    'sh',
    [
      '-c',
      `set -eu; SOURCE_DATE_EPOCH=${EPOCH}; DISK_UUID=5f2e1c0a-7d3b-4c1e-9a6f-766d706c616e; . "${LAYERS}"; ${call} "$@"`,
      'sh',
      ...args,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`${call} failed (${result.status}): ${result.stderr}`);
  return result.stderr;
}

/** The disk of `final`, layered over `base`; its log. */
function layered(name: string, base: string, final: string): { disk: string; log: string } {
  const disk = join(folder, `${name}.disk`);
  const work = join(folder, `${name}.work`);
  mkdirSync(work);
  return { disk, log: layers('vmplan_layered_disk', disk, '64M', base, final, work) };
}

/**
 * Every file, folder and symlink under `root` as path → type, permissions, owner and content (sorted). Setuid and
 * setgid are left out: rdump sets the owner after the mode, which clears them (the tests read them with stat).
 */
function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = join(relative, name);
      if (path === 'lost+found') continue;
      const stat = lstatSync(join(root, path));
      const owner = `${stat.uid}:${stat.gid} ${(stat.mode & 0o1777).toString(8)}`;
      if (stat.isDirectory()) {
        out[path] = `dir ${owner}`;
        walk(path);
      } else if (stat.isSymbolicLink())
        out[path] = `link -> ${readlinkSync(join(root, path))} ${stat.uid}:${stat.gid}`;
      else if (stat.isFile())
        out[path] = `file ${owner} ${createHash('sha256')
          .update(readFileSync(join(root, path)))
          .digest('hex')}`;
      else out[path] = `other ${owner}`;
    }
  };
  walk('');
  return out;
}

/** The disk's tree, read back with debugfs rdump (which keeps modes and owners when run as root). */
function readBack(disk: string): Record<string, string> {
  const out = mkdtempSync(join(folder, 'read-'));
  execFileSync('debugfs', ['-R', `rdump / ${out}`, disk], { stdio: 'ignore' });
  return describeTree(out);
}

/** debugfs's `stat` of a path on the disk. */
function stat(disk: string, path: string): string {
  return execFileSync('debugfs', ['-R', `stat "${path.replaceAll('"', '""')}"`, disk], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** Sets every time under `root` to the build's epoch, as the builder's clean-up does. */
function settle(root: string): void {
  execFileSync('find', [root, '-exec', 'touch', '-h', '-d', `@${EPOCH}`, '{}', '+']);
}

/** A packages-like tree: system files, a big binary, hard links, a symlink, a folder the setup will remove. */
function baseTree(name: string, files = 0): string {
  const root = join(folder, name);
  for (const dir of ['etc', 'usr/bin', 'usr/lib', 'old/sub', 'var'])
    mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/motd'), 'hello\n');
  writeFileSync(join(root, 'usr/bin/big'), seededBytes(2 * 1024 * 1024, 0xb16));
  writeFileSync(join(root, 'usr/bin/h1'), 'one binary, two names\n');
  linkSync(join(root, 'usr/bin/h1'), join(root, 'usr/bin/h2'));
  symlinkSync('passwd', join(root, 'etc/link'));
  writeFileSync(join(root, 'old/sub/gone'), 'removed by the setup script\n');
  writeFileSync(join(root, 'var/becomes-folder'), 'a file now, a folder later\n');
  for (let index = 0; index < files; index++)
    writeFileSync(join(root, 'usr/lib', `lib${index}.so`), seededBytes(2000 + index * 3, index + 1));
  settle(root);
  return root;
}

/** What a setup script might do to the tree: every kind of change debugfs writes. */
function setupChanges(root: string): void {
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000::/home/b q"x:/bin/sh\n',
  );
  const home = join(root, 'home', 'b q"x');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.profile'), 'export CI=true\n');
  chownSync(home, 1000, 1000);
  chownSync(join(home, '.profile'), 1000, 1000);
  chmodSync(join(root, 'etc'), 0o750);
  rmSync(join(root, 'old'), { recursive: true });
  rmSync(join(root, 'etc/link'));
  symlinkSync('motd', join(root, 'etc/link'));
  rmSync(join(root, 'var/becomes-folder'));
  mkdirSync(join(root, 'var/becomes-folder'));
  writeFileSync(join(root, 'usr/bin/tool'), 'new tool\n', { mode: 0o4755 });
  chmodSync(join(root, 'usr/bin/tool'), 0o4755);
  linkSync(join(root, 'usr/bin/tool'), join(root, 'usr/bin/tool-alias'));
  settle(root);
}

/** The sha256 of each content-defined chunk of a disk (vmplan's image chunking), with its length. */
function chunks(disk: string): Map<string, number> {
  const bytes = readFileSync(disk);
  const out = new Map<string, number>();
  let start = 0;
  while (start < bytes.length) {
    let end = start;
    while (end < bytes.length && !isZero(bytes.subarray(end, end + ZERO_BLOCK))) end += ZERO_BLOCK;
    for (let at = start; at < Math.min(end, bytes.length); ) {
      const next = chunkEnd(bytes, at, Math.min(end, bytes.length));
      out.set(createHash('sha256').update(bytes.subarray(at, next)).digest('hex'), next - at);
      at = next;
    }
    start = end + ZERO_BLOCK;
  }
  return out;
}

/** The share of `after`'s chunk bytes that `before` does not hold: what a push of `after` would send. */
function share(before: string, after: string): number {
  const old = chunks(before);
  let sent = 0;
  let total = 0;
  for (const [digest, length] of chunks(after)) {
    total += length;
    if (!old.has(digest)) sent += length;
  }
  return sent / total;
}

describe.skipIf(!available)("the Debian builder's two-layer root disk", () => {
  it("writes the setup script's changes over the base: the disk reads back as the final tree, the base stays where it was", () => {
    const base = baseTree('base');
    const final = join(folder, 'final');
    cpSync(base, final, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    // cpSync copies hard links as separate files: link them again, as the packages left them.
    rmSync(join(final, 'usr/bin/h2'));
    linkSync(join(final, 'usr/bin/h1'), join(final, 'usr/bin/h2'));
    setupChanges(final);

    const { disk, log } = layered('layered', base, final);
    expect(log).toMatch(/changes written over the packages' file system \(3 file\(s\) copied\)/);
    expect(spawnSync('e2fsck', ['-fn', disk]).status).toBe(0);
    expect(readBack(disk)).toEqual(describeTree(final));
    // A new hard link group is one inode with its link count; the old group is untouched.
    const tool = stat(disk, '/usr/bin/tool');
    expect(tool).toMatch(/Links: 2/);
    expect(tool).toMatch(/Mode: {2}04755/);
    const inodeOf = (text: string) => /Inode: (\d+)/.exec(text)?.[1];
    expect(inodeOf(stat(disk, '/usr/bin/tool-alias'))).toBe(inodeOf(tool));

    // Unchanged files keep the inode and the blocks a disk of the base alone gives them.
    const alone = join(folder, 'base-alone.disk');
    layers('vmplan_make_disk', alone, '64M', base);
    for (const path of ['/usr/bin/big', '/usr/bin/h1', '/etc/motd']) {
      const [was, now] = [stat(alone, path), stat(disk, path)];
      expect(inodeOf(now)).toBe(inodeOf(was));
      expect(now.split('EXTENTS:')[1]).toBe(was.split('EXTENTS:')[1]);
    }
    // Every time on the disk is the build's epoch: none from the clock of the machine that built it.
    expect(stat(disk, '/home/b q"x').match(/time: 0x[0-9a-f]+/g)?.length).toBe(4);
    for (const path of [
      '/',
      '/home',
      '/home/b q"x/.profile',
      '/usr/bin/tool',
      '/etc',
      '/etc/link',
      '/var/becomes-folder',
    ])
      for (const time of stat(disk, path).match(/time: 0x[0-9a-f]+/g) ?? ['none'])
        expect(`${path} ${time}`).toBe(`${path} time: 0x${EPOCH.toString(16)}`);

    // The same trees again, seconds later: the same bytes.
    const again = layered('layered-again', base, final);
    expect(readFileSync(again.disk).equals(readFileSync(disk))).toBe(true);
  });

  it('a small setup change moves a small part of the disk; one mkfs of the whole tree moves most of it', () => {
    const base = baseTree('many', 3000);
    const [one, two] = ['one', 'two'].map((name) => {
      const final = join(folder, `many-${name}`);
      execFileSync('cp', ['-a', base, final]);
      writeFileSync(join(final, 'etc/profile-ci'), 'export CI=true\n');
      settle(final);
      return final;
    }) as [string, string];
    // The second build's setup script has one more line: a user with a home folder (early in the walk).
    mkdirSync(join(two, 'home/builder'), { recursive: true });
    writeFileSync(join(two, 'home/builder/.profile'), 'export PATH\n');
    writeFileSync(
      join(two, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000::/home/builder:/bin/sh\n',
    );
    settle(two);
    const layeredShare = share(layered('share-one', base, one).disk, layered('share-two', base, two).disk);
    const [flatOne, flatTwo] = [one, two].map((tree, index) => {
      const disk = join(folder, `flat-${index}.disk`);
      layers('vmplan_make_disk', disk, '64M', tree);
      return disk;
    }) as [string, string];
    const flatShare = share(flatOne, flatTwo);
    expect(layeredShare).toBeLessThan(0.15);
    expect(flatShare).toBeGreaterThan(2 * layeredShare);
  });

  it('what debugfs cannot write the same way is one mkfs of the whole tree, which still reads back whole', () => {
    const cases: [string, (root: string) => void, RegExp][] = [
      ['fifo', (root) => execFileSync('mkfifo', [join(root, 'var/pipe')]), /a p entry .*\.\/var\/pipe/],
      [
        'newline',
        (root) => writeFileSync(join(root, 'etc/two\nlines'), 'x'),
        /a name with a tab or a newline/,
      ],
      [
        'shared-link',
        (root) => {
          // h1 keeps its two names' count, so it looks unchanged, but its second name is now h3.
          rmSync(join(root, 'usr/bin/h2'));
          linkSync(join(root, 'usr/bin/h1'), join(root, 'usr/bin/h3'));
        },
        /hard link shared with an unchanged file/,
      ],
      [
        'xattr',
        (root) => {
          writeFileSync(join(root, 'usr/bin/ping'), 'needs a capability\n');
          execFileSync('setfattr', ['-n', 'user.vmplan', '-v', 'kept', join(root, 'usr/bin/ping')]);
        },
        /a changed file has extended attributes/,
      ],
    ];
    for (const [name, change, reason] of cases) {
      const base = baseTree(`fallback-${name}`);
      const final = join(folder, `fallback-${name}-final`);
      execFileSync('cp', ['-a', base, final]);
      change(final);
      settle(final);
      const { disk, log } = layered(`fallback-${name}`, base, final);
      expect(log).toMatch(reason);
      expect(log).toMatch(/one file system from the whole tree instead/);
      expect(spawnSync('e2fsck', ['-fn', disk]).status).toBe(0);
      const tree = describeTree(final);
      const back = readBack(disk);
      // rdump writes no FIFO: everything else must be there, as it was.
      if (name === 'fifo') {
        expect(stat(disk, '/var/pipe')).toMatch(/Type: FIFO/);
        delete tree['var/pipe'];
      }
      expect(back).toEqual(tree);
      if (name === 'xattr') expect(stat(disk, '/usr/bin/ping')).toMatch(/user\.vmplan.*kept/);
    }
  });
});
