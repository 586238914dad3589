// CI's mutation gate: runs Stryker incrementally on the core modules changed since the committed mutation
// baseline (the last commit of test/mutation/stryker-incremental.json), within a time budget, and fails when a
// touched module's score falls below its threshold (test/mutation/thresholds.json: the baseline, ratcheting up to
// 85%). `tsx scripts/mutate-changed.ts [--budget-minutes N]`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { moduleOf, moduleScores } from './mutation-scores.js';

/** The core modules a list of changed paths touches, sorted. */
export function touchedModules(changed: readonly string[]): string[] {
  return [...new Set(changed.flatMap((path) => moduleOf(path) ?? []))].sort();
}

/** Stryker's mutate globs for some modules (the config's own globs, so the pure-parts list of executors holds). */
export function mutateGlobs(globs: readonly string[], modules: readonly string[]): string[] {
  return globs.filter((glob) => modules.includes(moduleOf(glob) ?? ''));
}

/** Modules whose score is below their threshold, as messages. */
export function belowThreshold(
  scores: readonly { module: string; score: number }[],
  thresholds: Readonly<Record<string, number>>,
): string[] {
  return scores.flatMap(({ module, score }) => {
    const threshold = thresholds[module] ?? 85;
    return score < threshold
      ? [`${module}: mutation score ${score.toFixed(1)}% is below its threshold ${threshold}%`]
      : [];
  });
}

function git(args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8' }).trim();
}

async function main(args: string[]): Promise<number> {
  const budgetIndex = args.indexOf('--budget-minutes');
  const budgetMinutes = budgetIndex === -1 ? 25 : Number(args[budgetIndex + 1]);
  const baseline = git(['log', '-1', '--format=%H', '--', 'test/mutation/stryker-incremental.json']);
  if (baseline === '') {
    console.error(
      'no mutation baseline committed (test/mutation/stryker-incremental.json): run npm run mutate',
    );
    return 1;
  }
  const modules = touchedModules(
    git(['diff', '--name-only', baseline, 'HEAD', '--', 'src']).split('\n').filter(Boolean),
  );
  if (modules.length === 0) {
    console.log(
      `mutation: no core module changed since the baseline (${baseline.slice(0, 12)}); nothing to test`,
    );
    return 0;
  }
  const configModule: string = '../stryker.config.mjs';
  const { default: config } = (await import(configModule)) as { default: { mutate: string[] } };
  const globs = mutateGlobs(config.mutate, modules);
  console.log(
    `mutation: ${modules.join(', ')} changed since ${baseline.slice(0, 12)}; Stryker on ${globs.length} glob(s), budget ${budgetMinutes} min`,
  );
  const stryker = spawn(
    'npx',
    ['stryker', 'run', '--mutate', globs.join(','), '--reporters', 'json,progress-append-only'],
    {
      stdio: 'inherit',
    },
  );
  const timer = setTimeout(() => stryker.kill('SIGTERM'), budgetMinutes * 60_000);
  const code = await new Promise<number | null>((resolve) => stryker.on('close', resolve));
  clearTimeout(timer);
  if (code !== 0) {
    console.error(
      code === null
        ? `mutation: Stryker ran past its ${budgetMinutes}-minute budget: run npm run mutate locally and commit test/mutation/`
        : `mutation: Stryker failed (exit ${code})`,
    );
    return 1;
  }
  const report = JSON.parse(readFileSync('reports/mutation/mutation.json', 'utf8'));
  const thresholdsFile = 'test/mutation/thresholds.json';
  const thresholds = existsSync(thresholdsFile) ? JSON.parse(readFileSync(thresholdsFile, 'utf8')) : {};
  const scores = moduleScores(report).filter((score) => modules.includes(score.module));
  for (const score of scores)
    console.log(
      `mutation: ${score.module} ${score.score.toFixed(1)}% (threshold ${thresholds[score.module] ?? 85}%)`,
    );
  const low = belowThreshold(scores, thresholds);
  for (const line of low) console.error(line);
  return low.length === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main(process.argv.slice(2)));
