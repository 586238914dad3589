// How much of a module's committed baseline (test/mutation/<module>.json, Stryker's incremental file) still holds:
// which of its source and test files changed since, how many mutants a run will test again, and roughly how long
// that takes. Stryker re-tests a mutant when its file changed or a test that covered it changed; mutants in new
// files are estimated from the baseline's mutants per line. (Survivors that a new test file covers are tested too:
// no estimate can know that coverage before the run.) Said before a run starts, so nobody starts hours of
// mutation testing by accident.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { MODULES, type MutationReport, readScores, type Scores } from './mutation-scores.js';

/** What a run of one module will re-test, against its baseline. */
export interface RetestEstimate {
  /** Mutants the baseline holds. */
  known: number;
  /** Mutants the run will test: those of changed or new source files and those a changed test covered. */
  toTest: number;
  /** The same, per source file (every source file of the module, 0 when nothing in it is re-tested). */
  byFile: Record<string, number>;
  changedSources: string[];
  newSources: string[];
  changedTests: string[];
}

const lineCount = (text: string) => text.split('\n').length;

/**
 * The mutants a run will test. `sources` and `tests` are the module's source files and the test files as they are
 * now (path → text).
 */
export function estimateRetest(
  baseline: MutationReport | undefined,
  sources: Readonly<Record<string, string>>,
  tests: Readonly<Record<string, string>>,
): RetestEstimate {
  const files = baseline?.files ?? {};
  const testFiles = baseline?.testFiles ?? {};
  const changedTests = Object.keys(testFiles)
    .filter((path) => tests[path] !== testFiles[path]?.source)
    .sort();
  const changedTestIds = new Set(
    changedTests.flatMap((path) => testFiles[path]?.tests.map((test) => test.id) ?? []),
  );
  let known = 0;
  let baselineLines = 0;
  for (const file of Object.values(files)) {
    known += file.mutants.length;
    baselineLines += lineCount(file.source ?? '');
  }
  const changedSources: string[] = [];
  const newSources: string[] = [];
  const byFile: Record<string, number> = {};
  for (const [path, text] of Object.entries(sources).sort(([a], [b]) => a.localeCompare(b))) {
    const before = files[path];
    if (before === undefined) {
      newSources.push(path);
      // No mutants of its own yet: as many per line as the module's known files have.
      byFile[path] = baselineLines === 0 ? 0 : Math.round((known / baselineLines) * lineCount(text));
    } else if (before.source !== text) {
      changedSources.push(path);
      byFile[path] = before.mutants.length;
    } else {
      byFile[path] = before.mutants.filter((mutant) =>
        (mutant.coveredBy ?? []).some((id) => changedTestIds.has(id)),
      ).length;
    }
  }
  const toTest = Object.values(byFile).reduce((sum, count) => sum + count, 0);
  return { known, toTest, byFile, changedSources, newSources, changedTests };
}

/**
 * Seconds per tested mutant when a module has no timed run to go by: Stryker's own forecast for engine on an idle
 * 2-core machine (2026-12-07: 873 mutants, ~40 minutes). Modules whose tests are all unit tests go faster.
 */
export const DEFAULT_SECONDS_PER_MUTANT = 2.7;

/** Seconds per tested mutant at the pace of the module's last timed run (a default when it has none). */
export function secondsPerMutant(scores: Scores, module: (typeof MODULES)[number]): number {
  const last = scores[module];
  return last?.minutes != null && last.tested != null && last.tested > 0
    ? (last.minutes * 60) / last.tested
    : DEFAULT_SECONDS_PER_MUTANT;
}

/** Roughly how many minutes testing `mutants` takes, at the pace of the module's last timed run. */
export function estimateMinutes(mutants: number, scores: Scores, module: (typeof MODULES)[number]): number {
  return Math.ceil((mutants * secondsPerMutant(scores, module)) / 60);
}

/** How long one Stryker run may take: a module that needs longer is tested in parts (one run each). */
export const PART_BUDGET_MINUTES = 25;

