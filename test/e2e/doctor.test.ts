import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectClient } from '../helpers/mcpClients.js';
import { copilotLicence } from '../../src/commands/doctor/licence.js';

interface Check {
  id: string;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  detail: string;
  fix?: string;
  tools?: string[];
}
interface Report {
  ok: boolean;
  cloud: string;
  tools: string[];
  unavailableTools: { name: string; reason: string }[];
  toolsThatCannotWork: string[];
  checks: Check[];
}

const ORDER = ['config', 'authority', 'graph', 'sign-in', 'scopes', 'licence', 'app-only', 'http-server-app', 'keychain'];
const UNLICENSED = 'grady.archie@contoso-emu.example';

/** A fresh state directory: nobody signed in, tokens in the encrypted file cache. */
function freshEnv(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'm365-doctor-'));
  return { HOME: dir, M365_COPILOT_MCP_STATE_DIR: dir, M365_COPILOT_MCP_TOKEN_CACHE: 'file' };
}

async function doctor(args: string[], env: Record<string, string>): Promise<{ code: number | null; report: Report; stderr: string }> {
  const run = await runCli(['doctor', '--json', ...args], env);
  let report: Report;
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${run.code}); stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  expect(report.checks.map((c) => c.id)).toEqual(ORDER);
  return { code: run.code, report, stderr: run.stderr };
}

const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

/** A delegated Graph token of the demo user carrying only User.Read (the emulator's `emulator token`). */
async function graphToken(emulator: EmulatorProcess): Promise<string> {
  const run = await runCli(['emulator', 'token', '--emulator', emulator.file, '--user', 'demo', '--audience', emulator.descriptor.graphResource, '--scope', 'User.Read']);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
}

