import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/plan/schema.js';
import { makeSnapshot } from '../../src/workspace/snapshot.js';
import { canMountBtrfs, mountLoopBtrfs } from '../support/btrfs.js';
import { runVmplan } from '../support/cli.js';
import { git, writeTree } from '../support/git-tree.js';
import { prerequisite } from '../support/prerequisites.js';
import { testProject } from '../support/project.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-snapshot-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Every file under `root`, relative, sorted (what a job would see), but the snapshot's own `.git`. */
function filesUnder(root: string): string[] {
  return execFileSync('find', ['.', '-path', './.git', '-prune', '-o', '-type', 'f', '-print'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.slice(2))
    .sort();
}

async function snapshot(
  root: string,
  settings: Partial<Plan['workspace']> = {},
  stateRoot = join(root, '.vmplan'),
  commit?: string,
) {
  const target = join(folder, `snap-${Math.random().toString(36).slice(2)}`);
  const notes: string[] = [];
  const result = await makeSnapshot({
    root,
    target,
    settings: { exclude: [], mode: 'overlay', ...settings },
    commit,
    stateRoot,
    signal: new AbortController().signal,
    note: (line) => notes.push(line),
  });
  return { result, target, files: filesUnder(target), notes: notes.join('\n') };
}

/** A repository with tracked, untracked, ignored (three ways) and deleted files. */
function makeRepository(name: string): string {
  const root = join(folder, name);
  writeTree(root, {
    '.gitignore': 'node_modules/\ndist/\nbuild/\n*.log\n',
    'src/index.ts': 'tracked',
    'src/deleted.ts': 'tracked, then deleted from the work tree',
    'docs/guide.md': 'tracked',
    'node_modules/dep/index.js': 'ignored by .gitignore',
    'dist/out.js': 'ignored by .gitignore',
    'build/gen/keep.txt': 'ignored, brought back by a nested pattern',
    'build/tmp/drop.txt': 'ignored',
    'debug.log': 'ignored by a glob',
    'local-notes.txt': 'ignored by .git/info/exclude',
    'private/key.pem': 'ignored by the excludes file named in git config',
    'new-file.ts': 'untracked, not ignored',
    '.vmplan/runs/x': 'the state folder',
  });
  git(root, 'init', '-q');
  writeFileSync(join(root, '.git/info/exclude'), 'local-notes.txt\n');
  writeFileSync(join(folder, `${name}-excludes`), 'private/\n');
  git(root, 'config', 'core.excludesFile', join(folder, `${name}-excludes`));
  git(root, 'add', '.gitignore', 'src', 'docs');
  git(root, 'commit', '-qm', 'init');
  unlinkSync(join(root, 'src/deleted.ts'));
  return root;
}

/** What git ignores in makeRepository's tree, as the snapshot reports it. */
const IGNORED_BY_GIT = ['build/', 'debug.log', 'dist/', 'local-notes.txt', 'node_modules/', 'private/'];

describe('the workspace snapshot', () => {
  it('holds what git would commit: tracked and untracked-not-ignored files, never .git or the state folder', async () => {
    const root = makeRepository('plain');
    const { result, files, notes } = await snapshot(root);
    expect(files).toEqual(['.gitignore', 'docs/guide.md', 'new-file.ts', 'src/index.ts']);
    expect(result.source).toBe('git');
    expect(result.ignored).toEqual(IGNORED_BY_GIT);
    expect(notes.split('\n')[0]).toBe(
      `Snapshotting ${root}: the files git would commit, excluding .git, /.vmplan/`,
    );
    expect(notes).toMatch(/Snapshot: 4 files, [\d.]+ (bytes|KB) in \d+ ms/);
    expect(notes).toContain(
      'left out as ignored by git: build/, debug.log, dist/, local-notes.txt, node_modules/ and 1 more',
    );
  });

  it('brings ignored paths back with include-ignored, and leaves out workspace.exclude on top', async () => {
    const root = makeRepository('include');
    const { files, result, notes } = await snapshot(root, {
      includeIgnored: ['dist/', 'build/gen/', '*.log'],
      exclude: ['docs/'],
    });
    expect(notes.split('\n')[0]).toBe(
      `Snapshotting ${root}: the files git would commit plus ignored dist/, build/gen/, *.log, excluding .git, docs/, /.vmplan/`,
    );
    expect(files).toEqual([
      '.gitignore',
      'build/gen/keep.txt',
      'debug.log',
      'dist/out.js',
      'new-file.ts',
      'src/index.ts',
    ]);
    // build/ is named as git reports it (the folder), although include-ignored brought build/gen/ back.
    expect(result.ignored).toEqual(['build/', 'local-notes.txt', 'node_modules/', 'private/']);
  });

  it('never names the state folder among the ignored, and leaves a state folder elsewhere out of the excludes', async () => {
    const root = makeRepository('state-ignored');
    writeFileSync(join(root, '.gitignore'), 'node_modules/\ndist/\nbuild/\n*.log\n.vmplan/\n');
    const { result, files } = await snapshot(root);
    expect(result.ignored).toEqual(IGNORED_BY_GIT);
    expect(files).not.toContain('.vmplan/runs/x');

    const elsewhere = await snapshot(root, {}, join(folder, 'state-elsewhere'));
    const notes = elsewhere.notes.split('\n');
    expect(notes[0]).toBe(`Snapshotting ${root}: the files git would commit, excluding .git`);
    expect(notes[1]).toMatch(/ignored by git: .*\.vmplan\//);
  });

  it('copies a nested repository whole, without its .git', async () => {
    const root = makeRepository('nested');
    writeTree(root, { 'vendor/lib/a.c': 'nested repo file' });
    git(join(root, 'vendor/lib'), 'init', '-q');
    const { files } = await snapshot(root);
    expect(files).toContain('vendor/lib/a.c');
    expect(files.some((path) => path.includes('.git/'))).toBe(false);
  });

  it('outside git copies every file of the folder it was given, minus excludes', async () => {
    const root = join(folder, 'not-git');
    writeTree(root, { 'a.txt': 'a', 'node_modules/x.js': 'x', 'out/b.txt': 'b' });
    const { files, result, notes } = await snapshot(root, { exclude: ['out/'] });
    expect(result.source).toBe('folder');
    expect(result.ignored).toEqual([]);
    expect(notes).toMatch(
      new RegExp(
        `^Snapshotting ${root} \\(not a git work tree: every file, excluding \\.git, out/, /\\.vmplan/\\)\nSnapshot: 2 files, [\\d.]+ (bytes|KB) in \\d+ ms \\(copied\\)$`,
      ),
    );
    expect(files).toEqual(['a.txt', 'node_modules/x.js']);
  });
});

describe('vmplan run and the workspace', () => {
  it('a host job does not see what git ignores, and the run says what was left out', async () => {
    const project = testProject(
      'version: 1\njobs:\n  look:\n    executor: host\n    run: ls -A; test ! -e node_modules; cat src/a.txt\n',
    );
    project.write('.gitignore', 'node_modules/\n.vmplan/\n');
    project.write('node_modules/big/index.js', 'x'.repeat(100_000));
    project.write('src/a.txt', 'tracked content');
    const result = await runVmplan(['run'], { cwd: project.root });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(result.stdout).toContain('tracked content');
    expect(result.stdout).toContain('left out as ignored by git: node_modules/');
  });

  it('outside git, a run asks for --workspace instead of copying the current folder', async () => {
    const root = join(folder, 'loose');
    writeTree(root, {
      'jobs.yml': 'version: 1\njobs:\n  hi:\n    executor: host\n    run: cat marker.txt\n',
      'marker.txt': 'from the named folder',
    });
    const refused = await runVmplan(['run', 'jobs.yml'], { cwd: root });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not inside a git repository');
    expect(refused.stderr).toContain('--workspace DIR');
    expect(existsSync(join(root, '.vmplan/runs'))).toBe(false);

    const ran = await runVmplan(['run', 'jobs.yml', '--workspace', '.'], { cwd: root });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('from the named folder');
    expect(ran.stdout).toContain('not a git work tree');

    const missing = await runVmplan(['run', 'jobs.yml', '--workspace', 'nope'], { cwd: root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--workspace nope:');
    expect(readFileSync(join(root, 'marker.txt'), 'utf8')).toBe('from the named folder');
  });
});

describe('vmplan run with --workspace naming a link', () => {
  it("runs the job on a copy of the folder the link leads to: the job's writes never reach it", async () => {
    const real = join(folder, 'cli-linked-real');
    writeTree(real, { 'marker.txt': 'original' });
    const cwd = join(folder, 'cli-linked-cwd');
    writeTree(cwd, {
      'jobs.yml':
        'version: 1\njobs:\n  write:\n    executor: host\n    run: cat marker.txt; echo changed > marker.txt; echo new > new.txt\n',
    });
    symlinkSync(real, join(cwd, 'workspace-link'));
    const ran = await runVmplan(['run', 'jobs.yml', '--workspace', 'workspace-link'], { cwd });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('original');
    expect(readFileSync(join(real, 'marker.txt'), 'utf8')).toBe('original');
    expect(existsSync(join(real, 'new.txt'))).toBe(false);
  });
});

describe.skipIf(!prerequisite('root and btrfs-progs (a loop btrfs for the clone path)', canMountBtrfs()))(
  'on a filesystem that clones (btrfs here, APFS on a Mac)',
  () => {
    it("the snapshot and every host job's copy are copy-on-write clones", async () => {
      const btrfs = mountLoopBtrfs();
      try {
        const root = join(btrfs.path, 'repo');
        writeTree(root, {
          '.github/vmplan.yml':
            'version: 1\ndefaults: { executor: host }\njobs:\n  a: { run: cat data.txt }\n  b: { run: cat data.txt }\n',
          'data.txt': 'cloned data',
        });
        git(root, 'init', '-q');
        // The cache folder on the same volume, as ~/Library/Caches and a checkout under ~ are on a Mac: host jobs
        // run there (nothing of the checkout above them) and are still clones.
        const result = await runVmplan(['run', '--cache-dir', join(btrfs.path, 'cache')], { cwd: root });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/Snapshot: .* \(copy-on-write clones\)/);
        expect(result.stdout.match(/workspace ready in \d+ ms \(copy-on-write clone\)/g)).toHaveLength(2);
      } finally {
        btrfs.unmount();
      }
    });
  },
);

/** git's answer in a repository of the test folder (never a repository above it). */
const gitOut = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CEILING_DIRECTORIES: folder },
  }).trim();

