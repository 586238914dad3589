// The fast tier (`npm run test:fast`): unit tests and the integration tests that need no VM and no long waits,
// for feedback while editing. No test guest is built. The whole suite (`npm test`) stays what CI runs.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
    // Left to the full suite: process-heavy files that wait on real timeouts and signals (minutes of CPU on 2
    // cores), anything that boots a guest, runs the action entry point against the GitHub fakes, or typechecks
    // a copy of src/.
    exclude: [
      'test/integration/run-engine.test.ts',
      'test/integration/image-cache.test.ts',
      'test/integration/executor-table.test.ts',
      'test/security/guest-*.test.ts',
      'test/security/secrets-leaving.test.ts',
      'test/security/trust-policy.test.ts',
      'test/security/workflow-commands.test.ts',
    ],
    // Most of these tests wait on child processes: more workers than cores overlap the waiting.
    maxWorkers: 4,
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    // Safety nets, not measurements: generous enough for a busy 2-core machine (tests wait for events; timing
    // is measured in bench/).
    testTimeout: 120_000,
    // Never the real per-user cache folder: tests that need a cache name theirs (test/support/cli.ts).
    env: { VMPLAN_CACHE_DIR: join(tmpdir(), `vmplan-test-cache-${process.pid}`) },
    hookTimeout: 180_000,
  },
});
