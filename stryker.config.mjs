// Mutation testing of vmplan's core on the fast test tier (npm run mutate; npm run mutate -- --mutate 'src/util/**/*.ts'
// for one module). Tests that only drive child processes cannot see the active mutant: the in-process tests carry
// the score. Incremental: re-runs test only mutants whose code or tests changed (test/mutation/ is committed).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: {
    configFile: 'vitest.fast.config.ts',
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: {
    prioritizePerformanceOverAccuracy: true,
  },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/config/**/*.ts',
    'src/plan/**/*.ts',
    'src/engine/**/*.ts',
    'src/records/**/*.ts',
    'src/util/**/*.ts',
    'src/report/**/*.ts',
    'src/results/**/*.ts',
    'src/workspace/**/*.ts',
    'src/executors/job-env.ts',
    'src/executors/vm-options.ts',
    'src/executors/qemu/args.ts',
    'src/executors/vfkit/args.ts',
    'src/executors/vm/guest-result.ts',
    'src/executors/vm/vm-spec.ts',
  ],
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'test/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: {
    fileName: 'reports/mutation/index.html',
  },
  jsonReporter: {
    fileName: 'reports/mutation/mutation.json',
  },
  thresholds: {
    high: 90,
    low: 85,
    break: null,
  },
  concurrency: 2,
  timeoutMS: 20000,
  tempDirName: '.stryker-tmp',
};
