// A repository with a 500 MB git-ignored folder (node_modules-like: 5,000 files of 100 KB): `vmplan run` of four
// host jobs must take the same time with and without it (goal: within 10%), because the snapshot holds what git
// would commit. Also times the run with the folder brought back (include-ignored), to show what it would cost.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, table } from './support.js';

const IGNORED_FILES = 5_000;
const IGNORED_FILE_BYTES = 100_000;
const RUNS = 5;
/** tsx by absolute URL: the runs start in the generated repositories, where `tsx` cannot be resolved. */
const TSX_LOADER = pathToFileURL(join(process.cwd(), 'node_modules/tsx/dist/loader.mjs')).href;

function jobsFile(includeIgnored: boolean): string {
  const jobs = ['a', 'b', 'c', 'd'].map((id) => `  ${id}:\n    executor: host\n    run: ls > /dev/null\n`);
  const workspace = includeIgnored ? 'workspace:\n  include-ignored: [node_modules/]\n' : '';
  return `version: 1\n${workspace}jobs:\n${jobs.join('')}`;
}

function makeRepository(root: string, withIgnored: boolean): void {
  for (let file = 0; file < 500; file++) {
    const folder = join(root, 'src', `m${file % 25}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${file}.ts`), `export const x${file} = ${file};\n`.repeat(20));
  }
  writeFileSync(join(root, '.gitignore'), 'node_modules/\n.vmplan/\n');
  mkdirSync(join(root, '.github'), { recursive: true });
  writeFileSync(join(root, '.github/vmplan.yml'), jobsFile(false));
  writeFileSync(join(root, '.github/with-ignored.yml'), jobsFile(true));
  execFileSync('git', ['init', '-q'], { cwd: root });
  execFileSync('git', ['add', '.'], { cwd: root });
  execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.com', 'commit', '-qm', 'init'], {
    cwd: root,
  });
  if (!withIgnored) return;
  const chunk = Buffer.alloc(IGNORED_FILE_BYTES, 7);
  for (let file = 0; file < IGNORED_FILES; file++) {
    const folder = join(root, 'node_modules', `pkg${file % 250}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `f${file}.js`), chunk);
  }
}

/** Wall time of one `vmplan run` (a fresh process, as a user runs it). */
function timeRun(root: string, jobs: string): number {
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ['--import', TSX_LOADER, join(process.cwd(), 'src/cli.ts'), 'run', jobs, '--quiet'],
    { cwd: root, encoding: 'utf8' },
  );
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`vmplan run failed:\n${result.stdout}\n${result.stderr}`);
  return ms;
}

const base = mkdtempSync(join(tmpdir(), 'vmplan-bench-ignored-'));
try {
  const without = join(base, 'without');
  const withIgnored = join(base, 'with');
  makeRepository(without, false);
  makeRepository(withIgnored, true);
  spawnSync('sync');
  const times = { without: [] as number[], with: [] as number[], included: [] as number[] };
  timeRun(without, '.github/vmplan.yml');
  timeRun(withIgnored, '.github/vmplan.yml');
  // Alternate, so that drifts of the machine hit both alike.
  for (let run = 0; run < RUNS; run++) {
    times.without.push(timeRun(without, '.github/vmplan.yml'));
    times.with.push(timeRun(withIgnored, '.github/vmplan.yml'));
  }
  times.included.push(timeRun(withIgnored, '.github/with-ignored.yml'));
  const a = median(times.without);
  const b = median(times.with);
  const difference = ((b - a) / a) * 100;
  console.log(
    `Snapshot and git-ignored files: four host jobs, 500 source files, ${IGNORED_FILES} ignored files of ${IGNORED_FILE_BYTES / 1000} KB (${(IGNORED_FILES * IGNORED_FILE_BYTES) / 1e6} MB); median of ${RUNS} runs\n`,
  );
  console.log(
    table(
      ['repository', 'vmplan run (ms)'],
      [
        ['without the ignored folder', a.toFixed(0)],
        [
          'with the ignored folder',
          `${b.toFixed(0)} (${difference >= 0 ? '+' : ''}${difference.toFixed(1)}%)`,
        ],
        ['with it brought back (include-ignored), 1 run', times.included[0]!.toFixed(0)],
      ],
    ),
  );
  console.log(`\nGoal: within 10% — ${Math.abs(difference) <= 10 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
