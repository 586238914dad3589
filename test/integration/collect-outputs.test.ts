// Bringing a job's artifacts and reports back from its (hostile) workspace: exactly what the globs name, as
// regular files with permission bits only, secrets masked, and everything else left behind by name.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { collectBudget, collectJobOutputs, collectMatches } from '../../src/workspace/collect.js';
import { createExcluder } from '../../src/workspace/exclude.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-collect-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Every file under a folder, relative, sorted. */
function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

function workspace(name: string): string {
  const root = join(folder, name);
  const files: Record<string, string> = {
    'out/app': 'binary',
    'out/lib/x.so': 'lib',
    'out-other/y': 'not out/',
    '.hidden/report.xml': '<testsuite/>',
    'reports/unit.xml': '<testsuite name="unit"/>',
    'reports/deep/e2e.xml': 'token=sk-live-123456',
    'logs/a.log': 'a',
    'src/main.c': 'int main;',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('collectMatches', () => {
  it('brings exactly what the globs name (dot files too, a folder whole), once, with the relative paths', async () => {
    const root = workspace('exact');
    const destination = join(folder, 'exact-out');
    const result = await collectMatches(
      root,
      ['out/', 'reports/**/*.xml', '.hidden/*.xml', 'out/app', 'nothing/**', 'src/*.h'],
      destination,
    );
    // out/app is inside out/, already brought whole: not again.
    expect([...result.paths].sort()).toEqual([
      '.hidden/report.xml',
      'out',
      'reports/deep/e2e.xml',
      'reports/unit.xml',
    ]);
    expect(result.unmatched).toEqual(['nothing/**', 'src/*.h']);
    expect(result.skipped).toEqual([]);
    expect(filesUnder(destination)).toEqual([
      '.hidden/report.xml',
      'out/app',
      'out/lib/x.so',
      'reports/deep/e2e.xml',
      'reports/unit.xml',
    ]);
  });

  it('keeps permission bits only (never setuid), and masks secrets in what it copies', async () => {
    const root = workspace('modes');
    chmodSync(join(root, 'out/app'), 0o4755);
    chmodSync(join(root, 'out/lib/x.so'), 0o640);
    const destination = join(folder, 'modes-out');
    await collectMatches(root, ['out', 'reports/deep/*'], destination, ['sk-live-123456']);
    expect(statSync(join(destination, 'out/app')).mode & 0o7777).toBe(0o755);
    expect(statSync(join(destination, 'out/lib/x.so')).mode & 0o7777).toBe(0o640);
    expect(readFileSync(join(destination, 'reports/deep/e2e.xml'), 'utf8')).toBe('token=***');
    expect(readFileSync(join(root, 'reports/deep/e2e.xml'), 'utf8')).toBe('token=sk-live-123456');
  });

  it('leaves links, pipes and sockets behind by name, also inside a matched folder, and never follows a link', async () => {
    const root = workspace('hostile');
    const secretFile = join(folder, 'host-secret');
    writeFileSync(secretFile, 'host only');
    symlinkSync(secretFile, join(root, 'out/link-to-host'));
    symlinkSync(folder, join(root, 'linked-folder'));
    execFileSync('mkfifo', [join(root, 'out/pipe')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'out/sock'), resolve));
    try {
      const destination = join(folder, 'hostile-out');
      const result = await collectMatches(root, ['out', 'linked-folder/**', 'linked-folder'], destination);
      expect(result.skipped.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
        { path: 'linked-folder', kind: 'a symbolic link' },
        { path: 'out/link-to-host', kind: 'a symbolic link' },
        { path: 'out/pipe', kind: 'a named pipe' },
        { path: 'out/sock', kind: 'a socket' },
      ]);
      // linked-folder/** matches the link itself (** is zero or more folders): left behind once, by name.
      expect(result.unmatched).toEqual([]);
      expect(filesUnder(destination)).toEqual(['out/app', 'out/lib/x.so']);
    } finally {
      server.close();
    }
  });

  it('a workspace root that is a link or missing brings nothing back', async () => {
    symlinkSync(workspace('real-root'), join(folder, 'root-link'));
    const linked = await collectMatches(join(folder, 'root-link'), ['out'], join(folder, 'root-link-out'));
    expect(linked).toEqual({
      paths: [],
      unmatched: ['out'],
      skipped: [{ path: '.', kind: 'a symbolic link' }],
      refused: [],
    });
    const missing = await collectMatches(join(folder, 'missing'), ['out'], join(folder, 'missing-out'));
    expect(missing).toEqual({ paths: [], unmatched: ['out'], skipped: [], refused: [] });
    expect(existsSync(join(folder, 'root-link-out'))).toBe(false);
  });
});