describe('the git checkout a job sees', () => {
  it("is the commit with the snapshot's changes uncommitted, one commit deep, with nothing of the user's git", async () => {
    const root = makeRepository('checkout');
    const first = gitOut(root, 'rev-parse', 'HEAD');
    writeTree(root, { 'src/index.ts': 'changed in the second commit' });
    git(root, 'commit', '-qam', 'second: the one jobs see');
    git(root, 'remote', 'add', 'origin', 'https://user:token-of-the-user@example.com/repo.git');
    const head = gitOut(root, 'rev-parse', 'HEAD');
    writeTree(root, { 'docs/guide.md': 'changed, not committed' });
    const { target, notes } = await snapshot(root);
    expect(gitOut(target, 'rev-parse', 'HEAD')).toBe(head);
    expect(gitOut(target, 'rev-parse', '--show-toplevel')).toBe(target);
    expect(gitOut(target, 'log', '-1', '--format=%s')).toBe('second: the one jobs see');
    // Only what the snapshot has beyond the commit: the uncommitted change and the untracked file.
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: target, encoding: 'utf8' });
    expect(status.trimEnd().split('\n').sort()).toEqual([' M docs/guide.md', '?? new-file.ts']);
    // One commit deep: the history is not copied, and neither is the user's config (remotes, credentials).
    expect(gitOut(target, 'rev-parse', '--is-shallow-repository')).toBe('true');
    expect(() => gitOut(target, 'cat-file', '-e', first)).toThrow();
    expect(readFileSync(join(target, '.git/config'), 'utf8')).not.toContain('token-of-the-user');
    expect(gitOut(target, 'symbolic-ref', '--short', 'HEAD')).toBe(
      gitOut(root, 'symbolic-ref', '--short', 'HEAD'),
    );
    expect(notes).toContain(`Jobs see a git checkout of ${head.slice(0, 12)} on `);
  });

  it("is the plan's commit when the repository moved on since the plan, detached as in CI", async () => {
    const root = makeRepository('moved-on');
    const planned = gitOut(root, 'rev-parse', 'HEAD');
    writeTree(root, { 'src/index.ts': 'a later commit' });
    git(root, 'commit', '-qam', 'later');
    const { target } = await snapshot(root, {}, join(root, '.vmplan'), planned);
    expect(gitOut(target, 'rev-parse', 'HEAD')).toBe(planned);
    expect(() => gitOut(target, 'symbolic-ref', '-q', 'HEAD')).toThrow();
  });

  it('hands git only a hex commit name from the plan: anything else falls back to HEAD', async () => {
    const root = makeRepository('forged-commit');
    const head = gitOut(root, 'rev-parse', 'HEAD');
    const forged = join(folder, 'forged-output');
    const { target } = await snapshot(root, {}, join(root, '.vmplan'), `--output=${forged}`);
    expect(gitOut(target, 'rev-parse', 'HEAD')).toBe(head);
    expect(existsSync(forged)).toBe(false);
  });

  it('is left out, saying so, for a repository without a commit', async () => {
    const root = join(folder, 'no-commit');
    writeTree(root, { 'a.txt': 'a' });
    git(root, 'init', '-q');
    const { target, notes } = await snapshot(root);
    expect(existsSync(join(target, '.git'))).toBe(false);
    expect(notes).toContain('The repository has no commit yet: jobs get no .git');
  });
});

