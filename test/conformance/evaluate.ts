import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A check as the suite writes it to <output dir>/server-<scenario>-<timestamp>/checks.json. */
export interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED' | 'INFO' | string;
  errorMessage?: string | null;
}

/**
 * expected-failures.<set>.json: what we know fails (FAILURE) or only warns (WARNING, a SHOULD),
 * each with a one-line reason. A key is a scenario (every check of it may fail, at least one must)
 * or `scenario:check-id` (exactly that check fails), the same keys as the suite's own baselines.
 */
export interface Expected {
  suite: string;
  failures: Record<string, string>;
  warnings: Record<string, string>;
}

export interface SetReport {
  /** Problems that fail the test: unexpected failures or warnings, stale entries, missing scenarios. */
  problems: string[];
  scenarios: { scored: Tally; notScored: Tally; other: string[] };
  checks: { passed: number; failed: number; warnings: number };
}
interface Tally {
  passed: string[];
  failed: string[];
}

const SEVERITY: Record<string, number> = { FAILURE: 3, WARNING: 2 };
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/;

/** scenario -> its checks, as the suite reported them. */
export function readResults(outputDir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  for (const entry of readdirSync(outputDir)) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    if (scenario) results.set(scenario, JSON.parse(readFileSync(join(outputDir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return results;
}

/** check id -> the occurrence with the most severe status (an id may repeat within a scenario, e.g. per probe). */
function byCheckId(checks: Check[]): Map<string, Check> {
  const byId = new Map<string, Check>();
  for (const check of checks) {
    const seen = byId.get(check.id);
    if (!seen || (SEVERITY[check.status] ?? 0) > (SEVERITY[seen.status] ?? 0)) byId.set(check.id, check);
  }
  return byId;
}

export function evaluate(reported: Map<string, Check[]>, expected: Expected, scenarios: { scored: string[]; notScored: Map<string, string> }): SetReport {
  const problems: string[] = [];
  const results = new Map([...reported].map(([scenario, checks]) => [scenario, byCheckId(checks)]));
  const known = new Set([...scenarios.scored, ...scenarios.notScored.keys()]);
  for (const scenario of known) if (!results.has(scenario)) problems.push(`${scenario}: no result (the suite did not run it or crashed)`);

  const withStatus = (status: string) =>
    [...results].flatMap(([scenario, checks]) => [...checks.values()].filter((c) => c.status === status).map((c) => ({ scenario, check: c })));
  const compare = (kind: 'failure' | 'warning', status: string, listed: Record<string, string>) => {
    const actual = withStatus(status);
    for (const { scenario, check } of actual) {
      if (listed[scenario] === undefined && listed[`${scenario}:${check.id}`] === undefined)
        problems.push(`unexpected ${kind}: ${scenario}:${check.id}${check.errorMessage ? ` — ${check.errorMessage.slice(0, 300)}` : ''}`);
    }
    for (const [key, reason] of Object.entries(listed)) {
      const [scenario = '', checkId] = key.split(/:(.*)/s);
      if (!reason.trim() || reason.includes('\n')) problems.push(`expected ${kind} ${key}: needs a one-line reason`);
      if (!known.has(scenario)) problems.push(`expected ${kind} ${key}: ${scenario} is not a server scenario of this requirement set`);
      const still = checkId === undefined ? actual.some((a) => a.scenario === scenario) : actual.some((a) => a.scenario === scenario && a.check.id === checkId);
      if (!still && results.has(scenario)) {
        const now = checkId === undefined ? 'has none' : `is ${results.get(scenario)?.get(checkId)?.status ?? 'not reported'}`;
        problems.push(`stale expected ${kind} ${key}: listed as ${status} but ${now} now; remove the entry (or fix the reason it passes)`);
      }
    }
  };
  compare('failure', 'FAILURE', expected.failures);
  compare('warning', 'WARNING', expected.warnings);

  const tally = (names: string[]): Tally => {
    const failed = names.filter((s) => [...(results.get(s)?.values() ?? [])].some((c) => c.status === 'FAILURE') || !results.has(s));
    return { passed: names.filter((s) => !failed.includes(s)), failed };
  };
  const all = [...reported.values()].flat();
  return {
    problems,
    scenarios: { scored: tally(scenarios.scored), notScored: tally([...scenarios.notScored.keys()]), other: [...results.keys()].filter((s) => !known.has(s)) },
    checks: {
      passed: all.filter((c) => c.status === 'SUCCESS').length,
      failed: all.filter((c) => c.status === 'FAILURE').length,
      warnings: all.filter((c) => c.status === 'WARNING').length,
    },
  };
}
