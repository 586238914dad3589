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
    hookTimeout: 180_000,
  },
});
