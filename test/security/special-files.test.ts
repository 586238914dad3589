// Hostile case (issue 12, item 11): an atomic write renamed over whatever was at the path, so
// `vmplan plan --out /dev/null` run as root replaced the device with a regular file. Writes must only ever
// replace regular files, write through to character devices and FIFOs, and refuse everything else.
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { runVmplan } from '../support/cli.js';
import { prerequisite } from '../support/prerequisites.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-special-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const asRoot = process.getuid?.() === 0;
// A private copy of /dev/null (same major/minor), so a failing test never breaks the machine's own.
const haveMknod = prerequisite('root, to make a device node (mknod)', asRoot);

function privateNull(name: string): string {
  const path = join(folder, name);
  const made = spawnSync('mknod', ['-m', '666', path, 'c', '1', '3']);
  expect(made.status).toBe(0);
  return path;
}

describe('writes never replace what is not a regular file', () => {
  it.runIf(haveMknod)('vmplan plan --out DEVICE writes through and leaves the device a device', async () => {
    const device = privateNull('null');
    const repo = join(folder, 'repo');
    mkdirSync(repo);
    writeFileSync(
      join(repo, 'jobs.yml'),
      'version: 1\ndefaults: { executor: host }\njobs:\n  hello: { run: echo hi }\n',
    );
    const result = await runVmplan(['plan', 'jobs.yml', '--out', device], { cwd: repo });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const info = lstatSync(device);
    expect(info.isCharacterDevice()).toBe(true);
    expect(info.rdev).toBe(lstatSync('/dev/null').rdev);
  });

  it('writes through to a FIFO: the reader gets the bytes and the FIFO stays a FIFO', async () => {
    const fifo = join(folder, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let received = '';
    reader.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
    });
    const closed = new Promise((resolve) => reader.once('close', resolve));
    writeFileAtomic(fifo, 'through the pipe\n');
    await closed;
    expect(received).toBe('through the pipe\n');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('refuses a symlink to a file: neither the link nor the file it points to is replaced', () => {
    const real = join(folder, 'real.json');
    writeFileSync(real, 'original');
    const link = join(folder, 'link.json');
    symlinkSync(real, link);
    expect(() => writeFileAtomic(link, 'new')).toThrow(InputError);
    expect(() => writeFileAtomic(link, 'new')).toThrow(/is a symlink/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('original');
  });

  it('refuses a dangling symlink, creating nothing where it points', () => {
    const link = join(folder, 'dangling.json');
    symlinkSync(join(folder, 'nowhere.json'), link);
    expect(() => writeFileAtomic(link, 'new')).toThrow(/symlink to nothing/);
    expect(() => lstatSync(join(folder, 'nowhere.json'))).toThrow();
  });

  it('follows a symlink to a character device (/dev/stdout style) by writing through', () => {
    const link = join(folder, 'to-null');
    symlinkSync('/dev/null', link);
    writeFileAtomic(link, 'discarded');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('refuses a socket and a folder, saying what they are', async () => {
    const socketPath = join(folder, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      expect(() => writeFileAtomic(socketPath, 'x')).toThrow(/is a socket/);
      expect(lstatSync(socketPath).isSocket()).toBe(true);
    } finally {
      server.close();
    }
    const dir = join(folder, 'dir');
    mkdirSync(dir);
    expect(() => writeFileAtomic(dir, 'x')).toThrow(/is a folder/);
  });

  it('still replaces a regular file atomically', () => {
    const file = join(folder, 'plain.json');
    writeFileSync(file, 'old');
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(lstatSync(file).isFile()).toBe(true);
  });
});
