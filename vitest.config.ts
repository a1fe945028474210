import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Scratch files under one folder per run, removed at the end (test/global-tmp.ts).
    globalSetup: ['test/global-tmp.ts'],
    pool: 'threads',
    testTimeout: 20_000,
    hookTimeout: 600_000,
  },
});
