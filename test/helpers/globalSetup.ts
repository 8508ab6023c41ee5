import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './paths.js';
import { useRunTempRoot } from './runTempRoot.js';
import { missingFor, SYSTEM_NEEDS, type SystemNeed } from './system.js';
import { IN_CI, SLOW } from './tiers.js';

/**
 * Runs once per `vitest run`, before any test file: gives the run one temporary directory, removed at
 * the end (runTempRoot.ts); says which tiers run and, once for the whole run, which system services are
 * missing and which test files skip for want of them (test files declare their needs with
 * skipWithout(...), found here by reading them).
 */
export default function setup(): () => void {
  const removeTempRoot = useRunTempRoot((line) => process.stderr.write(`${line}\n`));
  const lines: string[] = [];
  const users = filesByNeed();
  for (const need of Object.keys(SYSTEM_NEEDS) as SystemNeed[]) {
    const problems = missingFor(need);
    const files = users.get(need) ?? [];
    if (problems.length === 0 || files.length === 0) continue;
    lines.push(`  ${need} — ${SYSTEM_NEEDS[need].what}: ${problems.join('; ')}`, `      ${IN_CI ? 'FAILS' : 'skips'}: ${files.join(', ')}`);
  }
  const tiers = SLOW ? 'slow tier included (CI=true or TEST_SLOW=1)' : 'slow tier not included (TEST_SLOW=1 or npm run test:slow adds it; CI=true always does)';
  process.stderr.write(`\n[tests] ${tiers}\n`);
  if (lines.length) {
    process.stderr.write(
      `[tests] missing on this machine${IN_CI ? ' — CI=true, so the tests that need it fail' : '; the tests that need it are skipped (CI=true fails them; .ci/run installs everything)'}:\n${lines.join('\n')}\n\n`,
    );
  }
  return removeTempRoot;
}

/** test file → the needs it declares, by the skipWithout('…') calls in its text. */
function filesByNeed(): Map<SystemNeed, string[]> {
  const found = new Map<SystemNeed, string[]>();
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.name === 'node_modules' || e.name.startsWith('.') ? [] : e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
  for (const file of walk(join(ROOT, 'test'))) {
    for (const call of readFileSync(file, 'utf8').matchAll(/skipWithout\(([^)]*)\)/g)) {
      for (const [, need] of call[1]!.matchAll(/'([\w-]+)'/g)) {
        const list = found.get(need as SystemNeed) ?? [];
        list.push(relative(ROOT, file));
        found.set(need as SystemNeed, list);
      }
    }
  }
  return found;
}
