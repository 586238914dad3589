import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeJsonAtomic } from '../../src/util/atomic-write.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-atomic-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// A child process rewrites one file as fast as it can, alternating two large contents; we SIGKILL it at
// varying moments. Whatever the moment, the file must hold one whole version, never a torn mix.
const writer = `
import { writeFileAtomic } from ${JSON.stringify(new URL('../../src/util/atomic-write.ts', import.meta.url).pathname)};
const a = 'A'.repeat(4 * 1024 * 1024);
const b = 'B'.repeat(4 * 1024 * 1024);
writeFileAtomic(process.argv.at(-1), a);
process.stdout.write('ready\\n');
for (let i = 0; ; i++) writeFileAtomic(process.argv.at(-1), i % 2 ? a : b);
`;

describe('writeFileAtomic', () => {
  it('leaves the old or the new content when the writer is killed mid-write', async () => {
    const target = join(folder, 'record.json');
    for (let round = 0; round < 5; round++) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', writer, target],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 20 + round * 15));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const content = readFileSync(target, 'utf8');
      expect(content.length).toBe(4 * 1024 * 1024);
      expect(content === 'A'.repeat(content.length) || content === 'B'.repeat(content.length)).toBe(true);
    }
    // Killed writers may leave temp files behind, never a partial target.
    expect(readdirSync(folder).filter((name) => !name.endsWith('.tmp'))).toEqual(['record.json']);
  });

  it('creates the folder, replaces a regular file whole with the mode asked, and leaves no temporary file', () => {
    const target = join(folder, 'new/deep/record.json');
    writeJsonAtomic(target, { a: 1 });
    expect(readFileSync(target, 'utf8')).toBe('{\n  "a": 1\n}\n');
    writeFileAtomic(target, Buffer.from('second'), 0o600);
    expect(readFileSync(target, 'utf8')).toBe('second');
    const secret = join(folder, 'new/secret');
    writeFileAtomic(secret, 'x', 0o600);
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(folder, 'new/deep'))).toEqual(['record.json']);
  });

  it('writes through a character device and a pipe, whole, and through a link to a device', async () => {
    // A private copy of /dev/null (root can make one): a broken write (a mutant, under mutation testing) replaces
    // this node, never the machine's own /dev/null. Without root, the machine's is only read through a link.
    const device = join(folder, 'null');
    const ownDevice = spawnSync('mknod', ['-m', '666', device, 'c', '1', '3']).status === 0;
    const target = ownDevice ? device : '/dev/null';
    if (ownDevice) {
      writeFileAtomic(device, 'discarded');
      expect(lstatSync(device).isCharacterDevice()).toBe(true);
    }
    symlinkSync(target, join(folder, 'null-link'));
    writeFileAtomic(join(folder, 'null-link'), 'discarded too');
    expect(statSync(join(folder, 'null-link')).isCharacterDevice()).toBe(true);
    expect(lstatSync(join(folder, 'null-link')).isSymbolicLink()).toBe(true);

    const fifo = join(folder, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // The reader counts what arrives (and prints only that: this process blocks while it writes).
    const reader = spawn('sh', ['-c', 'wc -c < "$0"', fifo]);
    let counted = '';
    reader.stdout.on('data', (chunk: Buffer) => {
      counted += chunk.toString();
    });
    const closed = new Promise((resolve) => reader.on('close', resolve));
    // Larger than a pipe holds: written in several pieces, all of them.
    writeFileAtomic(fifo, Buffer.alloc(4 * 1024 * 1024, 7));
    await closed;
    const received = Number(counted.trim());
    expect(received).toBe(4 * 1024 * 1024);
  });

  it('refuses folders, sockets, block devices and links to files or to nothing, naming what it found', async () => {
    const refusals: [string, string][] = [];
    const at = (name: string) => join(folder, 'refused', name);
    mkdirSync(at('a-folder'), { recursive: true });
    refusals.push([
      at('a-folder'),
      `${at('a-folder')} is a folder: vmplan writes only regular files, character devices and pipes`,
    ]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(at('a-socket'), resolve));
    refusals.push([
      at('a-socket'),
      `${at('a-socket')} is a socket: vmplan writes only regular files, character devices and pipes`,
    ]);
    execFileSync('mknod', [at('a-block'), 'b', '7', '200']);
    refusals.push([
      at('a-block'),
      `${at('a-block')} is a block device: vmplan writes only regular files, character devices and pipes`,
    ]);
    writeFileSync(at('real-file'), 'keep');
    symlinkSync(at('real-file'), at('file-link'));
    refusals.push([
      at('file-link'),
      `${at('file-link')} is a symlink: vmplan does not write through symlinks to files; give the real path`,
    ]);
    symlinkSync(at('nowhere'), at('dangling'));
    refusals.push([
      at('dangling'),
      `${at('dangling')} is a symlink to nothing: vmplan does not write through symlinks to files; give the real path`,
    ]);
    try {
      for (const [path, message] of refusals) expect(() => writeFileAtomic(path, 'x'), path).toThrow(message);
    } finally {
      server.close();
    }
    expect(readFileSync(at('real-file'), 'utf8')).toBe('keep');
    expect(readdirSync(join(folder, 'refused')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
