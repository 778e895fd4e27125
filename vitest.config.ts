import { defineConfig } from 'vitest/config';

// Node tests only. Browser end-to-end tests drive Debian chromium through playwright-core from Node
// (test/browser/*.test.ts), so they run in this same runner with a longer timeout.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