describe('collecting under limits', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('keeps a sparse file sparse, charges what it occupies, and brings a hard-linked file once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-limits-'));
    roots.push(root);
    writeFileSync(join(root, 'sparse.img'), 'data');
    truncateSync(join(root, 'sparse.img'), 256 * 2 ** 20);
    writeFileSync(join(root, 'a.xml'), '<testsuite/>');
    for (const name of ['b.xml', 'c.xml']) linkSync(join(root, 'a.xml'), join(root, name));
    // A file longer than what is left is refused (reading its holes costs time too); this one fits.
    const budget = collectBudget(512 * 2 ** 20, 100);
    const got = await collectMatches(root, ['*.img', '*.xml'], join(root, 'out'), [], budget);
    expect(got.paths).toEqual(['sparse.img', 'a.xml']);
    expect(got.refused).toEqual([
      { path: 'b.xml', why: 'it is a hard link to "a.xml", brought back once' },
      { path: 'c.xml', why: 'it is a hard link to "a.xml", brought back once' },
    ]);
    const copy = statSync(join(root, 'out/sparse.img'));
    expect(copy.size).toBe(256 * 2 ** 20);
    expect(copy.blocks * 512).toBeLessThanOrEqual(2 ** 20);
    expect(budget.files).toBe(98);
    expect(budget.bytes).toBeGreaterThan(510 * 2 ** 20);
  });

  it('refuses files past the byte and file limits, saying which limit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-limits-'));
    roots.push(root);
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(64 * 1024, 1));
    for (const name of ['1.xml', '2.xml', '3.xml']) writeFileSync(join(root, name), '<testsuite/>');
    const notes = await collectJobOutputs(
      { artifacts: root, reports: root },
      { artifacts: ['big.bin'], reports: ['*.xml'] },
      join(root, 'job'),
      [],
      { artifactBytes: 32 * 1024, artifactFiles: 100, reportFiles: 2 },
    );
    expect(notes).toEqual([
      'vmplan: left artifact "big.bin" behind: it is 65.5 KB (65.5 KB on disk), over what limits.artifact-bytes leaves (32.8 KB)',
      'vmplan: left report "3.xml" behind: the job brought back as many files as limits.report-files allows',
    ]);
    expect(readdirSync(join(root, 'job/reports')).sort()).toEqual(['1.xml', '2.xml']);
  });
});

describe('collecting under limits, file after file', () => {
  it('charges every file it brings to one byte budget shared by artifacts and reports, and one file budget', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-limits-sum-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    // Three files of 24 KiB against 64 KiB: two fit, the third is over what the first two left.
    for (const name of ['a.bin', 'b.bin']) writeFileSync(join(root, name), Buffer.alloc(24 * 1024, 1));
    writeFileSync(join(root, 'c.xml'), Buffer.alloc(24 * 1024, 0x41));
    const notes = await collectJobOutputs(
      { artifacts: root, reports: root },
      { artifacts: ['a.bin', 'b.bin'], reports: ['c.xml'] },
      join(root, 'job'),
      [],
      { artifactBytes: 64 * 1024, artifactFiles: 100, reportFiles: 10 },
    );
    expect(notes).toEqual([
      expect.stringMatching(/^vmplan: left report "c\.xml" behind: .*limits\.artifact-bytes/),
    ]);
    expect(readdirSync(join(root, 'job/artifacts')).sort()).toEqual(['a.bin', 'b.bin']);
    // The file budget is shared too: two artifacts use up artifact-files 2, the report is left behind.
    const second = await collectJobOutputs(
      { artifacts: root, reports: root },
      { artifacts: ['a.bin', 'b.bin'], reports: ['c.xml'] },
      join(root, 'job2'),
      [],
      { artifactBytes: 1024 * 1024, artifactFiles: 2, reportFiles: 10 },
    );
    expect(second).toEqual([
      expect.stringMatching(/^vmplan: left report "c\.xml" behind: .*as many files as/),
    ]);
  });
});

