// Per-module mutation scores from Stryker's JSON report (reports/mutation/mutation.json), and the gate CI applies:
// `tsx scripts/mutation-scores.ts [--min 85] [MODULE...]` prints a table and exits 1 when a named module (default:
// every module in the report) scores below the minimum; `--write-thresholds` records each module's CI floor.
import { readFileSync, writeFileSync } from 'node:fs';

/** The core modules mutation testing covers, as reported (the pure parts of src/executors count as one). */
export const MODULES = [
  'config',
  'plan',
  'engine',
  'records',
  'util',
  'report',
  'results',
  'workspace',
  'executors',
] as const;

/** Stryker's report: only the fields read here. */
interface MutationReport {
  files: Record<string, { mutants: { status: string }[] }>;
}

/** Counts of one module's mutants, and its score (killed or timed out, over all that were tested). */
export interface ModuleScore {
  module: string;
  detected: number;
  survived: number;
  noCoverage: number;
  score: number;
}

/** The module a source path belongs to (`src/plan/build.ts` → `plan`), or undefined outside the core. */
export function moduleOf(path: string): string | undefined {
  const match = /(?:^|\/)src\/([^/]+)\//.exec(path.replaceAll('\\', '/'));
  return match?.[1] !== undefined && (MODULES as readonly string[]).includes(match[1]) ? match[1] : undefined;
}

/** Scores per module, as Stryker counts them: compile errors and ignored mutants do not count. */
export function moduleScores(report: MutationReport): ModuleScore[] {
  const scores = new Map<string, ModuleScore>();
  for (const [path, file] of Object.entries(report.files)) {
    const module = moduleOf(path);
    if (module === undefined) continue;
    const score = scores.get(module) ?? { module, detected: 0, survived: 0, noCoverage: 0, score: 0 };
    for (const { status } of file.mutants) {
      if (status === 'Killed' || status === 'Timeout') score.detected++;
      else if (status === 'Survived') score.survived++;
      else if (status === 'NoCoverage') score.noCoverage++;
    }
    scores.set(module, score);
  }
  for (const score of scores.values()) {
    const valid = score.detected + score.survived + score.noCoverage;
    score.score = valid === 0 ? 100 : (100 * score.detected) / valid;
  }
  return [...scores.values()].sort((a, b) => a.module.localeCompare(b.module));
}

function main(args: string[]): number {
  const minIndex = args.indexOf('--min');
  const min = minIndex === -1 ? 85 : Number(args[minIndex + 1]);
  const named = args.filter((arg, index) => !arg.startsWith('--') && index !== minIndex + 1);
  const report = JSON.parse(readFileSync('reports/mutation/mutation.json', 'utf8')) as MutationReport;
  const scores = moduleScores(report).filter((score) => named.length === 0 || named.includes(score.module));
  console.log('| module | score | detected | survived | no coverage |\n| --- | --- | --- | --- | --- |');
  for (const score of scores) {
    console.log(
      `| ${score.module} | ${score.score.toFixed(1)}% | ${score.detected} | ${score.survived} | ${score.noCoverage} |`,
    );
  }
  if (args.includes('--write-thresholds')) {
    // Each module's floor for CI: what it scores now, up to the goal; a module never goes back below it.
    const thresholds = Object.fromEntries(
      scores.map((score) => [score.module, Math.min(min, Math.floor(score.score))]),
    );
    writeFileSync('test/mutation/thresholds.json', `${JSON.stringify(thresholds, null, 2)}\n`);
    return 0;
  }
  const low = scores.filter((score) => score.score < min);
  for (const score of low)
    console.error(`${score.module}: mutation score ${score.score.toFixed(1)}% < ${min}%`);
  return low.length === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(main(process.argv.slice(2)));
