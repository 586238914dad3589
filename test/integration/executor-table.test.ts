// The executor table's promise, kept literally: a fourth executor is one new file plus one line in the table.
// A copy of src/ gets the fake executor's descriptor (test/fixtures/executor-table) and one added line in
// src/executors/table.ts, nothing else; then the copy typechecks, plans, runs a job on the new executor,
// shows it in `status`, offers its flag and lists it in the jobs-file schema.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';

// Inside the repository, so the copy finds node_modules (and tsx) the way src/ does.
const copy = mkdtempSync(join(REPO_ROOT, '.executor-table-'));
const work = mkdtempSync(join(tmpdir(), 'vmplan-fake-executor-'));
afterAll(() => {
  rmSync(copy, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const TABLE = 'src/executors/table.ts';
const LINE = "export { fake } from './fake/descriptor.js';";

function vmplan(args: string[]) {
  return spawnSync(
    process.execPath,
    ['--import', join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs'), join(copy, 'src/cli.ts'), ...args],
    {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
}

beforeAll(() => {
  cpSync(join(REPO_ROOT, 'src'), join(copy, 'src'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json']) cpSync(join(REPO_ROOT, file), join(copy, file));
  mkdirSync(join(copy, 'src/executors/fake'));
  cpSync(
    join(REPO_ROOT, 'test/fixtures/executor-table/fake-descriptor.ts.txt'),
    join(copy, 'src/executors/fake/descriptor.ts'),
  );
  writeFileSync(join(copy, TABLE), `${readFileSync(join(copy, TABLE), 'utf8')}${LINE}\n`);
  writeFileSync(
    join(work, 'jobs.yml'),
    'version: 1\njobs:\n  hello:\n    executor: fake\n    run: echo hello from the fake executor > out.txt && cat out.txt\n',
  );
  writeFileSync(join(work, 'README.md'), 'a repository\n');
}, 60_000);

describe('the executor table', () => {
  it('the copy differs from src/ by the descriptor file and one line of the table', () => {
    const diff = spawnSync('diff', ['-r', join(REPO_ROOT, 'src'), join(copy, 'src')], { encoding: 'utf8' });
    const lines = diff.stdout.split('\n').filter((line) => line !== '');
    expect(lines).toEqual([
      expect.stringMatching(/^Only in .*\/src\/executors: fake$/),
      expect.stringMatching(/^diff -r .*\/table\.ts .*\/table\.ts$/),
      expect.stringMatching(/^\d+a\d+$/),
      `> ${LINE}`,
    ]);
  });

  it('the copy typechecks with the fourth executor (no other place names the executors)', () => {
    const tsc = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(copy, 'tsconfig.json')],
      { encoding: 'utf8' },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);

  it('plans, runs and shows a job on the fourth executor, with its own flag', () => {
    const plan = vmplan(['plan', 'jobs.yml', '--out', 'plan.json']);
    expect(plan.stderr).toBe('');
    expect(plan.status).toBe(0);
    const planned = JSON.parse(readFileSync(join(work, 'plan.json'), 'utf8'));
    expect(
      planned.nodes.map((node: { id: string; executor: string; type: string }) => [
        node.id,
        node.executor,
        node.type,
      ]),
    ).toEqual([['job:hello', 'fake', 'host_command']]);
    expect(planned.preconditions).toContainEqual({
      kind: 'executor',
      executor: 'fake',
      nodes: ['job:hello'],
    });

    const run = vmplan([
      'run',
      'jobs.yml',
      '--workspace',
      '.',
      '--state-dir',
      'state',
      '--fake-greeting',
      'hi',
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('hello from the fake executor');
    expect(run.stdout).toMatch(/^hello +passed .* fake\b/m);
    const [runId] = readdirSync(join(work, 'state/runs'));
    expect(readFileSync(join(work, 'state/runs', runId!, 'jobs/hello/fake-ran'), 'utf8')).toBe('hi\n');
    expect(existsSync(join(work, 'state/runs', runId!, 'jobs/hello/workspace/out.txt'))).toBe(true);

    const status = vmplan(['status', '--state-dir', 'state']);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^hello +passed .* fake\b/m);
  }, 120_000);

  it('lists the fourth executor in the jobs-file schema and its errors', () => {
    const schema = JSON.parse(vmplan(['schema', 'jobs']).stdout);
    expect(schema.$defs?.executor?.enum ?? JSON.stringify(schema)).toContain('fake');
    writeFileSync(join(work, 'bad.yml'), 'version: 1\njobs:\n  a: { executor: faek, run: x }\n');
    const bad = vmplan(['validate', 'bad.yml']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('expected one of "host", "vfkit", "qemu", "fake", found "faek"');
  });
});