describe('the snapshot at its edges', () => {
  it('copies the folder a workspace link leads to: jobs never write through it into the checkout', async () => {
    const real = makeRepository('linked-real');
    const link = join(folder, 'linked-workspace');
    symlinkSync(real, link);
    const { target, files, result } = await snapshot(link, {}, join(real, '.vmplan'));
    expect(lstatSync(target).isDirectory()).toBe(true);
    expect(files).toEqual(['.gitignore', 'docs/guide.md', 'new-file.ts', 'src/index.ts']);
    expect(result.source).toBe('git');
    writeFileSync(join(target, 'src/index.ts'), 'a job wrote this');
    expect(readFileSync(join(real, 'src/index.ts'), 'utf8')).toBe('tracked');
  });

  it('leaves out a state folder deep inside the workspace, or named like "..x", and never names what is in it', async () => {
    const root = makeRepository('state-deep');
    writeTree(root, {
      'tmp/state/runs/r1/log.txt': 'state',
      'tmp/kept.txt': 'kept',
      '..state/runs/x': 'state',
    });
    writeFileSync(join(root, '.gitignore'), 'node_modules/\ndist/\nbuild/\n*.log\nstate/\n');
    const deep = await snapshot(root, {}, join(root, 'tmp/state'));
    expect(deep.files).toContain('tmp/kept.txt');
    expect(deep.files.filter((path) => path.startsWith('tmp/state'))).toEqual([]);
    expect(deep.result.ignored).not.toContain('tmp/state/');
    expect(deep.notes.split('\n')[0]).toBe(
      `Snapshotting ${root}: the files git would commit, excluding .git, /tmp/state/`,
    );
    const dotted = await snapshot(root, {}, join(root, '..state'));
    expect(dotted.files.filter((path) => path.startsWith('..state'))).toEqual([]);
    expect(dotted.notes.split('\n')[0]).toBe(
      `Snapshotting ${root}: the files git would commit, excluding .git, /..state/`,
    );
  });

  it('in an untrusted run holds only what git tracks, whatever include-ignored says, and says so', async () => {
    const root = makeRepository('tracked-only');
    const target = join(folder, 'tracked-only-snapshot');
    const notes: string[] = [];
    const result = await makeSnapshot({
      root,
      target,
      settings: { exclude: ['docs/'], mode: 'overlay', includeIgnored: ['dist/'] },
      trackedOnly: true,
      stateRoot: join(root, '.vmplan'),
      signal: new AbortController().signal,
      note: (line) => notes.push(line),
    });
    expect(filesUnder(target)).toEqual(['.gitignore', 'src/index.ts']);
    expect(result.source).toBe('git');
    expect(notes[0]).toBe(
      `Snapshotting ${root}: the files git tracks (untrusted run), excluding .git, docs/, /.vmplan/`,
    );
  });
});

