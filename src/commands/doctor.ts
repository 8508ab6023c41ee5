import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import { appOnlyCheck } from './doctor/appOnly.js';
import { authorityCheck } from './doctor/authority.js';
import type { CheckResult, DoctorCheck, DoctorState } from './doctor/check.js';
import { configCheck } from './doctor/config.js';
import { graphCheck } from './doctor/graph.js';
import { httpServerAppCheck } from './doctor/httpServerApp.js';
import { keychainCheck } from './doctor/keychain.js';
import { licenceCheck } from './doctor/licence.js';
import { scopesCheck } from './doctor/scopes.js';
import { signInCheck } from './doctor/signIn.js';

/** In this order: each check may use what the earlier ones found, and skips when what it needs failed. */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [configCheck, authorityCheck, graphCheck, signInCheck, scopesCheck, licenceCheck, appOnlyCheck, httpServerAppCheck, keychainCheck];

const LABEL: Record<CheckResult['status'], string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };

/**
 * `m365-copilot-mcp doctor [--json]`: one line per check with the fix; never starts a sign-in.
 * Exit 0 when every registered tool can work, 1 when any cannot.
 */
export async function runDoctor(loaded: Config | Error, flags: Record<string, string | boolean | undefined>): Promise<number> {
  const json = flags['json'] === true;
  // Findings go to stdout; library chatter stays off the report.
  const log = createLogger(flags['log-level'] === 'debug' ? 'debug' : 'error', { component: 'doctor' });
  const state: DoctorState = { loaded, log, tools: [], unavailable: [] };
  const results: CheckResult[] = [];
  try {
    for (const check of DOCTOR_CHECKS) {
      let outcome: Omit<CheckResult, 'id' | 'title'>;
      try {
        outcome = await check.run(state);
      } catch (err) {
        outcome = { status: 'fail', detail: `the check itself failed: ${(err as Error)?.message ?? String(err)}` };
      }
      const result: CheckResult = { id: check.id, title: check.title, ...outcome };
      results.push(result);
      if (!json) process.stdout.write(render(result));
    }
  } finally {
    await state.stop?.().catch(() => {});
  }
  const failed = results.filter((r) => r.status === 'fail');
  const toolsThatCannotWork = [...new Set(failed.flatMap((r) => r.tools ?? []))];
  const ok = failed.length === 0;
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          ok,
          cloud: state.endpoints?.cloud ?? state.config?.cloud,
          tenantSource: state.endpoints?.tenantSource,
          authority: state.endpoints?.authority,
          graphBaseUrl: state.endpoints?.graphBaseUrl,
          tools: state.tools.map((t) => t.name),
          unavailableTools: state.unavailable,
          toolsThatCannotWork,
          checks: results,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
    const lines = [
      '',
      ...state.unavailable.map((u) => `Not offered in this cloud: ${u.name}: ${u.reason}`),
      `${count('pass')} passed, ${count('fail')} failed, ${count('warn')} warnings, ${count('skip')} skipped.`,
      ok ? 'Every tool this configuration offers can work.' : `Tools that cannot work: ${toolsThatCannotWork.join(', ') || '(see the failures above)'}.`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  // MSAL and keep-alive sockets may hold the loop open; the report is complete.
  setTimeout(() => process.exit(ok ? 0 : 1), 100).unref();
  return ok ? 0 : 1;
}

function render(r: CheckResult): string {
  const head = `${LABEL[r.status]}  ${r.title}: ${r.detail}\n`;
  return r.fix && r.status !== 'pass' ? `${head}      Fix: ${r.fix}\n` : head;
}
