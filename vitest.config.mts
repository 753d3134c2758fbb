import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One temporary folder per run, removed at its end (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    // Each file gets its own process: tests register a global tracer provider and context manager.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