describe('collectJobOutputs', () => {
  it('artifacts and reports into their folders, with one note per pattern that matched nothing and per entry left', async () => {
    const root = workspace('job');
    symlinkSync('/etc/passwd', join(root, 'reports/passwd.xml'));
    const jobDir = join(folder, 'job-dir');
    const notes = await collectJobOutputs(
      { artifacts: root, reports: root },
      { artifacts: ['out/app', 'missing/*', 'gone'], reports: ['reports/*.xml'] },
      jobDir,
      [],
    );
    expect(notes).toEqual([
      'vmplan: no artifact matched "missing/*", "gone"',
      'vmplan: left "reports/passwd.xml" behind: it is a symbolic link, and only regular files and folders are brought back',
    ]);
    expect(filesUnder(jobDir)).toEqual(['artifacts/out/app', 'reports/reports/unit.xml']);
    const none = await collectJobOutputs(
      { artifacts: root, reports: root },
      { artifacts: [], reports: [] },
      join(folder, 'none'),
      [],
    );
    expect(none).toEqual([]);
    expect(existsSync(join(folder, 'none'))).toBe(false);
  });
});

describe('createExcluder', () => {
  it('matches names at any depth, folders only with a slash, anchored paths from the root, globs and dot files', () => {
    const excluded = createExcluder(['node_modules/', '*.log', '/dist', 'build/out', '.cache', 'tmp*/']);
    const cases: [string, boolean, boolean][] = [
      ['node_modules', true, true],
      ['a/b/node_modules', true, true],
      ['node_modules', false, false],
      ['x.log', false, true],
      ['deep/er/x.log', false, true],
      ['x.logs', false, false],
      ['dist', true, true],
      ['dist', false, true],
      ['src/dist', true, false],
      ['build/out', true, true],
      ['a/build/out', true, false],
      ['.cache', true, true],
      ['a/.cache', false, true],
      ['tmp1', true, true],
      ['tmp1', false, false],
      ['src', true, false],
    ];
    for (const [path, isDirectory, expected] of cases)
      expect(excluded(path, isDirectory), `${path} (${isDirectory ? 'folder' : 'file'})`).toBe(expected);
    expect(createExcluder(['build//'])('build', true)).toBe(true);
    expect(createExcluder(['build//'])('a/build', true)).toBe(true);
  });
});

