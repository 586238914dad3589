import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One worker per CPU (vitest's default leaves one out): most files wait on child processes and guests that
    // each keep one core busy, so on 2 cores the suite takes about half as long (measured here: 7.9 min instead of 14).
    maxWorkers: availableParallelism(),
    globalSetup: ['test/global-setup.ts'],
    // GitHub's workflow parser imports JSON without import attributes: let Vite transform it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    // Safety nets, not measurements: generous enough for a busy 2-core machine (tests wait for events; timing
    // is measured in bench/).
    testTimeout: 120_000,
    // Never the real per-user cache folder: tests that need a cache name theirs (test/support/cli.ts).
    env: { VMPLAN_CACHE_DIR: join(tmpdir(), `vmplan-test-cache-${process.pid}`) },
    hookTimeout: 180_000,
  },
});
