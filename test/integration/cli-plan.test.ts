import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runVmplan } from '../support/cli.js';

// A throw-away git repository with a jobs file in the default place.
const repo = mkdtempSync(join(tmpdir(), 'vmplan-cli-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));

const JOBS = `version: 1
images:
  debian: { arch: arm64, kernel: images/Image, initrd: images/initrd }
defaults: { image: debian }
jobs:
  build: { run: make }
  unit: { run: make test, needs: build }
  docs: { run: make docs, executor: host, paths: [docs/**] }
`;

/** The image files the jobs file names: small dummies (planning checks they are there, never boots them). */
function writeImages(dir: string): void {
  mkdirSync(join(dir, 'images'));
  writeFileSync(join(dir, 'images/Image'), 'kernel\n');
  writeFileSync(join(dir, 'images/initrd'), 'initrd\n');
}

beforeAll(() => {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
  git('remote', 'add', 'origin', 'git@github.com:acme/widgets.git');
  mkdirSync(join(repo, '.github'));
  writeFileSync(join(repo, '.github/vmplan.yml'), JOBS);
  writeFileSync(join(repo, 'README.md'), 'hello\n');
  writeImages(repo);
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  git('checkout', '-q', '-b', 'feature');
  writeFileSync(join(repo, 'src.c'), 'int main;\n');
  git('add', '.');
  git('commit', '-q', '-m', 'change code');
});

describe('vmplan plan', () => {
  it('plans the default jobs file, writes .vmplan/plan.json and prints a readable view', async () => {
    const result = await runVmplan(['plan'], { cwd: repo });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Source:    acme/widgets @ ');
    expect(result.stdout).toContain('(refs/heads/feature, local)');
    expect(result.stdout).toMatch(/Stage 1\n {2}image:debian +prepare arm64 {2}files images\/Image/);
    expect(result.stdout).toContain('Wrote .vmplan/plan.json');
    const plan = JSON.parse(readFileSync(join(repo, '.vmplan/plan.json'), 'utf8'));
    expect(plan.source.repository).toBe('acme/widgets');
    expect(plan.source.jobsFile).toBe('.github/vmplan.yml');
  });

  it('never writes the credentials of a remote URL into plan.json, whatever its shape', async () => {
    const other = mkdtempSync(join(tmpdir(), 'vmplan-cli-remote-'));
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: other, stdio: 'pipe' });
      git('init', '-q', '-b', 'main');
      mkdirSync(join(other, '.github'));
      writeFileSync(join(other, '.github/vmplan.yml'), JOBS);
      writeImages(other);
      git('remote', 'add', 'origin', 'git@github.com:acme/widgets.git');
      for (const [remote, repository] of [
        ['https://ci:tok3n-91f@git.example.com/widgets.git', 'git.example.com/widgets'],
        ['https://tok3n-91f@git.example.com/acme/widgets', 'acme/widgets'],
        ['https://x-access-token:tok3n-91f@github.com/acme/widgets.git', 'acme/widgets'],
        ['https://ci:tok3n-91f@git.example.com/', 'https://git.example.com/'],
      ]) {
        git('remote', 'set-url', 'origin', remote!);
        const result = await runVmplan(['plan'], { cwd: other });
        expect(result.code, result.stderr).toBe(0);
        const written = readFileSync(join(other, '.vmplan/plan.json'), 'utf8');
        expect(written, remote).not.toContain('tok3n');
        expect(result.stdout, remote).not.toContain('tok3n');
        expect(JSON.parse(written).source.repository, remote).toBe(repository);
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('filters by paths against a base ref, and explains exclusions', async () => {
    const result = await runVmplan(['plan', '--base', 'main', '--out', '-'], { cwd: repo });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.scope.changes.files).toEqual(['src.c']);
    expect(plan.excluded).toEqual([
      { job: 'docs', reason: 'paths', message: 'no changed file matches paths (docs/**); 1 file(s) changed' },
    ]);
  });

  it('--base counts what the branch changed since it forked, not what the base gained after', async () => {
    const own = mkdtempSync(join(tmpdir(), 'vmplan-cli-base-'));
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: own, stdio: 'pipe' });
      git('init', '-q', '-b', 'main');
      git('config', 'user.email', 'test@example.com');
      git('config', 'user.name', 'test');
      mkdirSync(join(own, '.github'));
      mkdirSync(join(own, 'docs'));
      writeFileSync(join(own, '.github/vmplan.yml'), JOBS);
      writeFileSync(join(own, 'docs/index.md'), '# docs\n');
      writeImages(own);
      git('add', '.');
      git('commit', '-q', '-m', 'initial');
      git('checkout', '-q', '-b', 'feature');
      writeFileSync(join(own, 'src.c'), 'int main;\n');
      git('add', '.');
      git('commit', '-q', '-m', 'change code');
      // main moves on after the fork point, with a change the branch never made.
      git('checkout', '-q', 'main');
      writeFileSync(join(own, 'docs/index.md'), '# docs, edited on main\n');
      git('commit', '-q', '-am', 'docs on main');
      git('checkout', '-q', 'feature');
      const result = await runVmplan(['plan', '--base', 'main', '--out', '-'], { cwd: own });
      expect(result.code, result.stderr).toBe(0);
      const plan = JSON.parse(result.stdout);
      expect(plan.scope.changes.files).toEqual(['src.c']);
      expect(plan.excluded).toEqual([
        {
          job: 'docs',
          reason: 'paths',
          message: 'no changed file matches paths (docs/**); 1 file(s) changed',
        },
      ]);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('reads changed files from a file and selects with --only', async () => {
    writeFileSync(join(repo, 'changed.txt'), 'docs/index.md\n');
    const result = await runVmplan(
      ['plan', '--changed-files', 'changed.txt', '--only', 'docs', '--out', '-'],
      {
        cwd: repo,
      },
    );
    const plan = JSON.parse(result.stdout);
    expect(plan.nodes.map((node: { id: string }) => node.id)).toEqual(['job:docs']);
    expect(plan.scope.changes).toEqual({
      known: true,
      source: `file ${join(repo, 'changed.txt')}`,
      files: ['docs/index.md'],
    });
  });

  it('records durations given with --durations in the plan, and refuses them with a plan already made', async () => {
    writeFileSync(join(repo, 'durations.json'), JSON.stringify({ build: 60000, unit: 1500.4, nope: 1 }));
    const result = await runVmplan(['plan', '--durations', 'durations.json', '--out', '-'], { cwd: repo });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).scope.durations).toEqual({ build: 60000, unit: 1500 });
    writeFileSync(join(repo, 'plan-made.json'), result.stdout);
    const refused = await runVmplan(['run', '--plan', 'plan-made.json', '--durations', 'durations.json'], {
      cwd: repo,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--durations applies when planning; a --plan is already planned');
    writeFileSync(join(repo, 'bad-durations.json'), JSON.stringify({ build: 'slow' }));
    const bad = await runVmplan(['plan', '--durations', 'bad-durations.json'], { cwd: repo });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'bad-durations.json: not a valid map of job id to milliseconds: build: expected a number, found "slow"',
    );
  });

  it('is reproducible with SOURCE_DATE_EPOCH: same bytes twice', async () => {
    const env = { SOURCE_DATE_EPOCH: '1764412980' };
    const first = await runVmplan(['plan', '--out', '-'], { cwd: repo, env });
    const second = await runVmplan(['plan', '--out', '-'], { cwd: repo, env });
    expect(first.stdout).toBe(second.stdout);
    expect(JSON.parse(first.stdout).createdAt).toBe('2025-11-29T10:43:00.000Z');
  });

  it('exits 2 with every located problem for an invalid jobs file, writing nothing', async () => {
    writeFileSync(
      join(repo, 'bad.yml'),
      'version: 1\njobs:\n  unit: { run: x, needs: [buidl], executor: host }\n  build: { run: y, executor: host, timeout-minutes: 0 }\n',
    );
    const result = await runVmplan(['plan', 'bad.yml', '--out', 'bad-plan.json'], { cwd: repo });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'bad.yml:3:27 jobs.unit.needs[0]: unknown job "buidl" (did you mean "build"?)\n' +
        'bad.yml:4:53 jobs.build.timeout-minutes: expected a positive number of minutes, found 0\n' +
        '2 problems found; nothing was run.\n',
    );
    expect(() => readFileSync(join(repo, 'bad-plan.json'))).toThrow(/ENOENT/);
  });

  it('exits 2 for unknown flags, missing files and bad executors', async () => {
    expect((await runVmplan(['plan', '--frobnicate'], { cwd: repo })).stderr).toMatch(
      /unknown flag --frobnicate for vmplan plan; see vmplan plan --help/,
    );
    const missing = await runVmplan(['plan', 'nope.yml'], { cwd: repo });
    expect([missing.code, missing.stderr]).toEqual([
      2,
      'nope.yml: cannot read the jobs file: no such file\n',
    ]);
    const executor = await runVmplan(['plan', '--executor', 'docker'], { cwd: repo });
    expect([executor.code, executor.stderr]).toEqual([
      2,
      '--executor: expected one of "host", "vfkit", "qemu", found "docker"\n',
    ]);
    const unknown = await runVmplan(['frobnicate'], { cwd: repo });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('vmplan: unknown command "frobnicate"');
  });
});

