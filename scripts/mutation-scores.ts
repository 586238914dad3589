// Per-module mutation scores. Each module's run (scripts/mutate.ts) records its score, with the commit and date it was
// measured at and how long it took, in test/mutation/scores.json (committed); scripts/mutation-report.ts prints them.
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeJsonAtomic } from '../src/util/atomic-write.js';

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

/** Where the scores are kept (committed). */
export const SCORES_FILE = 'test/mutation/scores.json';

/** Where each module's floor is kept (committed; checked locally by `mutate:scores --check`). */
export const THRESHOLDS_FILE = 'test/mutation/thresholds.json';

/** Stryker's report or incremental baseline: only the fields read here. */
export interface MutationReport {
  files: Record<string, { source?: string; mutants: { status: string; coveredBy?: string[] }[] }>;
  testFiles?: Record<string, { source?: string; tests: { id: string }[] }>;
}

/** Counts of one module's mutants, and its score (killed or timed out, over all that were tested). */
export interface ModuleScore {
  module: string;
  detected: number;
  survived: number;
  noCoverage: number;
  score: number;
}

const moduleRecordSchema = z.strictObject({
  score: z.number().min(0).max(100),
  detected: z.int().nonnegative(),
  survived: z.int().nonnegative(),
  noCoverage: z.int().nonnegative(),
  commit: z.string().min(1),
  date: z.string().min(1),
  minutes: z.number().nonnegative().nullable(),
  tested: z.int().nonnegative().nullable(),
  /** Stryker runs the module took (a module estimated over the per-run budget is tested in parts). */
  parts: z.int().positive().optional(),
  /** The longest of those runs, in minutes. */
  longestPartMinutes: z.number().nonnegative().optional(),
});

/** One module's recorded measurement: its score, the commit and date it was measured at, and what the run cost. */
export type ModuleRecord = z.infer<typeof moduleRecordSchema>;

const scoresSchema = z.partialRecord(z.enum(MODULES), moduleRecordSchema);

/** The committed scores file: one record per module that was measured. */
export type Scores = z.infer<typeof scoresSchema>;

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

/** Reads the scores file (empty when there is none), refusing one that does not have the expected shape. */
export function readScores(path = SCORES_FILE): Scores {
  if (!existsSync(path)) return {};
  const parsed = scoresSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new Error(`${path}: not a scores file: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`);
  return parsed.data;
}

/** The scores with one module's record replaced, modules in their fixed order (a stable file to diff). */
export function withModuleRecord(
  scores: Scores,
  module: (typeof MODULES)[number],
  record: ModuleRecord,
): Scores {
  const next: Scores = { ...scores, [module]: moduleRecordSchema.parse(record) };
  return Object.fromEntries(MODULES.flatMap((name) => (next[name] ? [[name, next[name]]] : [])));
}

/** Writes the scores file atomically. */
export function writeScores(scores: Scores, path = SCORES_FILE): void {
  writeJsonAtomic(path, scoresSchema.parse(scores));
}

/** The modules below their floor, as messages (a module without a floor has none). */
export function belowFloor(scores: Scores, floors: Readonly<Record<string, number>>): string[] {
  return MODULES.flatMap((module) => {
    const record = scores[module];
    const floor = floors[module];
    return record !== undefined && floor !== undefined && record.score < floor
      ? [`${module}: mutation score ${record.score.toFixed(1)}% is below its floor ${floor}%`]
      : [];
  });
}

/** The scores as a Markdown table; `staleness` says per module whether its baseline still matches the sources. */
export function scoresTable(
  scores: Scores,
  floors: Readonly<Record<string, number>>,
  staleness: Readonly<Record<string, string>>,
): string {
  const rows = MODULES.map((module) => {
    const record = scores[module];
    const floor = floors[module] === undefined ? '—' : `${floors[module]}%`;
    if (record === undefined)
      return `| ${module} | not measured | — | — | — | ${floor} | ${staleness[module] ?? '—'} |`;
    const parts =
      record.parts !== undefined && record.parts > 1
        ? ` in ${record.parts} parts (longest ${record.longestPartMinutes ?? '?'} min)`
        : '';
    const cost = record.minutes === null ? '—' : `${record.minutes} min${parts}`;
    return `| ${module} | ${record.score.toFixed(1)}% | ${record.survived + record.noCoverage} | ${record.commit} ${record.date} | ${cost} | ${floor} | ${staleness[module] ?? '—'} |`;
  });
  return [
    '| module | score | not detected | measured at | last run | floor | baseline |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Each module's floor. */
export function readFloors(path = THRESHOLDS_FILE): Record<string, number> {
  return existsSync(path)
    ? z.record(z.string(), z.number()).parse(JSON.parse(readFileSync(path, 'utf8')))
    : {};
}