describe('m365-copilot-mcp doctor (against emulator processes)', () => {
  let emulator: EmulatorProcess;
  let restricted: EmulatorProcess;

  beforeAll(async () => {
    [emulator, restricted] = await Promise.all([
      useSharedEmulator({ autoApproveUpn: 'demo', deviceCodeIntervalSec: 1 }),
      startEmulatorProcess(['--auto-approve', UNLICENSED, '--device-code-interval', '1', '--without-app-role', 'AiEnterpriseInteraction.Read.All']),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([emulator?.stop(), restricted?.stop()]);
  });

  it('not signed in (fresh state): sign-in fails with the login fix, later delegated checks skip, exit 1', async () => {
    const { code, report } = await doctor(['--emulator', emulator.file], freshEnv());
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    for (const id of ['config', 'authority', 'graph', 'app-only']) expect(check(report, id).status, id).toBe('pass');
    const signIn = check(report, 'sign-in');
    expect(signIn.status).toBe('fail');
    expect(signIn.detail).toMatch(/not signed in/);
    expect(signIn.fix).toMatch(/m365-copilot-mcp login/);
    expect(check(report, 'scopes').status).toBe('skip');
    expect(check(report, 'licence').status).toBe('skip');
    expect(report.toolsThatCannotWork).toEqual(expect.arrayContaining(['copilot_retrieve', 'copilot_meeting_insights', 'copilot_status']));
    expect(report.toolsThatCannotWork).not.toContain('copilot_export_interactions');
    expect(['pass', 'warn']).toContain(check(report, 'keychain').status);
  });

  it('signed in (login auto-approved at the emulator): every check passes, exit 0; the text form has one line per check', async () => {
    const env = freshEnv();
    const login = await runCli(['login', '--emulator', emulator.file], env);
    expect(login.code, login.stderr).toBe(0);
    const { code, report } = await doctor(['--emulator', emulator.file], env);
    expect(report.checks.filter((c) => c.status === 'fail'), JSON.stringify(report.checks, null, 1)).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(check(report, 'sign-in').detail).toContain(emulator.descriptor.demoUser);
    expect(check(report, 'licence').detail).toMatch(/Microsoft_365_Copilot/);
    const text = await runCli(['doctor', '--emulator', emulator.file], env);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n').filter((l) => /^(PASS|FAIL|WARN|SKIP) {2}/.test(l));
    expect(lines).toHaveLength(ORDER.length);
    expect(text.stdout).toMatch(/Every tool this configuration offers can work/);
  });

  it('login consents to every tool the configuration offers: the beta Chat permissions with --enable-beta, not without', async () => {
    const scopesAfterLogin = async (extra: string[]) => {
      const env = freshEnv();
      const login = await runCli(['login', '--emulator', emulator.file, ...extra], env);
      expect(login.code, login.stderr).toBe(0);
      const status = await runCli(['status', '--json', '--emulator', emulator.file], env);
      return (JSON.parse(status.stdout) as { accounts: { scopes: string[] }[] }).accounts[0]!.scopes;
    };
    expect(await scopesAfterLogin([])).not.toContain('Mail.Read');
    expect(await scopesAfterLogin(['--enable-beta'])).toEqual(expect.arrayContaining(['Mail.Read', 'Chat.Read', 'ChannelMessage.Read.All']));
  });

  it('never starts a sign-in: the emulator sees no device-code request from doctor', async () => {
    await emulator.resetStats();
    await doctor(['--emulator', emulator.file], freshEnv());
    const stats = await emulator.stats();
    expect(stats.tokenRequests.byGrant['urn:ietf:params:oauth:grant-type:device_code'] ?? 0).toBe(0);
    expect(JSON.stringify(stats.graphRequests.byRoute)).not.toMatch(/devicecode/i);
  });

  it('unlicensed user and export app without its application permission: both fail with their fixes', async () => {
    const env = freshEnv();
    const login = await runCli(['login', '--emulator', restricted.file], env);
    expect(login.code, login.stderr).toBe(0);
    const { code, report } = await doctor(['--emulator', restricted.file], env);
    expect(code).toBe(1);
    expect(check(report, 'sign-in').status).toBe('pass');
    const licence = check(report, 'licence');
    expect(licence.status).toBe('fail');
    expect(licence.detail).toContain(`${UNLICENSED} has no Microsoft 365 Copilot licence`);
    expect(licence.detail).toContain('ENTERPRISEPACK');
    expect(licence.fix).toMatch(/assign a Microsoft 365 Copilot licence/);
    expect(licence.tools).toEqual(expect.arrayContaining(['copilot_retrieve', 'copilot_meeting_insights']));
    const app = check(report, 'app-only');
    expect(app.status).toBe('fail');
    expect(app.detail).toMatch(/without AiEnterpriseInteraction\.Read\.All/);
    expect(app.fix).toMatch(/admin consent/);
    expect(report.toolsThatCannotWork).toContain('copilot_export_interactions');
  });

  it('a token without the tools\' permissions: the scopes check names each tool and what it lacks', async () => {
    const token = await graphToken(emulator);
    const { code, report } = await doctor(['--emulator', emulator.file], { ...freshEnv(), M365_COPILOT_MCP_ACCESS_TOKEN: token });
    expect(code).toBe(1);
    expect(check(report, 'sign-in').detail).toMatch(/provided access token/);
    const scopes = check(report, 'scopes');
    expect(scopes.status).toBe('fail');
    expect(scopes.detail).toMatch(/copilot_retrieve lacks .*Files\.Read\.All/);
    expect(scopes.detail).toMatch(/copilot_meeting_insights lacks .*OnlineMeetingAiInsight\.Read\.All/);
    expect(scopes.tools).not.toContain('copilot_status');
    expect(check(report, 'licence').status).toBe('pass');
  });

  it('unreachable authority and Graph: both fail with a network fix, sign-in and licence skip, exit 1', async () => {
    const args = ['--tenant', 'contoso.example', '--client-id', '00000000-0000-0000-0000-000000000001', '--authority-host', 'https://127.0.0.1:9', '--graph-base-url', 'http://127.0.0.1:9'];
    const { code, report } = await doctor(args, freshEnv());
    expect(code).toBe(1);
    expect(check(report, 'config').status).toBe('pass');
    expect(check(report, 'authority').status).toBe('fail');
    expect(check(report, 'authority').detail).toMatch(/cannot reach https:\/\/127\.0\.0\.1:9\/contoso\.example\/v2\.0\/\.well-known\/openid-configuration/);
    expect(check(report, 'authority').fix).toMatch(/--authority-host/);
    expect(check(report, 'graph').status).toBe('fail');
    expect(check(report, 'sign-in').status).toBe('skip');
    expect(check(report, 'licence').status).toBe('skip');
    expect(report.toolsThatCannotWork).toContain('copilot_retrieve');
  });

  it('a stopped emulator: authority and Graph unreachable, the fix says to restart it; what needs them skips', async () => {
    const gone = await startEmulatorProcess([]);
    const file = join(mkdtempSync(join(tmpdir(), 'm365-doctor-gone-')), 'emulator.json');
    writeFileSync(file, JSON.stringify(gone.descriptor));
    await gone.stop();
    const { code, report } = await doctor(['--emulator', file], freshEnv());
    expect(code).toBe(1);
    // Its CA file may be gone with it (configuration fails) or not (the authority is unreachable).
    const config = check(report, 'config');
    if (config.status === 'fail') {
      expect(config.fix).toMatch(/emulator/i);
      // The keychain does not depend on the endpoints: it is still checked.
      for (const id of ORDER.slice(1, -1)) expect(check(report, id).status, id).toBe('skip');
    } else {
      expect(check(report, 'authority').status).toBe('fail');
      expect(check(report, 'authority').fix).toMatch(/Is the emulator still running\?/);
      expect(check(report, 'graph').status).toBe('fail');
      for (const id of ['sign-in', 'scopes', 'licence', 'app-only']) expect(check(report, id).status, id).toBe('skip');
    }
  });

  it('--demo: the in-process emulated tenant passes; sign-in is left to the first tool call, not reported as a failure', async () => {
    const { code, report } = await doctor(['--demo'], freshEnv());
    expect(code).toBe(0);
    expect(check(report, 'sign-in').status).toBe('skip');
    expect(check(report, 'sign-in').detail).toMatch(/--demo signs in as/);
    expect(check(report, 'app-only').status).toBe('pass');
  });

  it('bad configuration: the setting and where to set it, JSON still printed, exit 1', async () => {
    const { code, report } = await doctor([], { ...freshEnv(), M365_COPILOT_MCP_CLOUD: 'mars' });
    expect(code).toBe(1);
    const config = check(report, 'config');
    expect(config.status).toBe('fail');
    expect(config.detail).toMatch(/cloud.*M365_COPILOT_MCP_CLOUD/);
    expect(config.fix).toMatch(/--help/);
    const file = join(mkdtempSync(join(tmpdir(), 'm365-doctor-cfg-')), 'config.json');
    writeFileSync(file, '{ not json');
    const broken = await doctor(['--config', file], freshEnv());
    expect(broken.code).toBe(1);
    expect(check(broken.report, 'config').detail).toMatch(/not valid JSON/);
  });

  it('--cloud usgov (endpoints overridden to the emulator): retrieval and insights are not offered, doctor and copilot_status say why', async () => {
    const d = emulator.descriptor;
    const args = ['--cloud', 'usgov', '--authority-host', d.authorityHost, '--graph-base-url', d.graphBaseUrl, '--ca-cert', d.caCertPath, '--client-id', d.apps.publicClient.clientId, '--tenant', d.tenantId];
    const { report } = await doctor(args, freshEnv());
    expect(report.cloud).toBe('usgov');
    expect(report.tools).not.toContain('copilot_retrieve');
    expect(report.tools).not.toContain('copilot_meeting_insights');
    expect(report.tools).toContain('copilot_export_interactions');
    expect(report.unavailableTools.map((u) => u.name)).toEqual(expect.arrayContaining(['copilot_retrieve', 'copilot_meeting_insights']));
    expect(check(report, 'authority').status).toBe('pass');
    expect(report.toolsThatCannotWork).not.toContain('copilot_retrieve');

    // The emulator issues tokens for the global Graph resource only, so the server gets a provided token.
    const client = await connectClient('v2-2026', args, { M365_COPILOT_MCP_ACCESS_TOKEN: await graphToken(emulator) });
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('copilot_status');
      expect(names).toContain('copilot_export_interactions');
      expect(names).not.toContain('copilot_retrieve');
      expect(names).not.toContain('copilot_meeting_insights');
      const status = await client.callTool('copilot_status', {});
      expect(status.isError, JSON.stringify(status.content)).toBeFalsy();
      const structured = status.structuredContent as { cloud: string; unavailableTools?: { name: string; reason: string }[] };
      expect(structured.cloud).toBe('usgov');
      const retrieve = structured.unavailableTools?.find((u) => u.name === 'copilot_retrieve');
      expect(retrieve?.reason).toMatch(/Retrieval API does not exist in US Government L4 .*only in the global cloud/);
      expect(structured.unavailableTools?.map((u) => u.name)).toContain('copilot_meeting_insights');
      expect(status.content.map((c) => c.text).join('\n')).toMatch(/Unavailable: copilot_retrieve: /);
    } finally {
      await client.close();
    }
  });
});

describe('Copilot licence matching (GET /me/licenseDetails)', () => {
  const plan = (servicePlanId: string, provisioningStatus = 'Success') => ({ servicePlanId, provisioningStatus });
  it('matches the Copilot SKU, or any SKU carrying a Copilot service plan that is not disabled', () => {
    expect(copilotLicence([{ skuId: '639DEC6B-BB19-468B-871C-C5C441C4B0CB' }])).toBeDefined();
    expect(copilotLicence([{ skuId: 'ad9c22b3-52d7-4e7e-973c-88121ea96436', servicePlans: [plan('a62f8878-de10-42f3-b68f-6149a25ceb97')] }])).toBeDefined();
    expect(copilotLicence([{ skuId: 'x', servicePlans: [plan('3f30311c-6b1e-48a4-ab79-725b469da960', 'Disabled')] }])).toBeUndefined();
    expect(copilotLicence([{ skuId: '6fd2c87f-b296-42f0-b197-1e91e994b900', skuPartNumber: 'ENTERPRISEPACK', servicePlans: [plan('efb87545-963c-4e0d-99df-69c6916d9eb0')] }])).toBeUndefined();
    expect(copilotLicence([])).toBeUndefined();
  });
});
