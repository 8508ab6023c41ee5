import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The built CLI: tool tests drive the shipped binary, not the sources. The fast tier runs no build,
 * so there it names a file that does not exist: a test that needs dist/ fails at once (and belongs
 * in the integration tier) instead of driving whatever stale build is lying around.
 */
export const CLI =
  process.env['M365_TEST_TIER'] === 'fast'
    ? fileURLToPath(new URL('../../dist/the-fast-tier-runs-no-build--this-test-belongs-in-integration/cli.js', import.meta.url))
    : fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
