import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Tool tests spawn real processes; two cores cannot run many at once (for all projects together).
    maxWorkers: 2,
    // `npm test` runs everything: the server's tests here, and each workspace package's own project.
    projects: [
      {
        test: {
          name: 'server',
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
      'packages/*',
    ],
  },
});
