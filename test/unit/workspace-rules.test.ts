// The pure rules behind a workspace snapshot: which paths a git view keeps, gitignore-style excludes, the line a
// run prints about its snapshot, and which folders above a host job's workspace make it a project.
import { describe, expect, it } from 'vitest';
import type { CopyStats } from '../../src/workspace/copy-tree.js';
import { createExcluder } from '../../src/workspace/exclude.js';
import { type GitView, gitViewExcluder } from '../../src/workspace/git-view.js';
import { PROJECT_MARKERS, projectAbove } from '../../src/workspace/host-workspace.js';
import { largeSnapshotHint, snapshotLine } from '../../src/workspace/snapshot.js';

describe("the copy's filter for a git view", () => {
  const view: GitView = {
    files: new Set(['README.md', 'src/app/main.ts', 'src/app/.env.example']),
    wholeFolders: new Set(['vendor/lib']),
    ignored: [],
  };
  const excluded = gitViewExcluder(view);

  it('keeps the files git would commit and the folders on the way to them, nothing beside them', () => {
    const cases: [string, boolean, boolean][] = [
      ['README.md', false, false],
      ['src', true, false],
      ['src/app', true, false],
      ['src/app/main.ts', false, false],
      ['src/app/.env.example', false, false],
      // Beside a kept file: left out, file or folder.
      ['src/app/main.js', false, true],
      ['src/app/generated', true, true],
      ['src/other', true, true],
      ['docs', true, true],
      ['LICENSE', false, true],
      // A folder on the way to a kept file is a folder, not a file of that name.
      ['src', false, true],
      ['src/app', false, true],
      // Only whole names: "s" and "sr" lead to no kept file, nor does "src/ap".
      ['s', true, true],
      ['sr', true, true],
      ['src/ap', true, true],
      ['README', false, true],
    ];
    for (const [path, isDirectory, expected] of cases)
      expect(excluded(path, isDirectory), `${path} (${isDirectory ? 'folder' : 'file'})`).toBe(expected);
  });

  it('keeps a folder kept whole with everything in it, at any depth, and nothing of a folder of a similar name', () => {
    const cases: [string, boolean, boolean][] = [
      ['vendor', true, false],
      ['vendor/lib', true, false],
      ['vendor/lib/a.c', false, false],
      ['vendor/lib/include', true, false],
      ['vendor/lib/include/deep/er/x.h', false, false],
      ['vendor/lib/include/deep/er', true, false],
      ['vendor/other', true, true],
      ['vendor/other/a.c', false, true],
      ['vendor/library/a.c', false, true],
      ['vendor/li/a.c', false, true],
      ['vendor/a.c', false, true],
    ];
    for (const [path, isDirectory, expected] of cases)
      expect(excluded(path, isDirectory), `${path} (${isDirectory ? 'folder' : 'file'})`).toBe(expected);
  });

  it('keeps nothing of an empty view', () => {
    const none = gitViewExcluder({ files: new Set(), wholeFolders: new Set(), ignored: [] });
    expect([none('a', true), none('a', false), none('a/b', false)]).toEqual([true, true, true]);
  });
});

describe('gitignore-style excludes, at their edges', () => {
  it('a pattern both anchored and folders-only matches that folder at the root only', () => {
    const excluded = createExcluder(['/build/']);
    expect(excluded('build', true)).toBe(true);
    expect(excluded('build', false)).toBe(false);
    expect(excluded('src/build', true)).toBe(false);
  });

  it('a nested pattern is anchored, a glob in it spans one level, ** any number', () => {
    const excluded = createExcluder(['docs/*/draft.md', 'gen/**/*.tmp']);
    expect(excluded('docs/guide/draft.md', false)).toBe(true);
    expect(excluded('docs/guide/deep/draft.md', false)).toBe(false);
    expect(excluded('x/docs/guide/draft.md', false)).toBe(false);
    expect(excluded('gen/a.tmp', false)).toBe(true);
    expect(excluded('gen/a/b/c.tmp', false)).toBe(true);
    expect(excluded('src/gen/a.tmp', false)).toBe(false);
  });

  it('no pattern excludes nothing', () => {
    const excluded = createExcluder([]);
    expect([excluded('.git', true), excluded('a', false)]).toEqual([false, false]);
  });
});

