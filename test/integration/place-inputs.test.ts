// The outputs of needed jobs, placed into a job's workspace: at the same paths, read-only files, later inputs
// winning, and nothing in the workspace's way (a link, a file, a folder) followed or kept.
import {
  chmodSync,
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
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { placeInputs } from '../../src/workspace/inputs.js';

const root = mkdtempSync(join(tmpdir(), 'vmplan-inputs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let case_ = 0;
let base: string;
beforeEach(() => {
  base = join(root, String(++case_));
  mkdirSync(base);
});

function tree(folder: string, files: Record<string, string>): string {
  const at = join(base, folder);
  mkdirSync(at, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(at, path)), { recursive: true });
    writeFileSync(join(at, path), text);
  }
  return at;
}

const mode = (path: string) => lstatSync(path).mode & 0o777;

describe('placing the outputs of needed jobs', () => {
  it('puts files and folders at the same paths: files read-only, folders writable by their owner', async () => {
    const build = tree('build', { 'dist/app.js': 'app', 'dist/lib/util.js': 'util', VERSION: '1.0' });
    chmodSync(join(build, 'dist/app.js'), 0o755);
    const workspace = tree('workspace', { 'src/main.ts': 'main' });
    const placed = await placeInputs([{ from: 'build', folder: build }], workspace);
    expect(placed.paths).toEqual(['VERSION', 'dist']);
    expect(readFileSync(join(workspace, 'dist/lib/util.js'), 'utf8')).toBe('util');
    expect(readFileSync(join(workspace, 'src/main.ts'), 'utf8')).toBe('main');
    expect(mode(join(workspace, 'dist/app.js'))).toBe(0o555);
    expect(mode(join(workspace, 'VERSION'))).toBe(0o444);
    expect([mode(join(workspace, 'dist')), mode(join(workspace, 'dist/lib'))]).toEqual([0o755, 0o755]);
  });

  it('lets a later input win over an earlier one and over the workspace, and names each path once', async () => {
    const first = tree('first', { 'out/a.txt': 'first a', 'out/b.txt': 'first b' });
    const second = tree('second', { 'out/a.txt': 'second a' });
    const workspace = tree('workspace', { 'out/b.txt': 'own b', 'out/c.txt': 'own c' });
    chmodSync(join(workspace, 'out'), 0o555);
    const placed = await placeInputs(
      [
        { from: 'first', folder: first },
        { from: 'second', folder: second },
      ],
      workspace,
    );
    expect(placed.paths).toEqual(['out']);
    expect(['a', 'b', 'c'].map((name) => readFileSync(join(workspace, `out/${name}.txt`), 'utf8'))).toEqual([
      'second a',
      'first b',
      'own c',
    ]);
    expect(mode(join(workspace, 'out'))).toBe(0o755);
  });

  it("never follows or keeps what is in the workspace's way: a link, a file for a folder, a folder for a file", async () => {
    const outside = tree('outside', { 'secret.txt': 'keep me' });
    const build = tree('build', { 'dist/app.js': 'app', 'report.txt': 'report', 'link/app.js': 'via link' });
    const workspace = tree('workspace', {
      dist: 'a file where a folder goes',
      'report.txt/inner': 'a folder',
    });
    symlinkSync(outside, join(workspace, 'link'));
    await placeInputs([{ from: 'build', folder: build }], workspace);
    expect(lstatSync(join(workspace, 'link')).isDirectory()).toBe(true);
    expect(readFileSync(join(workspace, 'link/app.js'), 'utf8')).toBe('via link');
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('keep me');
    expect(() => statSync(join(outside, 'app.js'))).toThrow(/ENOENT/);
    expect(readFileSync(join(workspace, 'dist/app.js'), 'utf8')).toBe('app');
    expect(readFileSync(join(workspace, 'report.txt'), 'utf8')).toBe('report');
  });

  it('places no link an output holds', async () => {
    const build = tree('build', { 'dist/app.js': 'app' });
    symlinkSync('/etc/passwd', join(build, 'dist/passwd'));
    const workspace = tree('workspace', {});
    await placeInputs([{ from: 'build', folder: build }], workspace);
    expect(() => lstatSync(join(workspace, 'dist/passwd'))).toThrow(/ENOENT/);
    expect(readlinkSync(join(build, 'dist/passwd'))).toBe('/etc/passwd');
  });
});

describe('placing the outputs of needed jobs, at the edges', () => {
  it('replaces a link where a file goes, never writing the file it points to', async () => {
    const outside = tree('outside', { 'VERSION.txt': 'outside, untouched' });
    const build = tree('build', { VERSION: '2.0', 'dist/app.js': 'app' });
    const workspace = tree('workspace', {});
    symlinkSync(join(outside, 'VERSION.txt'), join(workspace, 'VERSION'));
    mkdirSync(join(workspace, 'dist'));
    symlinkSync(join(outside, 'VERSION.txt'), join(workspace, 'dist/app.js'));
    await placeInputs([{ from: 'build', folder: build }], workspace);
    for (const [path, text] of [
      ['VERSION', '2.0'],
      ['dist/app.js', 'app'],
    ] as const) {
      expect(lstatSync(join(workspace, path)).isFile(), path).toBe(true);
      expect(readFileSync(join(workspace, path), 'utf8')).toBe(text);
    }
    expect(readFileSync(join(outside, 'VERSION.txt'), 'utf8')).toBe('outside, untouched');
  });

  it('takes the write bits away and keeps the read and execute bits a file had', async () => {
    const build = tree('build', { 'private.key': 'k', 'tool.sh': '#!/bin/sh', 'open.txt': 'o' });
    chmodSync(join(build, 'private.key'), 0o600);
    chmodSync(join(build, 'tool.sh'), 0o750);
    chmodSync(join(build, 'open.txt'), 0o666);
    const workspace = tree('workspace', {});
    await placeInputs([{ from: 'build', folder: build }], workspace);
    expect(['private.key', 'tool.sh', 'open.txt'].map((name) => mode(join(workspace, name)))).toEqual([
      0o400, 0o550, 0o444,
    ]);
  });

  it('names each placed path once, in order, whatever order the inputs hold them in', async () => {
    const names = ['zeta', 'alpha', 'mu', 'beta', 'omega', 'delta', 'kappa'];
    const first = tree('first', Object.fromEntries(names.map((name) => [name, name])));
    const second = tree('second', { mu: 'again', aa: 'aa' });
    const placed = await placeInputs(
      [
        { from: 'first', folder: first },
        { from: 'second', folder: second },
      ],
      tree('workspace', {}),
    );
    expect(placed.paths).toEqual(['aa', 'alpha', 'beta', 'delta', 'kappa', 'mu', 'omega', 'zeta']);
  });

  it('places nothing for no inputs or an empty output folder', async () => {
    const workspace = tree('workspace', { 'a.txt': 'a' });
    expect(await placeInputs([], workspace)).toEqual({ paths: [] });
    expect(await placeInputs([{ from: 'empty', folder: tree('empty', {}) }], workspace)).toEqual({
      paths: [],
    });
    expect(readFileSync(join(workspace, 'a.txt'), 'utf8')).toBe('a');
  });
});
