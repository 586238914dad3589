import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // GitHub's workflow parser imports JSON without import attributes: let Vite transform it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
