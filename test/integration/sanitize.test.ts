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
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sanitizeTree } from '../../src/workspace/sanitize.js';
import { descriptorsOn } from '../support/fds.js';

// What a guest leaves in a folder the host keeps (outputs, logs, caches) is made plain before the host touches it:
// real special files and modes here, made the way a root guest could.

const root = mkdtempSync(join(tmpdir(), 'vmplan-sanitize-'));
const OUTSIDE_FILE = join(root, 'outside-setuid');
const OUTSIDE_DIR = join(root, 'outside-dir');
writeFileSync(OUTSIDE_FILE, 'host file');
chmodSync(OUTSIDE_FILE, 0o4755);
mkdirSync(OUTSIDE_DIR);
chmodSync(OUTSIDE_DIR, 0o1777);
execFileSync('mkfifo', [join(OUTSIDE_DIR, 'fifo')]);
const servers: Server[] = [];
const mode = (path: string) => statSync(path).mode & 0o7777;
afterAll(() => {
  for (const server of servers) server.close();
  rmSync(root, { recursive: true, force: true });
});

async function listeningSocket(path: string): Promise<void> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
}

async function hostileTree(name: string): Promise<string> {
  const top = join(root, name);
  mkdirSync(join(top, 'deep/er'), { recursive: true });
  writeFileSync(join(top, 'plain.txt'), 'kept');
  writeFileSync(join(top, 'setuid'), '#!/bin/sh\n');
  chmodSync(join(top, 'setuid'), 0o4755);
  writeFileSync(join(top, 'deep/er/setgid'), 'x');
  chmodSync(join(top, 'deep/er/setgid'), 0o2640);
  chmodSync(join(top, 'deep'), 0o1777);
  execFileSync('mkfifo', [join(top, 'deep/er/fifo')]);
  await listeningSocket(join(top, 'deep/sock'));
  // Links a guest made to host things it would like changed: a setuid file and a folder holding a pipe.
  symlinkSync(OUTSIDE_FILE, join(top, 'link-out'));
  symlinkSync(OUTSIDE_DIR, join(top, 'deep/link-dir'));
  symlinkSync('plain.txt', join(top, 'deep/link-in'));
  return top;
}

/** What sanitizing must never reach through a link: still a setuid file and a folder with its pipe. */
function expectOutsideUntouched(): void {
  expect(mode(OUTSIDE_FILE)).toBe(0o4755);
  expect(readFileSync(OUTSIDE_FILE, 'utf8')).toBe('host file');
  expect(mode(OUTSIDE_DIR)).toBe(0o1777);
  expect(lstatSync(join(OUTSIDE_DIR, 'fifo')).isFIFO()).toBe(true);
}

describe('sanitizeTree', () => {
  it('removes pipes, sockets and links, clears setuid, setgid and sticky bits, and keeps the rest', async () => {
    const top = await hostileTree('all');
    const plainMode = mode(join(top, 'plain.txt'));
    const removed = await sanitizeTree(top);
    expect(removed.sort()).toEqual([
      'deep/er/fifo',
      'deep/link-dir',
      'deep/link-in',
      'deep/sock',
      'link-out',
    ]);
    for (const path of removed) expect(existsSync(join(top, path))).toBe(false);
    expect(mode(join(top, 'setuid'))).toBe(0o755);
    expect(mode(join(top, 'deep/er/setgid'))).toBe(0o640);
    expect(mode(join(top, 'deep'))).toBe(0o777);
    expect(mode(join(top, 'plain.txt'))).toBe(plainMode);
    expect(readFileSync(join(top, 'plain.txt'), 'utf8')).toBe('kept');
    expectOutsideUntouched();
  });

  it("keeps a cache's links when asked, still removing the other special files", async () => {
    const top = await hostileTree('links');
    const removed = await sanitizeTree(top, { keepLinks: true });
    expect(removed.sort()).toEqual(['deep/er/fifo', 'deep/sock']);
    expect(readlinkSync(join(top, 'link-out'))).toBe(OUTSIDE_FILE);
    expect(readlinkSync(join(top, 'deep/link-dir'))).toBe(OUTSIDE_DIR);
    expect(lstatSync(join(top, 'deep/link-in')).isSymbolicLink()).toBe(true);
    expect(mode(join(top, 'setuid'))).toBe(0o755);
    // Kept links are never followed: the host file keeps its setuid bit, the host folder its pipe.
    expectOutsideUntouched();
  });

  it('does nothing to a missing folder, a file, or a link to a folder', async () => {
    expect(await sanitizeTree(join(root, 'missing'))).toEqual([]);
    writeFileSync(join(root, 'file'), 'x');
    chmodSync(join(root, 'file'), 0o4755);
    expect(await sanitizeTree(join(root, 'file'))).toEqual([]);
    expect(mode(join(root, 'file'))).toBe(0o4755);
    const target = await hostileTree('target');
    symlinkSync(target, join(root, 'to-target'));
    expect(await sanitizeTree(join(root, 'to-target'))).toEqual([]);
    expect(existsSync(join(target, 'deep/er/fifo'))).toBe(true);
  });
});