describe('the git checkout a job sees, at its edges', () => {
  it("is the plan's commit named by an abbreviated hash; a commit the repository lacks falls back to HEAD", async () => {
    const root = makeRepository('abbreviated');
    const planned = gitOut(root, 'rev-parse', 'HEAD');
    writeTree(root, { 'src/index.ts': 'a later commit' });
    git(root, 'commit', '-qam', 'later');
    const head = gitOut(root, 'rev-parse', 'HEAD');
    const short = await snapshot(root, {}, join(root, '.vmplan'), planned.slice(0, 9));
    expect(gitOut(short.target, 'rev-parse', 'HEAD')).toBe(planned);
    expect(short.notes).toContain(`Jobs see a git checkout of ${planned.slice(0, 12)} (detached)`);
    const unknown = await snapshot(
      root,
      {},
      join(root, '.vmplan'),
      'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef',
    );
    expect(gitOut(unknown.target, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('hands jobs an index already refreshed: git sees no file changed that the snapshot did not change', async () => {
    const root = makeRepository('refreshed');
    writeTree(root, { 'docs/guide.md': 'changed, not committed' });
    const { target } = await snapshot(root);
    // diff-files reads the index as it is, without refreshing it: stale stat data would list every file.
    // The snapshot's own changes: the edit, and the file deleted before the snapshot.
    expect(gitOut(target, 'diff-files', '--name-only').trim().split('\n')).toEqual([
      'docs/guide.md',
      'src/deleted.ts',
    ]);
  });

  it("has no hooks, templates or settings of the user's git", async () => {
    const root = makeRepository('no-hooks');
    const { target } = await snapshot(root);
    expect(
      readdirSync(join(target, '.git')).filter((name) => ['hooks', 'description'].includes(name)),
    ).toEqual([]);
  });

  it('is detached at the commit when the repository itself is detached', async () => {
    const root = makeRepository('detached');
    const head = gitOut(root, 'rev-parse', 'HEAD');
    git(root, 'checkout', '-q', '--detach');
    const { target, notes } = await snapshot(root);
    expect(gitOut(target, 'rev-parse', 'HEAD')).toBe(head);
    expect(() => gitOut(target, 'symbolic-ref', '-q', 'HEAD')).toThrow();
    expect(notes).toContain(`Jobs see a git checkout of ${head.slice(0, 12)} (detached)`);
  });

  it("is made without the user's or the system's git configuration", async () => {
    const root = makeRepository('user-config');
    const head = gitOut(root, 'rev-parse', 'HEAD');
    // Configuration that would send the commit's fetch to another repository, wherever git looks for it.
    const home = join(folder, 'user-config-home');
    mkdirSync(home);
    const config = `[url "${join(folder, 'no-such-repository')}/"]\n\tinsteadOf = ${root}\n`;
    for (const name of ['.gitconfig', 'global', 'system']) writeFileSync(join(home, name), config);
    const saved = { ...process.env };
    Object.assign(process.env, {
      HOME: home,
      XDG_CONFIG_HOME: home,
      GIT_CONFIG_GLOBAL: join(home, 'global'),
      GIT_CONFIG_SYSTEM: join(home, 'system'),
    });
    try {
      const { target, notes } = await snapshot(root);
      expect(notes).toContain(`Jobs see a git checkout of ${head.slice(0, 12)}`);
      expect(gitOut(target, 'rev-parse', 'HEAD')).toBe(head);
    } finally {
      for (const name of ['HOME', 'XDG_CONFIG_HOME', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM'])
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
    }
  });

  it('is left out, saying why, when git cannot copy the commit; the files are still there', async () => {
    const root = makeRepository('broken');
    // A blob of the commit lost from the repository: the work tree is fine, the commit cannot be copied.
    const blob = gitOut(root, 'rev-parse', 'HEAD:docs/guide.md');
    unlinkSync(join(root, '.git/objects', blob.slice(0, 2), blob.slice(2)));
    const { target, files, notes } = await snapshot(root);
    expect(files).toEqual(['.gitignore', 'docs/guide.md', 'new-file.ts', 'src/index.ts']);
    expect(existsSync(join(target, '.git'))).toBe(false);
    // git's own words, on one line: which object it could not read.
    const last = notes.split('\n').pop();
    expect(last).toMatch(/^Jobs get no \.git: git could not copy the commit \(\S.*\S\)$/);
    expect(last).toContain(blob);
    expect(last).not.toContain('Command failed');
  });
});
