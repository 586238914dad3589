// Mutation testing of vmplan's core, one module at a time (scripts/mutate.ts runs them: npm run mutate [MODULE...]).
// Each module keeps its own incremental baseline, test/mutation/<module>.json (committed): a run re-tests only the
// mutants whose code or covering tests changed, and a run cut short (a machine that stops) loses one module's
// progress at most. VMPLAN_MUTATE_MODULE names the module; without it, every module in one run with a scratch
// incremental file. Tests that only drive child processes cannot see the active mutant: the in-process tests carry
// the score (vitest.mutation.config.ts leaves the others out).

/** The core modules and what of each is mutated (the pure parts of src/executors count as one module). */
export const MODULES = {
  config: ['src/config/**/*.ts'],
  plan: ['src/plan/**/*.ts'],
  engine: ['src/engine/**/*.ts'],
  records: ['src/records/**/*.ts'],
  util: ['src/util/**/*.ts'],
  report: ['src/report/**/*.ts'],
  results: ['src/results/**/*.ts'],
  workspace: ['src/workspace/**/*.ts'],
  executors: [
    'src/executors/job-env.ts',
    'src/executors/phases.ts',
    'src/executors/vm-options.ts',
    'src/executors/qemu/args.ts',
    'src/executors/vfkit/args.ts',
    'src/executors/vm/guest-result.ts',
    'src/executors/vm/vm-spec.ts',
  ],
};

const only = process.env.VMPLAN_MUTATE_MODULE;
if (only !== undefined && !Object.hasOwn(MODULES, only))
  throw new Error(
    `VMPLAN_MUTATE_MODULE: no module "${only}" (expected one of ${Object.keys(MODULES).join(', ')})`,
  );
const name = only ?? 'all';

// scripts/mutate.ts tests a long module in parts: VMPLAN_MUTATE_FILES names one part's files (one per line), each of
// which must be the module's. Stryker keeps the baseline's results for the module's other files.
const partFiles = (process.env.VMPLAN_MUTATE_FILES ?? '').split('\n').filter((file) => file !== '');
if (partFiles.length > 0) {
  if (only === undefined) throw new Error('VMPLAN_MUTATE_FILES: needs VMPLAN_MUTATE_MODULE');
  const prefixes = MODULES[only].map((glob) => glob.replace(/\*\*\/\*\.ts$/, ''));
  const outside = partFiles.filter(
    (file) =>
      !prefixes.some(
        (prefix) =>
          file === prefix || (prefix.endsWith('/') && file.startsWith(prefix) && file.endsWith('.ts')),
      ),
  );
  if (outside.length > 0)
    throw new Error(`VMPLAN_MUTATE_FILES: not files of module "${only}": ${outside.join(', ')}`);
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: {
    configFile: 'vitest.mutation.config.ts',
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: {
    prioritizePerformanceOverAccuracy: true,
  },
  coverageAnalysis: 'perTest',
  mutate:
    only === undefined ? Object.values(MODULES).flat() : partFiles.length > 0 ? partFiles : MODULES[only],
  ignoreStatic: true,
  incremental: true,
  incrementalFile:
    only === undefined ? 'reports/mutation/all-incremental.json' : `test/mutation/${only}.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: {
    fileName: `reports/mutation/${name}.html`,
  },
  jsonReporter: {
    fileName: `reports/mutation/${name}.json`,
  },
  thresholds: {
    high: 90,
    low: 85,
    break: null,
  },
  // Checkers first, then their share goes to test runners (Stryker frees them once checking is done).
  concurrency: 3,
  // A mutant that makes a test hang counts as killed once it overruns; 8 s beyond the normal time is plenty on an idle
  // machine and keeps hanging mutants from dominating a run.
  timeoutMS: 8000,
  // The initial run of every test with coverage takes ~3 minutes on an idle 2-core machine; Stryker's default limit
  // (5 minutes) ended runs on a busy one before any mutant was tested.
  dryRunTimeoutMinutes: 20,
  tempDirName: '.stryker-tmp',
};
