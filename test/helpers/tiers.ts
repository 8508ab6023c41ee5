/**
 * Which tiers this run includes, decided in one place (vitest.config.ts and the tests read it):
 *
 * - fast: unit and in-process tests, no build (`npm run test:fast`);
 * - integration: tests that drive the built CLI, fuzzing at a small case count (plain `npm test`);
 * - slow: soak, fuzzing at the full case count, conformance, pack and the container image. Part of
 *   `npm test` when CI=true or TEST_SLOW=1; alone with `npm run test:slow`.
 */
const flag = (value: string | undefined) => value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';

/** CI=true: nothing may be skipped for want of a tool or service; a missing one is a failure. */
export const IN_CI = flag(process.env['CI']);

/** The slow tier runs in CI and when asked for (TEST_SLOW=1, which `npm run test:slow` sets). */
export const SLOW = IN_CI || flag(process.env['TEST_SLOW']);

/**
 * The fuzz tests' share of their full case count: 1 in the slow tier, a small sample otherwise
 * (the full JSON-RPC line fuzz alone takes minutes on two cores). FUZZ_SCALE overrides both.
 */
export function fuzzScale(smallShare: number): number {
  const explicit = process.env['FUZZ_SCALE'];
  if (explicit !== undefined && explicit !== '') return Number(explicit);
  return SLOW ? 1 : smallShare;
}