describe('collecting at the edges', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const root of made) rmSync(root, { recursive: true, force: true });
  });
  const scratch = () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-collect-edges-'));
    made.push(root);
    return root;
  };

  it('a workspace root that is a pipe or a file brings nothing back and says what it is', async () => {
    const root = scratch();
    execFileSync('mkfifo', [join(root, 'pipe')]);
    writeFileSync(join(root, 'file'), 'x');
    for (const [name, kind] of [
      ['pipe', 'a named pipe'],
      ['file', 'a file, not a folder'],
    ] as const) {
      const got = await collectMatches(join(root, name), ['**'], join(root, `${name}-out`));
      expect(got).toEqual({ paths: [], unmatched: ['**'], skipped: [{ path: '.', kind }], refused: [] });
      expect(existsSync(join(root, `${name}-out`))).toBe(false);
    }
  });

  it('brings back a matched empty folder as an empty folder (however many slashes end its glob), and a glob with no fixed part from any depth', async () => {
    const root = scratch();
    mkdirSync(join(root, 'ws/empty'), { recursive: true });
    mkdirSync(join(root, 'ws/a/b'), { recursive: true });
    writeFileSync(join(root, 'ws/a/b/deep.xml'), 'deep');
    writeFileSync(join(root, 'ws/top.xml'), 'top');
    const got = await collectMatches(join(root, 'ws'), ['empty//', '**/*.xml'], join(root, 'out'));
    expect(got.paths.sort()).toEqual(['a/b/deep.xml', 'empty', 'top.xml']);
    expect(readdirSync(join(root, 'out/empty'))).toEqual([]);
    expect(readFileSync(join(root, 'out/a/b/deep.xml'), 'utf8')).toBe('deep');
  });

  it('charges a file up to exactly what is left, and refuses one byte more', async () => {
    const root = scratch();
    writeFileSync(join(root, 'exact.bin'), Buffer.alloc(100, 1));
    writeFileSync(join(root, 'over.bin'), Buffer.alloc(101, 1));
    const exact = collectBudget(100, 10);
    expect((await collectMatches(root, ['exact.bin'], join(root, 'a'), [], exact)).paths).toEqual([
      'exact.bin',
    ]);
    expect(exact).toMatchObject({ bytes: 0, files: 9 });
    const over = collectBudget(100, 10);
    const refused = await collectMatches(root, ['over.bin'], join(root, 'b'), [], over);
    expect(refused.refused).toEqual([
      {
        path: 'over.bin',
        why: 'it is 101 bytes (101 bytes on disk), over what limits.artifact-bytes leaves (100 bytes)',
      },
    ]);
    expect(over).toMatchObject({ bytes: 100, files: 10 });
  });

  it('refuses a sparse file longer than what is left, though its data would fit (its holes cost time to read)', async () => {
    const root = scratch();
    writeFileSync(join(root, 'sparse.img'), 'data');
    truncateSync(join(root, 'sparse.img'), 64 * 2 ** 20);
    const budget = collectBudget(2 ** 20, 10);
    const got = await collectMatches(root, ['sparse.img'], join(root, 'out'), [], budget);
    expect(got.paths).toEqual([]);
    expect(got.refused).toEqual([
      {
        path: 'sparse.img',
        why: expect.stringMatching(/^it is 67\.1 MB \(.* on disk\), over what limits\.artifact-bytes leaves/),
      },
    ]);
    expect(budget).toMatchObject({ bytes: 2 ** 20, files: 10 });
  });

  it.skipIf(process.getuid?.() !== 0)('leaves a device file in a matched folder behind by name', async () => {
    const root = scratch();
    mkdirSync(join(root, 'out'));
    writeFileSync(join(root, 'out/ok.txt'), 'ok');
    execFileSync('mknod', [join(root, 'out/null'), 'c', '1', '3']);
    const got = await collectMatches(root, ['out'], join(root, 'dest'));
    expect(got.skipped).toEqual([{ path: 'out/null', kind: 'a device file' }]);
    expect(readdirSync(join(root, 'dest/out'))).toEqual(['ok.txt']);
  });

  it('brings outputs from their own root unmasked (build products), artifacts masked, all under one file budget', async () => {
    const root = scratch();
    const workspace = join(root, 'workspace');
    const outputs = join(root, 'outputs-root');
    mkdirSync(join(workspace, 'reports'), { recursive: true });
    mkdirSync(join(outputs, 'dist'), { recursive: true });
    writeFileSync(join(workspace, 'app.log'), 'token=sk-1234567');
    writeFileSync(join(workspace, 'reports/unit.xml'), '<testsuite/>');
    writeFileSync(join(outputs, 'dist/app.js'), 'const token = "sk-1234567";');
    writeFileSync(join(outputs, 'dist/extra.js'), 'extra');
    writeFileSync(join(workspace, 'not-an-output.js'), 'from the workspace');
    const jobDir = join(root, 'job');
    const notes = await collectJobOutputs(
      { artifacts: workspace, reports: workspace, outputs },
      { artifacts: ['app.log'], reports: ['reports/*.xml'], outputs: ['dist/*.js', '*.js'] },
      jobDir,
      ['sk-1234567'],
      // Three files in all: the artifact, the report, and one output.
      { artifactBytes: 2 ** 20, artifactFiles: 3, reportFiles: 10 },
    );
    expect(readFileSync(join(jobDir, 'artifacts/app.log'), 'utf8')).toBe('token=***');
    expect(readFileSync(join(jobDir, 'outputs/dist/app.js'), 'utf8')).toBe('const token = "sk-1234567";');
    expect(existsSync(join(jobDir, 'outputs/not-an-output.js'))).toBe(false);
    expect(notes).toEqual([
      'vmplan: no output matched "*.js"',
      'vmplan: left output "dist/extra.js" behind: the job brought back as many files as limits.artifact-files allows',
    ]);
  });

  it('charges outputs the bytes the reports took: one byte budget for all three', async () => {
    const root = scratch();
    writeFileSync(join(root, 'report.xml'), Buffer.alloc(24 * 1024, 0x41));
    writeFileSync(join(root, 'output.bin'), Buffer.alloc(24 * 1024, 1));
    const notes = await collectJobOutputs(
      { artifacts: root, reports: root },
      { artifacts: [], reports: ['report.xml'], outputs: ['output.bin'] },
      join(root, 'job'),
      [],
      { artifactBytes: 40 * 1024, artifactFiles: 10, reportFiles: 10 },
    );
    expect(notes).toEqual([
      expect.stringMatching(/^vmplan: left output "output\.bin" behind: .*limits\.artifact-bytes/),
    ]);
  });

  it('outputs come from the workspace when they have no root of their own', async () => {
    const root = scratch();
    writeFileSync(join(root, 'built.bin'), 'built');
    await collectJobOutputs(
      { artifacts: root, reports: root },
      { artifacts: [], reports: [], outputs: ['built.bin'] },
      join(root, 'job'),
      [],
    );
    expect(readFileSync(join(root, 'job/outputs/built.bin'), 'utf8')).toBe('built');
  });

  it('names the first 50 entries left behind and counts the rest', async () => {
    for (const count of [50, 53]) {
      const root = scratch();
      mkdirSync(join(root, 'out'));
      for (let i = 0; i < count; i++)
        symlinkSync('/etc/passwd', join(root, `out/link-${String(i).padStart(2, '0')}`));
      const notes = await collectJobOutputs(
        { artifacts: root, reports: root },
        { artifacts: ['out'], reports: [] },
        join(root, 'job'),
        [],
      );
      expect(notes.slice(0, 50).every((note) => note.startsWith('vmplan: left "out/link-'))).toBe(true);
      expect(notes.slice(50)).toEqual(
        count === 50 ? [] : ['vmplan: left 3 more artifact entries behind (not listed)'],
      );
    }
  });
});

