import { mkdirSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitView, isGitWorkTree } from '../../src/workspace/git-view.js';
import { git, writeTree } from '../support/git-tree.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-git-view-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const signal = new AbortController().signal;

/** A repository with tracked, untracked and ignored files, ignored folders git collapses, and a nested repository. */
function repository(name: string): string {
  const root = join(folder, name);
  writeTree(root, {
    '.gitignore': 'build/\nlogs/\n*.log\ndist/\n',
    'src/index.ts': 'tracked',
    'src/gone.ts': 'tracked, deleted from the work tree',
    'new.ts': 'untracked, not ignored',
    'debug.log': 'ignored file',
    'dist/out.js': 'ignored folder',
    'logs/deep/x.log': 'ignored, inside an ignored folder',
    'logs/deep/x.txt': 'ignored, inside an ignored folder',
    'build/gen/keep.txt': 'ignored, inside an ignored folder',
    'build/generated.txt': 'ignored: a file whose name begins like a folder',
    'build/tmp/gen': 'ignored: a file named like a folder',
    'build/tmp/drop.txt': 'ignored',
  });
  git(root, 'init', '-q');
  git(root, 'add', '.gitignore', 'src');
  git(root, 'commit', '-qm', 'init');
  unlinkSync(join(root, 'src/gone.ts'));
  writeTree(root, { 'vendor/lib/a.c': 'a nested repository' });
  git(join(root, 'vendor/lib'), 'init', '-q');
  return root;
}

const sorted = (paths: ReadonlySet<string>) => [...paths].sort();

describe('isGitWorkTree', () => {
  it('is true inside a work tree (its root and below), false in its .git, a plain folder or a missing one', () => {
    const root = repository('work-tree');
    expect(isGitWorkTree(root)).toBe(true);
    expect(isGitWorkTree(join(root, 'src'))).toBe(true);
    // git answers "false" in a repository's own .git folder: it is no work tree to snapshot.
    expect(isGitWorkTree(join(root, '.git'))).toBe(false);
    mkdirSync(join(folder, 'plain'));
    expect(isGitWorkTree(join(folder, 'plain'))).toBe(false);
    expect(isGitWorkTree(join(folder, 'missing'))).toBe(false);
  });
});

describe('gitView', () => {
  it('lists tracked (even deleted) and untracked files, a nested repository whole, and what git ignores, in order', async () => {
    const root = repository('plain');
    const view = await gitView(root, [], signal);
    expect(sorted(view.files)).toEqual(['.gitignore', 'new.ts', 'src/gone.ts', 'src/index.ts']);
    expect(sorted(view.wholeFolders)).toEqual(['vendor/lib']);
    expect(view.ignored).toEqual(['build/', 'debug.log', 'dist/', 'logs/']);
  });

  it('brings back an ignored folder whole by its name, and ignored files by a name that matches at any depth', async () => {
    const root = repository('names');
    const view = await gitView(root, ['dist/', '*.log'], signal);
    expect(sorted(view.wholeFolders)).toEqual(['dist', 'vendor/lib']);
    // logs/ is collapsed by git: the pattern can match inside it, so its files are asked for one by one.
    expect(sorted(view.files)).toEqual([
      '.gitignore',
      'debug.log',
      'logs/deep/x.log',
      'new.ts',
      'src/gone.ts',
      'src/index.ts',
    ]);
    expect(view.ignored).toEqual(['build/', 'logs/']);
  });

  it('brings back only folders for a name ending in "/", never a file of that name or a longer name', async () => {
    const root = repository('folders-only');
    const view = await gitView(root, ['gen/'], signal);
    expect([...view.files].filter((path) => path.startsWith('build/'))).toEqual(['build/gen/keep.txt']);
    expect(view.ignored).toEqual(['build/', 'debug.log', 'dist/', 'logs/']);
  });

  it('looks inside a collapsed folder for an anchored path under it, or one whose first part is a glob', async () => {
    for (const patterns of [['build/gen/'], ['/build/gen/'], ['*/gen/'], ['build/gen/', 'docs/old/']]) {
      const view = await gitView(
        repository(`anchored-${patterns.length}-${patterns[0]!.length}`),
        patterns,
        signal,
      );
      expect(
        [...view.files].filter((path) => path.startsWith('build/')),
        patterns.join(' '),
      ).toEqual(['build/gen/keep.txt']);
    }
  });

  it('with trackedOnly lists what git tracks and nothing else, whatever include-ignored says', async () => {
    const root = repository('tracked');
    const view = await gitView(root, ['dist/', '*.log'], signal, { trackedOnly: true });
    expect(sorted(view.files)).toEqual(['.gitignore', 'src/gone.ts', 'src/index.ts']);
    expect(sorted(view.wholeFolders)).toEqual([]);
    expect(view.ignored).toEqual(['build/', 'debug.log', 'dist/', 'logs/']);
  });

  it('lists every file of a repository with many of them', async () => {
    const root = join(folder, 'many');
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++)
      files[`src/module-${String(i).padStart(4, '0')}/index-with-a-long-name.ts`] = '';
    writeTree(root, files);
    git(root, 'init', '-q');
    const view = await gitView(root, [], signal);
    expect(view.files.size).toBe(400);
    expect(view.files.has('src/module-0399/index-with-a-long-name.ts')).toBe(true);
  });

  it("fails with git's own reason outside a repository, and as cancelled when the run is", async () => {
    const plain = join(folder, 'not-a-repository');
    mkdirSync(plain);
    await expect(gitView(plain, [], signal)).rejects.toThrow(
      `git ls-files in ${plain} failed: fatal: not a git repository (or any of the parent directories): .git`,
    );
    const cancelled = new AbortController();
    cancelled.abort();
    await expect(gitView(repository('cancelled'), [], cancelled.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
