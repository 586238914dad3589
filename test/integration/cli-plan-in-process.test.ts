// vmplan plan, show and validate called in process (runCli), and the local facts a plan records (git, changed
// files, timestamps, drift from the checkout a plan was made on) — the promises cli-plan.test.ts proves through a
// child process, here where mutation testing sees them. Each test was written against a bug seeded into src/ that
// the child-process tests let through or that only they saw.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileList, git, gitOrThrow } from '../../src/context/git.js';
import {
  localChanges,
  localSource,
  planTimestamp,
  repositoryFromRemote,
} from '../../src/context/local-context.js';
import { resolveOciTags } from '../../src/context/oci-tags.js';
import { planDrift } from '../../src/context/plan-drift.js';
import { InputError } from '../../src/errors.js';
import type { Plan } from '../../src/plan/schema.js';
import { runCliInProcess } from '../support/cli-in-process.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-plan-inproc-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Runs the CLI in this process in `cwd`, with only PATH and HOME of this process's environment, plus `env`. */
const vmplan = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCliInProcess(cwd, args, { PATH: process.env.PATH, HOME: process.env.HOME, ...env });

const gitIn =
  (cwd: string) =>
  (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
      cwd,
      encoding: 'utf8',
    }).trim();

const JOBS = `version: 1
defaults: { executor: host }
jobs:
  build: { run: make }
  unit: { run: make test, needs: build }
  docs: { run: make docs, paths: [docs/**] }
`;

/**
 * A repository on branch `feature` forked from `main`: the branch committed src.c, changed README.md without
 * committing it, and has an untracked `new file.txt` and an ignored build.log; main moved on with docs/index.md.
 */
let repo: string;
beforeAll(() => {
  repo = join(folder, 'repo');
  mkdirSync(join(repo, '.github'), { recursive: true });
  const run = gitIn(repo);
  run('init', '-q', '-b', 'main');
  writeFileSync(join(repo, '.github/vmplan.yml'), JOBS);
  writeFileSync(join(repo, 'README.md'), 'hello\n');
  writeFileSync(join(repo, '.gitignore'), 'build.log\n.vmplan/\n');
  mkdirSync(join(repo, 'docs'));
  writeFileSync(join(repo, 'docs/index.md'), '# docs\n');
  run('add', '.');
  run('commit', '-qm', 'initial');
  run('checkout', '-qb', 'feature');
  writeFileSync(join(repo, 'src.c'), 'int main;\n');
  run('add', 'src.c');
  run('commit', '-qm', 'code');
  run('checkout', '-q', 'main');
  writeFileSync(join(repo, 'docs/index.md'), '# docs, edited on main\n');
  run('commit', '-qam', 'docs on main');
  run('checkout', '-q', 'feature');
  writeFileSync(join(repo, 'README.md'), 'hello, edited\n');
  writeFileSync(join(repo, 'new file.txt'), 'new\n');
  writeFileSync(join(repo, 'build.log'), 'ignored\n');
});

describe('the changed files a plan filters paths by', () => {
  it('--base: what the branch committed since it forked, plus uncommitted and untracked files, never ignored ones', () => {
    const changes = localChanges(repo, { base: 'main' });
    const mergeBase = gitIn(repo)('merge-base', 'main', 'HEAD');
    expect(changes).toEqual({
      known: true,
      source: `git diff main (merge base ${mergeBase.slice(0, 12)})`,
      files: expect.any(Array),
    });
    expect(changes.known && [...changes.files].sort()).toEqual(['README.md', 'new file.txt', 'src.c']);
  });

  it('--base a ref git cannot find: bad input naming the flag and the ref', () => {
    expect(() => localChanges(repo, { base: 'no-such-branch' })).toThrow(
      new InputError('--base no-such-branch: not a commit git can find here'),
    );
  });

  it('--changed-files: one path per line, Windows line ends, blanks and surrounding spaces dropped', () => {
    const list = join(folder, 'changed.txt');
    writeFileSync(list, 'src/a.c\r\n\r\n  docs/b.md  \n\nlast.txt');
    expect(localChanges(repo, { changedFilesPath: list })).toEqual({
      known: true,
      source: `file ${list}`,
      files: ['src/a.c', 'docs/b.md', 'last.txt'],
    });
    // A list given wins over --base (the command refuses both; the list is what the user wrote down).
    expect(localChanges(repo, { changedFilesPath: list, base: 'main' })).toMatchObject({
      source: `file ${list}`,
    });
  });

  it('--changed-files a file that cannot be read: bad input naming it and why', () => {
    const missing = join(folder, 'nope.txt');
    expect(() => localChanges(repo, { changedFilesPath: missing })).toThrow(
      new InputError(`--changed-files ${missing}: cannot read (ENOENT)`),
    );
  });

  it('neither: unknown, saying why (no job is filtered out)', () => {
    expect(localChanges(repo, {})).toEqual({ known: false, reason: 'no --base or --changed-files given' });
  });
});

