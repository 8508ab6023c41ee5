import { defineConfig } from 'vitest/config';

// The emulator's own tests: they import its sources directly, so they need no build.
export default defineConfig({
  test: {
    name: 'emulator',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