describe('sanitizeTree, privileges only', () => {
  const asRoot = process.getuid?.() === 0;

  it.skipIf(!asRoot)(
    'removes device nodes and clears set-id bits, leaving links, pipes and sockets for the collection to name',
    async () => {
      const top = await hostileTree('privileged-only');
      execFileSync('mknod', [join(top, 'deep/er/null'), 'c', '1', '3']);
      const removed = await sanitizeTree(top, { privilegedOnly: true });
      expect(removed).toEqual(['deep/er/null']);
      expect(existsSync(join(top, 'deep/er/null'))).toBe(false);
      expect(lstatSync(join(top, 'deep/er/fifo')).isFIFO()).toBe(true);
      expect(lstatSync(join(top, 'deep/sock')).isSocket()).toBe(true);
      expect(readlinkSync(join(top, 'link-out'))).toBe(OUTSIDE_FILE);
      expect([mode(join(top, 'setuid')), mode(join(top, 'deep/er/setgid')), mode(join(top, 'deep'))]).toEqual(
        [0o755, 0o640, 0o777],
      );
      expectOutsideUntouched();
    },
  );

  it.skipIf(!asRoot)('removes device nodes by default too', async () => {
    const top = await hostileTree('devices');
    execFileSync('mknod', [join(top, 'disk'), 'b', '7', '200']);
    const removed = await sanitizeTree(top);
    expect(removed).toContain('disk');
    expect(existsSync(join(top, 'disk'))).toBe(false);
  });

  it('closes every file and folder it opens', async () => {
    const top = await hostileTree('descriptors');
    for (let i = 0; i < 20; i++) writeFileSync(join(top, `deep/er/file-${i}`), 'x');
    await sanitizeTree(top);
    expect(descriptorsOn(join(top, 'plain.txt'))).toBe(0);
    expect(descriptorsOn(join(top, 'deep/er/file-19'))).toBe(0);
    expect(descriptorsOn(join(top, 'deep/er'))).toBe(0);
  });
});

describe('sanitizeTree and names that are not UTF-8', () => {
  it('removes a pipe and clears a setuid bit whatever bytes name them', async () => {
    const top = join(root, 'latin1');
    mkdirSync(join(top, 'deep'), { recursive: true });
    const latin1 = (path: string) => Buffer.from(join(top, path), 'latin1');
    // The shell makes the name from its bytes (a command-line argument from Node would be UTF-8).
    execFileSync('sh', ['-c', 'mkfifo "$(printf \'deep/pipe-\\351\')"'], { cwd: top });
    writeFileSync(latin1('deep/setuid-\xe9'), '#!/bin/sh\n');
    chmodSync(latin1('deep/setuid-\xe9'), 0o4755);
    mkdirSync(latin1('d\xe9j\xe0'));
    writeFileSync(latin1('d\xe9j\xe0/setgid'), 'x');
    chmodSync(latin1('d\xe9j\xe0/setgid'), 0o2755);
    const removed = await sanitizeTree(top);
    expect(removed).toEqual(['deep/pipe-\uFFFD']);
    expect(existsSync(latin1('deep/pipe-\xe9'))).toBe(false);
    expect(statSync(latin1('deep/setuid-\xe9')).mode & 0o7777).toBe(0o755);
    expect(statSync(latin1('d\xe9j\xe0/setgid')).mode & 0o7777).toBe(0o755);
  });
});
