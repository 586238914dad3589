import {
  existsSync,
  mkdirSync,
  mkdtempSync,
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
