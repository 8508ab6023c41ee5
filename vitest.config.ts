import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { SLOW } from './test/helpers/tiers.js';

/**
 * Tiers, as vitest projects (README "Tests"):
 *
 * - fast: the server's unit and in-process tests, and the emulator package's own project
 *   (packages/emulator/vitest.config.ts). No build: they import the sources (the emulator package
 *   too, through the alias below) and start nothing from dist/ (the CLI path points nowhere in this
 *   tier, so a test that needs the build fails here instead of testing a stale one).
 *   `npm run test:fast`.
 * - integration: the built CLI over stdio and HTTP, real clients, security tests, and the fuzz
 *   tests at a small case count. Plain `npm test` runs fast + integration.
 * - slow: soak, the fuzz tests at their full case count, MCP conformance (downloads Node 22 and
 *   the suite on first use), the npm pack test and the container image. In `npm test` when
 *   CI=true or TEST_SLOW=1; alone with `npm run test:slow`.
 */
const NEEDS_BUILD_IN_UNIT = ['test/unit/emulator-obo-cli.test.ts', 'test/unit/oboBroker.test.ts'];
const FUZZ = ['test/fuzz/**/*.test.ts'];
const SLOW_FILES = ['test/soak/**/*.test.ts', 'test/loadBalancer/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/e2e/pack.test.ts', 'test/container/**/*.test.ts'];

/** Every project's; not `extends: true`, which would also run the global setup once per project. */
const shared = { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks' as const };

/** m365-copilot-emulator[/subpath] → its TypeScript source, from the package's own exports (dist/X.js ← src/X.ts). */
function emulatorSources(): { find: RegExp; replacement: string }[] {
  const dir = new URL('./packages/emulator/', import.meta.url);
  const { exports } = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { exports: Record<string, { default: string }> };
  return Object.entries(exports).map(([subpath, target]) => ({
    find: new RegExp(`^m365-copilot-emulator${subpath === '.' ? '' : subpath.slice(1).replace(/[/.-]/g, '\\$&')}$`),
    replacement: fileURLToPath(new URL(target.default.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts'), dir)),
  }));
}

export default defineConfig({
  test: {
    // Tool tests spawn real processes; two cores cannot run many at once (for all projects together).
    maxWorkers: 2,
    globalSetup: ['test/helpers/globalSetup.ts'],
    projects: [
      {
        resolve: { alias: emulatorSources() },
        test: { ...shared, name: 'fast', include: ['test/unit/**/*.test.ts'], exclude: [...configDefaults.exclude, ...NEEDS_BUILD_IN_UNIT], env: { M365_TEST_TIER: 'fast' } },
      },
      {
        test: {
          ...shared,
          name: 'integration',
          // One emulator per worker for the whole run; test files reset it (test/helpers/sharedEmulator.ts).
          globalSetup: ['test/helpers/sharedEmulators.ts'],
          include: ['test/{tools,e2e,http,security,contract}/**/*.test.ts', ...NEEDS_BUILD_IN_UNIT, ...(SLOW ? [] : FUZZ)],
          exclude: [...configDefaults.exclude, ...SLOW_FILES],
        },
      },
      ...(SLOW ? [{ test: { ...shared, name: 'slow', include: [...SLOW_FILES, ...FUZZ] } }] : []),
      // Each workspace package's own project (the emulator's is named "emulator").
      'packages/*',
    ],
  },
});