describe('vmplan show / validate / schema', () => {
  it('shows a plan file or the plan a jobs file makes, and rejects a .json that is not a plan', async () => {
    await runVmplan(['plan'], { cwd: repo });
    const shown = await runVmplan(['show', '.vmplan/plan.json'], { cwd: repo });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Plan [0-9a-f]{12} {2}\(schema 2/);
    expect(shown.stdout).toContain('job:unit');
    const fromJobs = await runVmplan(['show', '.github/vmplan.yml'], { cwd: repo });
    expect(fromJobs.code, fromJobs.stderr).toBe(0);
    expect(fromJobs.stdout).toContain('job:unit');
    writeFileSync(join(repo, 'not-a-plan.json'), 'version: 1\n');
    const notPlan = await runVmplan(['show', 'not-a-plan.json'], { cwd: repo });
    expect(notPlan.code).toBe(2);
    expect(notPlan.stderr).toMatch(
      /^not-a-plan\.json:1: not a plan: expected a JSON object, found "v" at the start/,
    );
  });

  it('validates jobs files and plans', async () => {
    const jobsResult = await runVmplan(['validate', '.github/vmplan.yml'], { cwd: repo });
    expect(jobsResult.stdout).toBe('.github/vmplan.yml: valid jobs file (3 job(s), 1 image(s) in use)\n');
    const planResult = await runVmplan(['validate', '.vmplan/plan.json'], { cwd: repo });
    expect(planResult.stdout).toMatch(/^\.vmplan\/plan\.json: valid plan [0-9a-f]{12} \(4 node\(s\)\)\n$/);
    const bad = await runVmplan(['validate', 'bad.yml'], { cwd: repo });
    expect(bad.code).toBe(2);
  });

  it('prints the JSON Schemas that are committed', async () => {
    for (const name of ['jobs', 'plan', 'results']) {
      const result = await runVmplan(['schema', name]);
      expect(result.stdout).toBe(readFileSync(join(REPO_ROOT, `schema/${name}.schema.json`), 'utf8'));
    }
    const unknown = await runVmplan(['schema', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('expected one of jobs, plan, results');
  });

  it('the committed bundle (bin/vmplan.js) plans the example', async () => {
    const result = await runVmplan(['plan', 'examples/jobs.yml', '--out', '-'], { bundle: true });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).nodes.length).toBeGreaterThan(3);
  });
});
