import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