describe('the snapshot line a run prints', () => {
  const stats = (method: CopyStats['method']): CopyStats => ({
    files: 812,
    directories: 40,
    symlinks: 2,
    excluded: 3,
    method,
    engine: 'node',
    ms: 120,
  });

  it('says how many files, how big, how long, and whether they were cloned or copied', () => {
    expect(snapshotLine(stats('clone'), 14_200_000, [])).toBe(
      'Snapshot: 812 files, 14.2 MB in 120 ms (copy-on-write clones)',
    );
    expect(snapshotLine(stats('copy'), 14_200_000, [])).toBe(
      'Snapshot: 812 files, 14.2 MB in 120 ms (copied)',
    );
  });

  it('names up to five paths git ignored, counts the rest, and says how to bring them back', () => {
    const five = ['a/', 'b/', 'c.log', 'd/', 'e/'];
    expect(snapshotLine(stats('copy'), 1000, five)).toBe(
      'Snapshot: 812 files, 1.0 KB in 120 ms (copied); left out as ignored by git: a/, b/, c.log, d/, e/ (workspace.include-ignored brings paths back)',
    );
    expect(snapshotLine(stats('copy'), 1000, [...five, 'f/', 'g/'])).toBe(
      'Snapshot: 812 files, 1.0 KB in 120 ms (copied); left out as ignored by git: a/, b/, c.log, d/, e/ and 2 more (workspace.include-ignored brings paths back)',
    );
  });
});

describe('the hint about a large snapshot', () => {
  it('comes from 1 GiB on, saying how big and what to do', () => {
    expect(largeSnapshotHint(1024 ** 3 - 1)).toBeUndefined();
    expect(largeSnapshotHint(1024 ** 3)).toBe(
      'The snapshot is 1.1 GB: every job starts from it. Leave out what jobs do not need with workspace.exclude in the jobs file.',
    );
  });
});

describe('a project above a host job’s workspace', () => {
  const at = (...present: string[]) => {
    const set = new Set(present);
    return (path: string) => set.has(path);
  };

  it('is the nearest folder above the path holding a marker, naming the marker', () => {
    const exists = at('/home/me/repo/.git', '/home/me/repo/package.json', '/home/me/go.mod');
    expect(projectAbove('/home/me/repo/.vmplan/runs/r1/jobs/unit/workspace', exists)).toEqual({
      folder: '/home/me/repo',
      marker: '.git',
    });
    expect(projectAbove('/home/me/other/workspace', exists)).toEqual({
      folder: '/home/me',
      marker: 'go.mod',
    });
    // The root counts too: a marker there is above everything.
    expect(projectAbove('/srv/work/workspace', at('/tsconfig.json'))).toEqual({
      folder: '/',
      marker: 'tsconfig.json',
    });
  });

  it('looks only above the path, never at the workspace itself, and finds none in a clean tree', () => {
    expect(projectAbove('/srv/work/workspace', at('/srv/work/workspace/package.json'))).toBeUndefined();
    const asked: string[] = [];
    expect(
      projectAbove('/srv/work/workspace', (path) => {
        asked.push(path);
        return false;
      }),
    ).toBeUndefined();
    // Every marker in every folder up to the root, and nothing else.
    expect(asked).toHaveLength(PROJECT_MARKERS.length * 3);
    expect(asked.filter((path) => path.startsWith('/srv/work/workspace/'))).toEqual([]);
  });

  it('knows the files the usual toolchains look upwards for', () => {
    for (const marker of ['.git', 'node_modules', 'package.json', 'Cargo.toml', 'go.mod', 'pyproject.toml'])
      expect(PROJECT_MARKERS).toContain(marker);
  });
});
