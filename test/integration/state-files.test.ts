import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonFile } from '../../src/util/read-json.js';
import { shortSocketDir } from '../../src/util/short-socket-dir.js';
import { defaultCacheDir, ensureStateDir } from '../../src/util/state-dir.js';
import { refusalOf } from '../support/jobs.js';

// The folders and files vmplan keeps its state in, on a real filesystem: where they go by default, what makes one
// unusable (said before anything is written), and how a damaged record is named.

const root = mkdtempSync(join(tmpdir(), 'vmplan-state-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ensureStateDir', () => {
  it('creates the folder with a .gitignore that ignores everything, and keeps an existing one', () => {
    const path = join(root, 'fresh/state');
    expect(ensureStateDir(path)).toBe(path);
    expect(readFileSync(join(path, '.gitignore'), 'utf8')).toBe(
      '# Created by vmplan: everything here is local state.\n*\n',
    );
    writeFileSync(join(path, '.gitignore'), 'mine\n');
    ensureStateDir(path);
    expect(readFileSync(join(path, '.gitignore'), 'utf8')).toBe('mine\n');
  });

  it('names the folder and what is wrong when it cannot be one', () => {
    writeFileSync(join(root, 'a-file'), 'x');
    expect(refusalOf(() => ensureStateDir(join(root, 'a-file')))).toBe(
      `state folder ${join(root, 'a-file')}: it, or a folder above it, is a file`,
    );
    expect(refusalOf(() => ensureStateDir(join(root, 'a-file/below'), 'cache folder'))).toBe(
      `cache folder ${join(root, 'a-file/below')}: it, or a folder above it, is a file`,
    );
    for (const name of ['runs', 'cache', 'plans', 'images', 'shared']) {
      const path = join(root, `with-${name}`);
      mkdirSync(path);
      writeFileSync(join(path, name), 'x');
      expect(refusalOf(() => ensureStateDir(path))).toBe(
        `state folder ${path}: ${name} is not a folder (move it away: vmplan keeps its ${name} there)`,
      );
    }
    const fine = join(root, 'with-folders');
    mkdirSync(join(fine, 'runs'), { recursive: true });
    expect(ensureStateDir(fine)).toBe(fine);
  });
});

describe('defaultCacheDir', () => {
  it('follows VMPLAN_CACHE_DIR, then the platform convention', () => {
    expect(defaultCacheDir({ VMPLAN_CACHE_DIR: '/srv/vmplan' }, 'linux', '/home/u')).toBe('/srv/vmplan');
    expect(defaultCacheDir({ VMPLAN_CACHE_DIR: '' }, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Caches/vmplan',
    );
    expect(defaultCacheDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/vmplan');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/u' }, 'linux', '/home/u')).toBe(
      '/var/cache/u/vmplan',
    );
    // A relative XDG_CACHE_HOME is invalid by the spec: ignored.
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'cache' }, 'linux', '/home/u')).toBe('/home/u/.cache/vmplan');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/u' }, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Caches/vmplan',
    );
    expect(defaultCacheDir({ HOME: '/home/from-env' }, 'linux')).toBe('/home/from-env/.cache/vmplan');
  });
});

describe('shortSocketDir', () => {
  it('makes a private per-user folder, and refuses one others can enter', () => {
    const base = mkdtempSync(join(root, 'sockets-'));
    const uid = process.getuid?.() ?? 0;
    const dir = shortSocketDir(base);
    expect(dir).toBe(join(base, `vmplan-${uid}`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(shortSocketDir(base)).toBe(dir);
    chmodSync(dir, 0o750);
    expect(() => shortSocketDir(base)).toThrow(
      `${dir} must belong to uid ${uid} with mode 0700 (it holds VM control sockets); remove it and retry`,
    );
    chmodSync(dir, 0o702);
    expect(() => shortSocketDir(base)).toThrow(/must belong to uid/);
    // Private, but someone else's (root can hand it over): refused as well.
    chmodSync(dir, 0o700);
    if (uid === 0) {
      chownSync(dir, 4242, 4242);
      expect(() => shortSocketDir(base)).toThrow(/must belong to uid 0/);
    }
  });
});

describe('readJsonFile', () => {
  const schema = z.strictObject({ version: z.literal(1), name: z.string() });
  const how = { kind: 'test record', maxBytes: 64 };

  it('reads and validates a record', () => {
    const path = join(root, 'good.json');
    writeFileSync(path, '{"version":1,"name":"a"}');
    expect(readJsonFile(path, schema, how)).toEqual({ version: 1, name: 'a' });
  });

  it('names the file and the problem: missing, too large, not JSON, not the schema', () => {
    const path = join(root, 'bad.json');
    expect(refusalOf(() => readJsonFile(path, schema, how, 'bad.json'))).toBe(
      'bad.json: cannot read the test record: ENOENT',
    );
    writeFileSync(path, `{"version":1,"name":"${'x'.repeat(60)}"}`);
    expect(refusalOf(() => readJsonFile(path, schema, how, 'bad.json'))).toBe(
      'bad.json: more than 64 bytes: not a test record',
    );
    expect(readJsonFile(path, schema, { kind: 'test record' })).toMatchObject({ version: 1 });
    writeFileSync(path, '{"version":1,');
    expect(refusalOf(() => readJsonFile(path, schema, how, 'bad.json'))).toMatch(
      /^bad\.json: not a test record: invalid JSON \(.+\)$/,
    );
    writeFileSync(path, '{"version":1,"name":7}');
    expect(refusalOf(() => readJsonFile(path, schema, how))).toBe(
      `${path}: not a valid test record: name: expected a string, found 7`,
    );
    // Exactly the limit is still read.
    writeFileSync(path, `{"version":1,"name":"${'x'.repeat(64 - '{"version":1,"name":""}'.length)}"}`);
    expect(readJsonFile(path, schema, how).name).toHaveLength(64 - '{"version":1,"name":""}'.length);
    writeFileSync(path, '[]');
    expect(refusalOf(() => readJsonFile(path, schema, how, 'bad.json'))).toMatch(
      /^bad\.json: not a valid test record: \(top\): /,
    );
  });
});
