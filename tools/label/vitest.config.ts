import { defineConfig } from 'vitest/config';

// Labelling aids run through vitest only because they import the TypeScript sources; not part of `npm test`.
export default defineConfig({
  test: { include: ['tools/label/**/*.run.ts'], environment: 'node', testTimeout: 1_800_000, pool: 'forks' },
});