describe('collecting names that are not UTF-8', () => {
  it('leaves an entry named in other bytes behind, by name, and brings the rest back', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-collect-names-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const latin1 = (path: string) => Buffer.from(join(root, path), 'latin1');
    mkdirSync(join(root, 'out'));
    writeFileSync(join(root, 'out/good.txt'), 'good');
    writeFileSync(latin1('out/caf\xe9.txt'), 'latin-1 name');
    mkdirSync(latin1('out/d\xe9j\xe0'));
    writeFileSync(latin1('out/d\xe9j\xe0/inner.txt'), 'in a folder of that kind');
    writeFileSync(latin1('top-\xff.xml'), '<testsuite/>');
    const notes = await collectJobOutputs(
      { artifacts: root, reports: root },
      { artifacts: ['out'], reports: ['*.xml'] },
      join(root, 'job'),
      [],
    );
    expect(notes).toEqual([
      'vmplan: left artifact "out/caf\uFFFD.txt" behind: its name is not UTF-8 (only UTF-8 names are brought back)',
      'vmplan: left artifact "out/d\uFFFDj\uFFFD" behind: its name is not UTF-8 (only UTF-8 names are brought back)',
      'vmplan: left report "top-\uFFFD.xml" behind: its name is not UTF-8 (only UTF-8 names are brought back)',
    ]);
    expect(filesUnder(join(root, 'job'))).toEqual(['artifacts/out/good.txt']);
  });
});

describe('collecting what two globs both name', () => {
  it('brings a file two globs match once, lists it once and charges it once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-collect-twice-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(join(root, 'out'));
    writeFileSync(join(root, 'out/app'), 'binary');
    writeFileSync(join(root, 'out/other'), 'other');
    const budget = collectBudget(1024 * 1024, 10);
    const got = await collectMatches(root, ['out/app', 'out/*'], join(root, 'copy'), [], budget);
    expect(got.paths).toEqual(['out/app', 'out/other']);
    expect(got.refused).toEqual([]);
    expect(budget.files).toBe(8);
    // Charged what each occupies: its data, at most its blocks.
    const occupies = (path: string) => Math.min(statSync(path).size, statSync(path).blocks * 512);
    expect(budget.bytes).toBe(
      1024 * 1024 - occupies(join(root, 'out/app')) - occupies(join(root, 'out/other')),
    );
  });

  it('names an entry whose name is not UTF-8 once, however many globs match it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vmplan-collect-twice-names-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(Buffer.from(join(root, 'r-\xff.xml'), 'latin1'), '<testsuite/>');
    writeFileSync(join(root, 'r-ok.xml'), '<testsuite/>');
    const got = await collectMatches(root, ['*.xml', 'r-*', '**/*.xml'], `${root}-copy`);
    onTestFinished(() => rmSync(`${root}-copy`, { recursive: true, force: true }));
    expect(got.refused).toEqual([
      { path: 'r-\uFFFD.xml', why: 'its name is not UTF-8 (only UTF-8 names are brought back)' },
    ]);
    expect(got.paths).toEqual(['r-ok.xml']);
  });

  it('a wildcard glob matches dot files and dot folders, as a GitHub glob does', async () => {
    const root = workspace('dot-wildcards');
    const destination = join(folder, 'dot-wildcards-out');
    const got = await collectMatches(root, ['**/*.xml'], destination);
    expect([...got.paths].sort()).toEqual(['.hidden/report.xml', 'reports/deep/e2e.xml', 'reports/unit.xml']);
    expect(filesUnder(destination)).toContain('.hidden/report.xml');
  });
});
