// The fast tier (`npm run test:fast`): unit tests and the integration tests that need no VM and no long waits,
// for feedback while editing. No test guest is built. The whole suite (`npm test`) stays what CI runs.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
    // Process-heavy files that wait on real timeouts and signals (minutes of CPU on 2 cores), and anything that
    // boots a guest.
    exclude: [
      'test/integration/run-engine.test.ts',
      'test/integration/image-cache.test.ts',
      '**/*vm*.test.ts',
    ],
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
