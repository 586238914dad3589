// `npm run mutate [-- MODULE...] [--dry-run] [--retest-timeouts]`: mutation testing of the core, one module after
// another (default: all of them — hours), each against its own committed baseline test/mutation/<module>.json
// (stryker.config.mjs), so a run tests only the mutants whose code or covering tests changed. Before each module it
// says how many mutants it will test and roughly how long (`--dry-run`: only that). A module estimated over
// PART_BUDGET_MINUTES is tested in parts, whole files each, one Stryker run per part; each run rewrites the baseline
// (Stryker keeps the results of files outside a run), so a pass stopped at any point loses one part at most and a
// rerun tests only what is left. After a module's last part it records the score, commit, date, duration and the
// longest part in test/mutation/scores.json. `--retest-timeouts`: mutants whose tests ran past Stryker's timeout count
// as killed; on a busy machine that may have been the load, so this forgets them and tests them again.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeJsonAtomic } from '../src/util/atomic-write.js';
import {
  baselineOf,
  currentSources,
  currentTests,
  describeEstimate,
  estimateMinutes,
  estimateRetest,
  readBaseline,
  secondsPerMutant,
  splitIntoParts,
} from './mutation-estimate.js';
import { MODULES, moduleScores, readScores, withModuleRecord, writeScores } from './mutation-scores.js';

type Module = (typeof MODULES)[number];

/** The modules to run: those named (each checked), else all. */
export function chosenModules(args: readonly string[]): Module[] {
  const named = args.filter((arg) => !arg.startsWith('-'));
  for (const name of named)
    if (!(MODULES as readonly string[]).includes(name))
      throw new Error(`no module "${name}" (expected one of ${MODULES.join(', ')})`);
  return named.length === 0 ? [...MODULES] : (named as Module[]);
}

/** A Stryker report (an incremental baseline) without its timed-out mutants, and how many those were. */
export function withoutTimeouts<Report extends { files: Record<string, { mutants: { status: string }[] }> }>(
  report: Report,
): { report: Report; dropped: number } {
  let dropped = 0;
  const files = Object.fromEntries(
    Object.entries(report.files).map(([name, file]) => {
      const mutants = file.mutants.filter((mutant) => mutant.status !== 'Timeout');
      dropped += file.mutants.length - mutants.length;
      return [name, { ...file, mutants }];
    }),
  );
  return { report: { ...report, files }, dropped };
}

/** The commit a measurement belongs to: HEAD, marked when the module's files differ from it. */
function measuredCommit(paths: readonly string[]): string {
  const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
  // The run itself rewrites the baselines under test/mutation/: those are not changes to what was measured.
  const dirty = execFileSync('git', ['status', '--porcelain', '--', ...paths, ':(exclude)test/mutation'], {
    encoding: 'utf8',
  }).trim();
  return dirty === '' ? head : `${head}+changes`;
}

async function main(args: string[]): Promise<number> {
  const modules = chosenModules(args);
  const dryRun = args.includes('--dry-run');
  let failed = 0;
  for (const module of modules) {
    const baseline = readBaseline(module);
    if (args.includes('--retest-timeouts') && baseline !== undefined && !dryRun) {
      const { report, dropped } = withoutTimeouts(baseline);
      writeJsonAtomic(baselineOf(module), report);
      console.log(`mutation: ${dropped} timed-out mutant(s) of ${module} will be tested again`);
    }
    const sources = await currentSources(module);
    const tests = currentTests();
    const estimate = estimateRetest(readBaseline(module), sources, tests);
    const minutes = estimateMinutes(estimate.toTest, readScores(), module);
    const parts = splitIntoParts(estimate.byFile, secondsPerMutant(readScores(), module));
    console.log(`mutation: ${describeEstimate(module, estimate, minutes)}`);
    if (parts.length > 1)
      for (const [index, part] of parts.entries())
        console.log(
          `mutation: ${module} part ${index + 1}/${parts.length}: ${part.files.join(' ')} (≈ ${part.minutes} min)`,
        );
    if (dryRun) continue;
    const started = Date.now();
    let longestPart = 0;
    let stopped = false;
    for (const [index, part] of parts.entries()) {
      const partStarted = Date.now();
      const run = spawnSync('npx', ['stryker', 'run'], {
        stdio: 'inherit',
        env: {
          ...process.env,
          VMPLAN_MUTATE_MODULE: module,
          // One part: the module's own globs (new files included); several: exactly this part's files.
          ...(parts.length > 1 ? { VMPLAN_MUTATE_FILES: part.files.join('\n') } : {}),
        },
      });
      longestPart = Math.max(longestPart, Date.now() - partStarted);
      if (run.status !== 0) {
        const which = parts.length > 1 ? ` part ${index + 1}/${parts.length}` : '';
        console.error(`mutation: Stryker failed on ${module}${which} (exit ${run.status ?? run.signal})`);
        stopped = true;
        break;
      }
    }
    const after = readBaseline(module);
    if (stopped || after === undefined) {
      if (!stopped) console.error(`mutation: Stryker wrote no baseline for ${module}`);
      failed++;
      continue;
    }
    const [score] = moduleScores(after);
    const tenthsOfMinutes = (ms: number) => Math.round(ms / 6_000) / 10;
    const took = tenthsOfMinutes(Date.now() - started);
    if (score === undefined) {
      console.log(`mutation: ${module} has no mutants`);
      continue;
    }
    const { module: _name, ...counts } = score;
    writeScores(
      withModuleRecord(readScores(), module, {
        ...counts,
        score: Math.round(score.score * 10) / 10,
        commit: measuredCommit([...Object.keys(sources), 'test/']),
        date: new Date(started).toISOString().slice(0, 10),
        minutes: took,
        tested: estimate.toTest,
        parts: parts.length,
        longestPartMinutes: tenthsOfMinutes(longestPart),
      }),
    );
    console.log(
      `mutation: ${module} ${score.score.toFixed(1)}% in ${took} min, ${parts.length} part(s) (recorded in test/mutation/scores.json)`,
    );
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main(process.argv.slice(2)));