describe('the source a local plan records', () => {
  it('owner/name of the origin remote, the HEAD commit and the branch', () => {
    const other = join(folder, 'source');
    mkdirSync(other);
    const run = gitIn(other);
    run('init', '-q', '-b', 'trunk');
    run('remote', 'add', 'origin', 'https://ci:tok3n@github.com/acme/widgets.git');
    // No commit yet: the branch, but no commit to name.
    expect(localSource(other)).toEqual({
      repository: 'acme/widgets',
      commit: null,
      ref: 'refs/heads/trunk',
      event: 'local',
    });
    run('commit', '-q', '--allow-empty', '-m', 'first');
    expect(localSource(other)).toEqual({
      repository: 'acme/widgets',
      commit: run('rev-parse', 'HEAD'),
      ref: 'refs/heads/trunk',
      event: 'local',
    });
    // A detached HEAD has a commit but no branch.
    run('checkout', '-q', '--detach');
    expect(localSource(other).ref).toBeNull();
    // Outside git, nothing at all.
    const plain = mkdtempSync(join(tmpdir(), 'vmplan-not-git-'));
    try {
      expect(localSource(plain)).toEqual({ repository: null, commit: null, ref: null, event: 'local' });
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  it.each([
    ['git@github.com:acme/widgets.git', 'acme/widgets'],
    ['https://github.com/acme/widgets.git', 'acme/widgets'],
    ['https://github.com/acme/widgets/', 'acme/widgets'],
    ['ssh://git@github.com/acme/widgets', 'acme/widgets'],
    ['https://x-access-token:tok3n@github.com/acme/widgets.git', 'acme/widgets'],
    ['https://ci:tok3n@git.example.com/widgets.git', 'git.example.com/widgets'],
    ['https://ci:tok3n@git.example.com/', 'https://git.example.com/'],
  ])('names the repository of remote %s as %s, never its credentials', (remote, repository) => {
    expect(repositoryFromRemote(remote)).toBe(repository);
  });

  it('is stamped with SOURCE_DATE_EPOCH when it is a number of seconds, else with now', () => {
    const now = new Date('2026-12-07T12:00:00.000Z');
    expect(planTimestamp({ SOURCE_DATE_EPOCH: '1764412980' }, now)).toBe('2025-11-29T10:43:00.000Z');
    expect(planTimestamp({ SOURCE_DATE_EPOCH: '0' }, now)).toBe('1970-01-01T00:00:00.000Z');
    expect(planTimestamp({ SOURCE_DATE_EPOCH: '17644x' }, now)).toBe(now.toISOString());
    expect(planTimestamp({ SOURCE_DATE_EPOCH: '' }, now)).toBe(now.toISOString());
    expect(planTimestamp({}, now)).toBe(now.toISOString());
  });
});

describe('the digests a plan records for oci: tags', () => {
  /** A jobs file whose image `guest` is `oci`. */
  const config = (oci: string) =>
    ({ version: 1, images: { guest: { arch: 'arm64', oci } }, jobs: {} }) as unknown as Parameters<
      typeof resolveOciTags
    >[0];

  it('asks no registry for a reference that names its digest', async () => {
    // Port 9 on loopback: nothing listens, and an untrusted run may not connect there anyway.
    const pinned = `127.0.0.1:9/acme/guest:main@sha256:${'e'.repeat(64)}`;
    expect(await resolveOciTags(config(pinned), {}, { trusted: false })).toEqual({});
    expect(await resolveOciTags(config(pinned), {}, { trusted: true })).toEqual({});
  });

  it('says, for an untrusted run, that it asked anonymously and the package must be public; not for a trusted one', async () => {
    const tagged = '127.0.0.1:9/acme/guest:main';
    const hint =
      'an untrusted run asks the registry anonymously, and pulls anonymously too: the package must be public for runs of pull requests from forks';
    const untrusted = (await resolveOciTags(config(tagged), {}, { trusted: false }).catch(
      (error: unknown) => error,
    )) as Error;
    expect(untrusted).toBeInstanceOf(InputError);
    expect(untrusted.message).toMatch(
      /^images\.guest\.oci: cannot resolve 127\.0\.0\.1:9\/acme\/guest:main to a digest: /,
    );
    expect(untrusted.message).toContain(hint);
    const trusted = (await resolveOciTags(config(tagged), {}, { trusted: true }).catch(
      (error: unknown) => error,
    )) as Error;
    expect(trusted).toBeInstanceOf(InputError);
    expect(trusted.message).toMatch(
      /^images\.guest\.oci: cannot resolve 127\.0\.0\.1:9\/acme\/guest:main to a digest: /,
    );
    expect(trusted.message).not.toContain('anonymously');
  });
});

describe('git, as the planner runs it', () => {
  it('gives stdout trimmed, undefined when git fails, and git’s own last error line when it must not fail', () => {
    expect(git(repo, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('feature');
    expect(git(repo, ['rev-parse', '--verify', '-q', 'no-such-ref'])).toBeUndefined();
    expect(() => gitOrThrow(repo, ['cat-file', '-p', 'no-such-ref'])).toThrow(
      /^git cat-file -p no-such-ref failed: fatal: Not a valid object name no-such-ref$/,
    );
    expect(gitOrThrow(repo, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('feature');
  });

  it('splits file lists at NULs and line ends, dropping empty entries', () => {
    expect(fileList(undefined)).toEqual([]);
    expect(fileList('')).toEqual([]);
    expect(fileList('a b\0c\0\0d\ne\0')).toEqual(['a b', 'c', 'd', 'e']);
  });
});

describe('vmplan plan (in process)', () => {
  it('writes .vmplan/plan.json and prints the stages; --base filters docs out, naming the changed files', async () => {
    const result = await vmplan(repo, ['plan', '--base', 'main']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\nWrote \.vmplan\/plan\.json\n$/);
    // The state folder it made ignores itself: a later --base never counts the plan as a changed file.
    expect(readFileSync(join(repo, '.vmplan/.gitignore'), 'utf8')).toMatch(/^\*$/m);
    const plan = JSON.parse(readFileSync(join(repo, '.vmplan/plan.json'), 'utf8')) as Plan;
    expect(plan.source.jobsFile).toBe('.github/vmplan.yml');
    expect(plan.nodes.map((node) => node.id)).toEqual(['job:build', 'job:unit']);
    expect(plan.excluded).toEqual([
      { job: 'docs', reason: 'paths', message: 'no changed file matches paths (docs/**); 3 file(s) changed' },
    ]);
  });

  it('names a jobs file outside the repository by its absolute path', async () => {
    const outside = join(folder, 'elsewhere.yml');
    writeFileSync(outside, JOBS);
    const result = await vmplan(repo, ['plan', outside, '--out', '-']);
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as Plan).source.jobsFile).toBe(outside);
  });

  it('refuses --changed-files with --base, --json with --out -, and two jobs files: exit 2, nothing written', async () => {
    const refusals: [string[], string][] = [
      [
        ['plan', '--changed-files', 'x.txt', '--base', 'main', '--out', 'p1.json'],
        'use either --changed-files or --base, not both\n',
      ],
      [
        ['plan', '--json', '--out', '-'],
        'vmplan plan: --out - prints the plan itself; --json prints a document around it: use one\n',
      ],
      [['plan', 'a.yml', 'b.yml', '--out', 'p1.json'], 'vmplan plan: expected one jobs file, got 2\n'],
    ];
    for (const [args, message] of refusals) {
      const result = await vmplan(repo, args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toBe(message);
    }
    expect(() => readFileSync(join(repo, 'p1.json'))).toThrow(/ENOENT/);
  });
});

describe('vmplan show and validate (in process)', () => {
  let planFile: string;
  beforeAll(async () => {
    planFile = join(folder, 'made.json');
    const made = await vmplan(repo, ['plan', '--base', 'main', '--out', planFile]);
    expect(made.code, made.stderr).toBe(0);
  });

  it('validate counts the jobs a plan filtered out as jobs of the file; show --json says what it read', async () => {
    const validated = await vmplan(repo, ['validate', planFile, '--json']);
    expect(validated.code, validated.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
    expect(JSON.parse(validated.stdout)).toEqual({
      vmplan: 1,
      command: 'validate',
      ok: true,
      file: planFile,
      kind: 'plan',
      planId: plan.planId,
      jobs: 3,
      images: 0,
    });
    const text = await vmplan(repo, ['validate', planFile]);
    expect(text.stdout).toBe(`${planFile}: valid plan ${plan.planId.slice(0, 12)} (2 node(s))\n`);

    const shown = await vmplan(repo, ['show', planFile, '--json']);
    expect(JSON.parse(shown.stdout)).toEqual({
      vmplan: 1,
      command: 'show',
      ok: true,
      file: planFile,
      kind: 'plan',
      plan,
    });
    const fromJobs = JSON.parse((await vmplan(repo, ['show', '--json'])).stdout) as {
      file: string;
      kind: string;
    };
    expect([fromJobs.file, fromJobs.kind]).toEqual(['.github/vmplan.yml', 'jobs file']);
  });

  it('reads a YAML jobs file that mentions "planId" as a jobs file, not as a plan', async () => {
    writeFileSync(
      join(repo, 'ci.yml'),
      'version: 1\ndefaults: { executor: host }\njobs:\n  id: { run: echo "planId" }\n',
    );
    const validated = await vmplan(repo, ['validate', 'ci.yml']);
    expect(validated.stderr).toBe('');
    expect(validated.stdout).toBe('ci.yml: valid jobs file (1 job(s), 0 image(s) in use)\n');
  });

  it('refuse two files, naming the command: exit 2', async () => {
    for (const command of ['show', 'validate']) {
      const result = await vmplan(repo, [command, 'a.yml', 'b.yml']);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `vmplan ${command}: expected one file (a jobs file or a plan.json), got 2\n`,
      );
    }
  });
});

describe('how a checkout differs from the one a plan was made on', () => {
  /** A plan of `repo` at its HEAD, as `vmplan plan` writes it. */
  async function planHere(): Promise<Plan> {
    const made = await vmplan(repo, ['plan', '--out', '-']);
    expect(made.code, made.stderr).toBe(0);
    return JSON.parse(made.stdout) as Plan;
  }

  it('says nothing for the checkout the plan was made on', async () => {
    expect(planDrift(await planHere(), repo)).toEqual([]);
  });

  it('names the plan’s commit and this one, and a jobs file changed or gone', async () => {
    const plan = await planHere();
    const head = gitIn(repo)('rev-parse', 'HEAD');
    const elsewhere = { ...plan, source: { ...plan.source, commit: 'c'.repeat(40) } };
    expect(planDrift(elsewhere, repo)).toEqual([
      `the plan was made at commit cccccccccccc; this checkout is at ${head.slice(0, 12)}: the jobs run on this checkout's files (git checkout cccccccccccc to run them on the plan's)`,
    ]);
    const edited = { ...plan, source: { ...plan.source, jobsFileSha256: 'd'.repeat(64) } };
    expect(planDrift(edited, repo)).toEqual([
      expect.stringMatching(
        /^\.github\/vmplan\.yml changed since the plan was made \(sha256 dddddddddddd, now [0-9a-f]{12}\): the plan runs the jobs as they were; vmplan run \.github\/vmplan\.yml plans them again$/,
      ),
    ]);
    const gone = { ...plan, source: { ...plan.source, jobsFile: 'ci/gone.yml' } };
    expect(planDrift(gone, repo)).toEqual(["the plan's jobs file ci/gone.yml is not in this checkout"]);
  });

  it('compares no file for a plan of an inline jobs file, and no commit for a plan made outside git', async () => {
    const plan = await planHere();
    const inline = {
      ...plan,
      source: { ...plan.source, jobsFile: 'inline', jobsFileSha256: 'd'.repeat(64) },
    };
    expect(planDrift(inline, repo)).toEqual([]);
    const noCommit = { ...plan, source: { ...plan.source, commit: null } };
    expect(planDrift(noCommit, repo)).toEqual([]);
  });
});
