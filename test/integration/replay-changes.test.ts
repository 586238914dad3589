import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { replayWorkspaceChanges } from '../../src/workspace/replay-changes.js';

const made: string[] = [];
afterEach(() => {
  for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function folder(): string {
  const path = mkdtempSync(join(tmpdir(), 'vmplan-replay-'));
  made.push(path);
  return path;
}

describe('replayWorkspaceChanges (the workspace a shell gets)', () => {
  it("lays the job's changed files over the snapshot copy and deletes what it deleted", async () => {
    const target = folder();
    const changes = folder();
    writeFileSync(join(target, 'kept.txt'), 'snapshot\n');
    writeFileSync(join(target, 'changed.txt'), 'before\n');
    mkdirSync(join(target, 'dir'));
    writeFileSync(join(target, 'dir/gone.txt'), 'x');
    writeFileSync(join(changes, 'changed.txt'), 'after\n');
    writeFileSync(join(changes, 'new.txt'), 'new\n');
    const list = join(folder(), 'deleted.txt');
    writeFileSync(list, 'dir/gone.txt\n');
    expect(await replayWorkspaceChanges(target, { folder: changes, deletedList: list })).toEqual({
      changed: 2,
      deleted: 1,
    });
    expect(readFileSync(join(target, 'changed.txt'), 'utf8')).toBe('after\n');
    expect(readFileSync(join(target, 'new.txt'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(target, 'kept.txt'), 'utf8')).toBe('snapshot\n');
    expect(existsSync(join(target, 'dir/gone.txt'))).toBe(false);
  });

  it('never deletes outside the copy: no .., no absolute path, no way through a link the guest could have made', async () => {
    const target = folder();
    const outside = folder();
    writeFileSync(join(outside, 'precious.txt'), 'keep me');
    symlinkSync(outside, join(target, 'link'));
    const list = join(folder(), 'deleted.txt');
    writeFileSync(
      list,
      `../${outside.split('/').pop()}/precious.txt\n${outside}/precious.txt\nlink/precious.txt\n\n`,
    );
    expect(await replayWorkspaceChanges(target, { folder: undefined, deletedList: list })).toEqual({
      changed: 0,
      deleted: 0,
    });
    expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

describe('replayWorkspaceChanges at its edges', () => {
  it('deletes only plain relative paths under real folders, and counts only what it deleted', async () => {
    const target = folder();
    writeFileSync(join(target, 'x.txt'), 'keep');
    writeFileSync(join(target, 'file.txt'), 'a file, not a folder');
    mkdirSync(join(target, 'dir'));
    const list = join(folder(), 'deleted.txt');
    writeFileSync(
      list,
      ['./x.txt', 'dir/../x.txt', 'dir//x.txt', 'dir/./x.txt', '.', 'file.txt/x', 'missing/x', 'dir/'].join(
        '\n',
      ),
    );
    expect(await replayWorkspaceChanges(target, { folder: undefined, deletedList: list })).toEqual({
      changed: 0,
      deleted: 0,
    });
    expect(readFileSync(join(target, 'x.txt'), 'utf8')).toBe('keep');
    expect(readFileSync(join(target, 'file.txt'), 'utf8')).toBe('a file, not a folder');
  });

  it('deletes a folder with what it holds, and a link without following it', async () => {
    const target = folder();
    const outside = folder();
    writeFileSync(join(outside, 'precious.txt'), 'keep me');
    mkdirSync(join(target, 'build/deep'), { recursive: true });
    writeFileSync(join(target, 'build/deep/out.o'), 'x');
    mkdirSync(join(target, 'sub'));
    symlinkSync(outside, join(target, 'sub/link'));
    const list = join(folder(), 'deleted.txt');
    writeFileSync(list, 'build\nsub/link\n');
    expect(await replayWorkspaceChanges(target, { folder: undefined, deletedList: list })).toEqual({
      changed: 0,
      deleted: 2,
    });
    expect(existsSync(join(target, 'build'))).toBe(false);
    expect(() => lstatSync(join(target, 'sub/link'))).toThrow(/ENOENT/);
    expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('deletes before it lays changes over: a file the job replaced with a folder ends a folder', async () => {
    const target = folder();
    writeFileSync(join(target, 'out'), 'was a file');
    const changes = folder();
    mkdirSync(join(changes, 'out'));
    writeFileSync(join(changes, 'out/result.txt'), 'now a folder');
    const list = join(folder(), 'deleted.txt');
    writeFileSync(list, 'out\n');
    expect(await replayWorkspaceChanges(target, { folder: changes, deletedList: list })).toEqual({
      changed: 1,
      deleted: 1,
    });
    expect(readFileSync(join(target, 'out/result.txt'), 'utf8')).toBe('now a folder');
  });

  it('changes nothing when the recorded changes are missing or not a folder', async () => {
    const target = folder();
    writeFileSync(join(target, 'a.txt'), 'a');
    const notAFolder = join(folder(), 'changes');
    writeFileSync(notAFolder, 'a file');
    for (const changes of [
      { folder: notAFolder, deletedList: join(target, 'no-such-list') },
      { folder: join(target, 'no-such-folder'), deletedList: undefined },
    ])
      expect(await replayWorkspaceChanges(target, changes)).toEqual({ changed: 0, deleted: 0 });
    expect(readdirSync(target)).toEqual(['a.txt']);
  });

  it('never lays a host folder over the copy through a workspace-changes the guest made a link', async () => {
    const target = folder();
    writeFileSync(join(target, 'a.txt'), 'a');
    const host = folder();
    writeFileSync(join(host, 'host-secret.txt'), 'of the runner');
    const share = folder();
    symlinkSync(host, join(share, 'workspace-changes'));
    expect(
      await replayWorkspaceChanges(target, {
        folder: join(share, 'workspace-changes'),
        deletedList: undefined,
      }),
    ).toEqual({ changed: 0, deleted: 0 });
    expect(readdirSync(target)).toEqual(['a.txt']);
  });
});

describe('replayWorkspaceChanges and names that are not UTF-8', () => {
  it('lays a changed file and folder over the copy under the very bytes the job named them', async () => {
    const target = folder();
    const changes = folder();
    const at = (root: string, ...parts: (string | number[])[]) =>
      Buffer.concat([
        Buffer.from(`${root}/`),
        ...parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))),
      ]);
    writeFileSync(at(changes, 'caf', [0xe9], '.txt'), 'latin-1 name');
    mkdirSync(at(changes, 'd', [0xe9], 'j', [0xe0]));
    writeFileSync(at(changes, 'd', [0xe9], 'j', [0xe0], '/inner.txt'), 'inside');
    writeFileSync(at(changes, 'plain.txt'), 'plain');
    expect(await replayWorkspaceChanges(target, { folder: changes, deletedList: undefined })).toEqual({
      changed: 3,
      deleted: 0,
    });
    expect(readFileSync(at(target, 'caf', [0xe9], '.txt'), 'utf8')).toBe('latin-1 name');
    expect(readFileSync(at(target, 'd', [0xe9], 'j', [0xe0], '/inner.txt'), 'utf8')).toBe('inside');
    expect(readFileSync(join(target, 'plain.txt'), 'utf8')).toBe('plain');
  });
});
