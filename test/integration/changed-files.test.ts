// What `paths` filters see in the action: the files git says a push or pull request changed, from a real
// repository, in this process (test/e2e/action-promises.test.ts proves the same through the action's child process).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { changedFiles } from '../../src/action/changed-files.js';
import { type EventPayload, workflowContext } from '../../src/action/workflow-context.js';
import { git, writeTree } from '../support/git-tree.js';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A repository with one commit; returns its folder and a committer of further trees. */
function repository(files: Record<string, string>) {
  const root = mkdtempSync(join(tmpdir(), 'vmplan-changed-'));
  roots.push(root);
  git(root, 'init', '-q', '-b', 'main');
  const commit = (tree: Record<string, string>, message: string) => {
    writeTree(root, tree);
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', message);
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  };
  return { root, first: commit(files, 'first'), commit };
}

/** The changes the action computes for `event` with `payload` in the workspace `root`. */
function changesOf(root: string, event: string, payload: EventPayload) {
  return changedFiles(
    workflowContext(
      { GITHUB_EVENT_NAME: event, GITHUB_WORKSPACE: root, GITHUB_REPOSITORY: 'acme/widgets' },
      payload,
    ),
  );
}

describe('the changed files of a push', () => {
  it('are every file changed from before to after, names with spaces and line breaks whole', async () => {
    const repo = repository({ 'README.md': 'a\n' });
    const after = repo.commit(
      { 'src/a b.c': 'int a;\n', 'docs/two\nlines.md': 'x\n', 'README.md': 'b\n' },
      'second',
    );
    const changes = await changesOf(repo.root, 'push', { before: repo.first, after });
    expect(changes).toEqual({
      known: true,
      source: `git diff ${repo.first}..${after}`,
      files: expect.any(Array),
    });
    expect((changes as { files: string[] }).files.sort()).toEqual([
      'README.md',
      'docs/two\nlines.md',
      'src/a b.c',
    ]);
  });

  it('of a new branch are unknown, with the reason (the before commit is all zeros)', async () => {
    const repo = repository({ 'README.md': 'a\n' });
    expect(await changesOf(repo.root, 'push', { before: '0'.repeat(40), after: repo.first })).toEqual({
      known: false,
      reason: 'a new branch was pushed: there is no earlier commit to compare with',
    });
  });

  it('are unknown when the before commit is not in the clone, naming that commit and the fix', async () => {
    const repo = repository({ 'README.md': 'a\n' });
    const missing = 'a1b2c3d4e5f6'.repeat(3).slice(0, 40);
    expect(await changesOf(repo.root, 'push', { before: missing, after: repo.first })).toEqual({
      known: false,
      reason: 'commit a1b2c3d4e5f6 is not in the clone (use actions/checkout with fetch-depth: 0)',
    });
  });
});

describe('the changed files of a pull request', () => {
  it('are what it changed since its merge base, not what its base branch gained after', async () => {
    const repo = repository({ 'README.md': 'a\n' });
    git(repo.root, 'checkout', '-q', '-b', 'feature');
    const head = repo.commit({ 'src/feature.c': 'int f;\n' }, 'feature');
    git(repo.root, 'checkout', '-q', 'main');
    const base = repo.commit({ 'docs/later.md': 'later\n' }, 'base moves on');
    const changes = await changesOf(repo.root, 'pull_request', {
      pull_request: {
        head: { sha: head, ref: 'feature', repo: { full_name: 'acme/widgets' } },
        base: { sha: base, repo: { full_name: 'acme/widgets' } },
      },
    });
    expect(changes).toEqual({
      known: true,
      source: `git diff ${base}...${head}`,
      files: ['src/feature.c'],
    });
  });
});