/**
 * The module's source files in parts of at most `budgetMinutes` of estimated work each, in path order (whole files:
 * a line range would leave a mutant that spans its edge out of every part). Every file is in a part, even one with
 * nothing estimated, so a survivor a new test covers is still tested again. A single file over the budget is a part
 * of its own.
 */
export function splitIntoParts(
  byFile: Readonly<Record<string, number>>,
  secondsPerTested: number,
  budgetMinutes = PART_BUDGET_MINUTES,
): { files: string[]; minutes: number }[] {
  const parts: { files: string[]; minutes: number }[] = [];
  for (const path of Object.keys(byFile).sort((a, b) => a.localeCompare(b))) {
    const minutes = ((byFile[path] ?? 0) * secondsPerTested) / 60;
    const last = parts.at(-1);
    if (last !== undefined && last.minutes + minutes <= budgetMinutes) {
      last.files.push(path);
      last.minutes += minutes;
    } else parts.push({ files: [path], minutes });
  }
  return parts.map((part) => ({ ...part, minutes: Math.ceil(part.minutes) }));
}

/** One line saying what a run of the module will do and roughly how long it takes. */
export function describeEstimate(module: string, estimate: RetestEstimate, minutes: number): string {
  if (estimate.known === 0)
    return `${module}: no baseline: every mutant is tested (≈ ${estimate.toTest} mutants by size, ≈ ${minutes} min)`;
  const why = [
    estimate.changedSources.length > 0 ? `${estimate.changedSources.length} source file(s) changed` : '',
    estimate.newSources.length > 0 ? `${estimate.newSources.length} new` : '',
    estimate.changedTests.length > 0 ? `${estimate.changedTests.length} test file(s) changed` : '',
  ].filter(Boolean);
  return `${module}: ${estimate.toTest} of ${estimate.known} mutants to test${why.length > 0 ? ` (${why.join(', ')})` : ''}, ≈ ${minutes} min`;
}

/** A module's committed baseline. */
export const baselineOf = (module: string) => `test/mutation/${module}.json`;

/** Files in the checkout (tracked or not ignored) matching git pathspec globs, with their text. */
function filesMatching(globs: readonly string[]): Record<string, string> {
  const paths = execFileSync(
    'git',
    [
      'ls-files',
      '--cached',
      '--others',
      '--exclude-standard',
      '--',
      ...globs.map((glob) => `:(glob)${glob}`),
    ],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter((path) => path !== '' && existsSync(path));
  return Object.fromEntries(paths.map((path) => [path, readFileSync(path, 'utf8')]));
}

/** The mutation tests' files as they are now (what Stryker's vitest runs: every test file). */
export function currentTests(): Record<string, string> {
  return filesMatching(['test/**/*.test.ts']);
}

/** The module's source files as they are now (its globs in stryker.config.mjs). */
export async function currentSources(module: string): Promise<Record<string, string>> {
  const configModule: string = '../stryker.config.mjs';
  const { MODULES: globs } = (await import(configModule)) as { MODULES: Record<string, string[]> };
  return filesMatching(globs[module] ?? []);
}

/** The module's committed baseline, if it has one. */
export function readBaseline(module: string): MutationReport | undefined {
  const path = baselineOf(module);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as MutationReport) : undefined;
}

/** Per module: whether its baseline still matches the sources and tests (what a run would re-test). */
export async function baselineStaleness(): Promise<Record<string, string>> {
  const tests = currentTests();
  const scores = readScores();
  const entries = await Promise.all(
    MODULES.map(async (module): Promise<[string, string]> => {
      const baseline = readBaseline(module);
      if (baseline === undefined) return [module, 'none'];
      const estimate = estimateRetest(baseline, await currentSources(module), tests);
      if (estimate.toTest === 0) return [module, 'current'];
      return [
        module,
        `stale: ${estimate.toTest} to test, ≈ ${estimateMinutes(estimate.toTest, scores, module)} min`,
      ];
    }),
  );
  return Object.fromEntries(entries);
}
