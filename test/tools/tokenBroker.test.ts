import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { browse } from '../../packages/emulator/test/helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectClient, textOf } from '../helpers/mcpClients.js';
import { CLI } from '../helpers/paths.js';
import { signInAs } from '../helpers/signIn.js';
import { factsOf } from './facts.js';

const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./;
let emulator: EmulatorProcess;
let facts: TenantFacts;
const stateDirs: string[] = [];
const freshState = () => {
  const dir = mkdtempSync(join(tmpdir(), 'm365-state-'));
  stateDirs.push(dir);
  return dir;
};

beforeAll(async () => {
  emulator = await useSharedEmulator({ deviceCodeIntervalSec: 1, retrievalBudgetPerHour: 100000 });
  facts = await factsOf(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

describe('token broker', () => {
  it('200 concurrent tool calls with an expired token make exactly one token request', async () => {
    const client = await connectClient('v2-2026', ['--emulator', emulator.file, '--sign-in-wait', '0', '--token-cache', 'memory', '--retrieval-budget-per-hour', '100000']);
    try {
      await signInAs(client, emulator, facts.demoUser.upn);
      // Leave a token in MSAL's cache that it considers stale (it renews within 5 minutes of expiry):
      // a key rollover makes Graph reject the current one, and the refreshed one lives only 250 s.
      await emulator.control('/tokens/lifetime', { seconds: 250 });
      await emulator.control('/keys/rotate', {});
      const renewed = await client.callTool('copilot_retrieve', { query: 'vpn', sources: ['sharePoint'] });
      expect(renewed.isError, textOf(renewed)).toBeFalsy();
      await emulator.control('/tokens/lifetime', { seconds: 3600 });
      await emulator.resetStats();
      const results = await Promise.all(Array.from({ length: 200 }, () => client.callTool('copilot_retrieve', { query: 'corporate vpn', sources: ['sharePoint'] })));
      expect(results.filter((r) => r.isError).map(textOf)).toEqual([]);
      const stats = await emulator.stats();
      expect(stats.tokenRequests.total).toBe(1);
      expect(stats.tokenRequests.byGrant['refresh_token']).toBe(1);
      expect(client.stderr()).not.toMatch(JWT);
    } finally {
      await emulator.control('/tokens/lifetime', { seconds: 3600 });
      await client.close();
    }
  });

  it('sign-in through URL elicitation finishes inside the same tool call', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, '--emulator', emulator.file, '--sign-in-wait', '0', '--token-cache', 'memory'], stderr: 'pipe' });
    const client = new ClientV1({ name: 'elicit', version: '1' }, { capabilities: { elicitation: { url: {} } } });
    const seen: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      const params = req.params as { mode?: string; url?: string; message: string };
      seen.push(`${params.mode} ${params.url}`);
      const code = /code ([A-Z0-9-]+)/.exec(params.message)?.[1];
      // The "user" opens the page and approves.
      await emulator.control('/devicecode/approve', { userCode: code, upn: facts.demoUser.upn });
      return { action: 'accept' };
    });
    await client.connect(transport);
    try {
      const r = (await client.callTool({ name: 'copilot_status', arguments: {} })) as { isError?: boolean; structuredContent?: { user: { upn: string } } };
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent!.user.upn).toBe(facts.demoUser.upn);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(/^url https:\/\/127\.0\.0\.1:\d+\/devicelogin$/);
    } finally {
      await client.close();
    }
  });

  it('a declined URL elicitation leaves the sign-in code in the error', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, '--emulator', emulator.file, '--sign-in-wait', '0', '--token-cache', 'memory'], stderr: 'pipe' });
    const client = new ClientV1({ name: 'elicit', version: '1' }, { capabilities: { elicitation: { url: {} } } });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
    await client.connect(transport);
    try {
      const r = (await client.callTool({ name: 'copilot_status', arguments: {} })) as { isError?: boolean; content: { text: string }[] };
      expect(r.isError).toBe(true);
      expect(r.content[0]!.text).toMatch(/\[AuthPending\].*enter the code/s);
    } finally {
      await client.close();
    }
  });

  it('2026-07-28 client with URL elicitation: input_required shows the sign-in page, and the retried call completes', async () => {
    const transport = new StdioV2({ command: process.execPath, args: [CLI, '--emulator', emulator.file, '--sign-in-wait', '0', '--token-cache', 'memory'], stderr: 'pipe' });
    const client = new ClientV2({ name: 'elicit-modern', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { url: {} } } });
    const seen: string[] = [];
    client.setRequestHandler('elicitation/create', async (req) => {
      const params = req.params as { mode?: string; url?: string; message: string };
      seen.push(`${params.mode} ${params.url}`);
      const code = /code ([A-Z0-9-]+)/.exec(params.message)?.[1];
      await emulator.control('/devicecode/approve', { userCode: code, upn: facts.demoUser.upn });
      return { action: 'accept' };
    });
    await client.connect(transport);
    try {
      const r = (await client.callTool({ name: 'copilot_status', arguments: {} })) as { isError?: boolean; structuredContent?: { user: { upn: string } }; content: unknown };
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      expect(r.structuredContent!.user.upn).toBe(facts.demoUser.upn);
      expect(seen).toEqual([expect.stringMatching(/^url https:\/\/127\.0\.0\.1:\d+\/devicelogin$/)]);
    } finally {
      await client.close();
    }
  });

  it('2026-07-28: a declined sign-in page leaves the code in the error; a forged requestState is refused', async () => {
    const transport = new StdioV2({ command: process.execPath, args: [CLI, '--emulator', emulator.file, '--sign-in-wait', '0', '--token-cache', 'memory'], stderr: 'pipe' });
    const client = new ClientV2({ name: 'elicit-modern', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { url: {} } } });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'decline' }));
    await client.connect(transport);
    try {
      const r = (await client.callTool({ name: 'copilot_status', arguments: {} })) as { isError?: boolean; content: { text: string }[] };
      expect(r.isError).toBe(true);
      expect(r.content[0]!.text).toMatch(/\[AuthPending\].*enter the code/s);
      // The state is the server's: one the client made up is refused before the tool runs.
      const manual = (await client.callTool({ name: 'copilot_status', arguments: {} }, { allowInputRequired: true })) as { resultType?: string; requestState?: string };
      expect(manual.resultType).toBe('input_required');
      const [body, mac] = manual.requestState!.slice(3).split('.');
      const forged = `v1.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), p: { flow: 'sign-in', tool: 'copilot_retrieve' } })).toString('base64url')}.${mac}`;
      await expect(client.callTool({ name: 'copilot_status', arguments: {}, requestState: forged, inputResponses: { signIn: { action: 'accept' } } } as never)).rejects.toThrow(/requestState/);
    } finally {
      await client.close();
    }
  });

  it('login, status and logout share a persistent encrypted cache with the server', async () => {
    const stateDir = freshState();
    const env = { M365_COPILOT_MCP_STATE_DIR: stateDir, M365_COPILOT_MCP_TOKEN_CACHE: 'file', HOME: stateDir };
    const before = await runCli(['status', '--emulator', emulator.file], env);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/Not signed in/);

    const login = await runCli(['login', '--device-code', '--emulator', emulator.file], env, (_chunk, all) => {
      const code = /enter the code ([A-Z0-9-]+)/.exec(all)?.[1];
      if (code && !all.includes('approved:')) void emulator.control('/devicecode/approve', { userCode: code, upn: facts.licensedUser.upn });
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`Signed in as ${facts.licensedUser.upn}`);

    const status = await runCli(['status', '--emulator', emulator.file, '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as { accounts: { upn: string; scopes: string[]; accessTokenExpiresAt: string }[]; cache: { kind: string; reason: string } };
    expect(report.cache.kind).toBe('encrypted-file');
    expect(report.accounts.map((a) => a.upn)).toEqual([facts.licensedUser.upn]);
    expect(report.accounts[0]!.scopes).toEqual(expect.arrayContaining(['Files.Read.All', 'OnlineMeetingAiInsight.Read.All']));
    expect(status.stdout).not.toMatch(JWT);

    // A server started later uses the cached account: no sign-in.
    const client = await connectClient('v1-2025', ['--emulator', emulator.file, '--sign-in-wait', '0'], env);
    try {
      const r = await client.callTool('copilot_status', {});
      expect(r.isError, textOf(r)).toBeFalsy();
      expect((r.structuredContent as { user: { upn: string } }).user.upn).toBe(facts.licensedUser.upn);
    } finally {
      await client.close();
    }
    // Nothing readable on disk.
    for (const f of readdirSync(stateDir, { recursive: true }) as string[]) {
      const p = join(stateDir, f);
      try {
        expect(readFileSync(p, 'utf8')).not.toMatch(JWT);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EISDIR') throw e;
      }
    }
    const logout = await runCli(['logout', '--all', '--emulator', emulator.file], env);
    expect(logout.code).toBe(0);
    expect(logout.stdout).toContain(facts.licensedUser.upn);
    expect((await runCli(['status', '--emulator', emulator.file], env)).code).toBe(1);
  });

  it('several accounts can be cached; --account chooses one', async () => {
    const stateDir = freshState();
    const env = { M365_COPILOT_MCP_STATE_DIR: stateDir, M365_COPILOT_MCP_TOKEN_CACHE: 'file', HOME: stateDir };
    for (const upn of [facts.demoUser.upn, facts.licensedUser.upn]) {
      let approved = false;
      const login = await runCli(['login', '--emulator', emulator.file], env, (_c, all) => {
        const code = /enter the code ([A-Z0-9-]+)/.exec(all)?.[1];
        if (code && !approved) {
          approved = true;
          void emulator.control('/devicecode/approve', { userCode: code, upn });
        }
      });
      expect(login.code, login.stderr).toBe(0);
    }
    const status = JSON.parse((await runCli(['status', '--emulator', emulator.file, '--json'], env)).stdout) as { accounts: { upn: string }[] };
    expect(status.accounts.map((a) => a.upn).sort()).toEqual([facts.demoUser.upn, facts.licensedUser.upn].sort());
    for (const upn of [facts.licensedUser.upn, facts.demoUser.upn]) {
      const client = await connectClient('v2-2026', ['--emulator', emulator.file, '--account', upn, '--sign-in-wait', '0'], env);
      try {
        const r = await client.callTool('copilot_status', {});
        expect(r.isError, textOf(r)).toBeFalsy();
        expect((r.structuredContent as { user: { upn: string } }).user.upn).toBe(upn);
      } finally {
        await client.close();
      }
    }
    const out = await runCli(['logout', '--account', facts.demoUser.upn, '--emulator', emulator.file], env);
    expect(out.stdout).toContain(`Signed out: ${facts.demoUser.upn}`);
    const after = JSON.parse((await runCli(['status', '--emulator', emulator.file, '--json'], env)).stdout) as { accounts: { upn: string }[] };
    expect(after.accounts.map((a) => a.upn)).toEqual([facts.licensedUser.upn]);
  });

  it('login --browser runs auth code + PKCE on a loopback redirect', async () => {
    const stateDir = freshState();
    const env = { M365_COPILOT_MCP_STATE_DIR: stateDir, M365_COPILOT_MCP_TOKEN_CACHE: 'file', HOME: stateDir };
    let visited = false;
    const login = await runCli(['login', '--browser', '--emulator', emulator.file, '--account', facts.demoUser.upn], env, (_c, all) => {
      const url = /visit:\n\s+(https:\/\/\S+)/.exec(all)?.[1];
      if (!url || visited) return;
      visited = true;
      // The person's browser: the consent page (approve as the demo user), then MSAL's loopback.
      void browse(url, { ca: readFileSync(emulator.descriptor.caCertPath, 'utf8'), consent: { decision: 'approve', upn: facts.demoUser.upn } });
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`Signed in as ${facts.demoUser.upn}`);
    expect((await emulator.stats()).tokenRequests.byGrant['authorization_code']).toBeGreaterThanOrEqual(1);
  });

  it('two server processes share one cache without losing a rotated refresh token', async () => {
    const stateDir = freshState();
    const env = { M365_COPILOT_MCP_STATE_DIR: stateDir, M365_COPILOT_MCP_TOKEN_CACHE: 'file', HOME: stateDir };
    const a = await connectClient('v1-2025', ['--emulator', emulator.file, '--sign-in-wait', '0'], env);
    const b = await connectClient('v2-2026', ['--emulator', emulator.file, '--sign-in-wait', '0'], env);
    try {
      await signInAs(a, emulator, facts.licensedUser.upn);
      await emulator.control('/tokens/lifetime', { seconds: 1 });
      // Every call now refreshes (MSAL renews tokens close to expiry), alternating between the processes.
      for (let i = 0; i < 6; i++) {
        const [ra, rb] = await Promise.all([a.callTool('copilot_status', {}), b.callTool('copilot_status', {})]);
        expect(ra.isError, textOf(ra)).toBeFalsy();
        expect(rb.isError, textOf(rb)).toBeFalsy();
      }
      expect(a.stderr() + b.stderr()).not.toMatch(JWT);
    } finally {
      await emulator.control('/tokens/lifetime', { seconds: 3600 });
      await a.close();
      await b.close();
    }
  });

  it('a provided access token is used without sign-in, and its expiry is explained', async () => {
    const client = await connectClient('v2-2026', ['--emulator', emulator.file], { M365_COPILOT_MCP_ACCESS_TOKEN: 'eyJhbGciOiJub25lIn0.' + Buffer.from(JSON.stringify({ exp: 1, oid: 'x', tid: 'y', upn: 'z@example.com', scp: 'User.Read' })).toString('base64url') + '.x' });
    try {
      const r = await client.callTool('copilot_status', {});
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/\[AuthRequired\]: the access token provided .* expired at 1970-01-01T00:00:01.000Z/);
    } finally {
      await client.close();
    }
  });
});

describe('real-tenant configuration, pointed at the emulator', () => {
  // The same flags a real tenant needs, with the emulator's hosts: proves the non-emulator wiring.
  const realFlags = () => {
    const d = emulator.descriptor;
    return ['--tenant', d.tenantId, '--authority-host', d.authorityHost, '--graph-base-url', d.graphBaseUrl, '--ca-cert', d.caCertPath, '--client-id', d.apps.publicClient.clientId];
  };

  it('exports interactions with a certificate credential (client assertion)', async () => {
    const d = emulator.descriptor as typeof emulator.descriptor & { apps: { exportApp: { certificatePath?: string } } };
    expect(d.apps.exportApp.certificatePath).toBeTruthy();
    await emulator.resetStats();
    const client = await connectClient('v2-2026', [...realFlags(), '--export-client-id', d.apps.exportApp.clientId, '--export-certificate', d.apps.exportApp.certificatePath!]);
    try {
      const r = await client.callTool('copilot_export_interactions', { userId: facts.demoUser.id, limit: 3 });
      expect(r.isError, textOf(r)).toBeFalsy();
      const stats = (await emulator.stats()) as unknown as { tokenRequests: { byClientAuth?: Record<string, number> } };
      expect(stats.tokenRequests.byClientAuth?.['assertion']).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('tells a tenant that does not exist apart from a network failure', async () => {
    const flags = realFlags();
    flags[1] = 'no-such-tenant.example';
    const client = await connectClient('v1-2025', [...flags, '--sign-in-wait', '0']);
    try {
      const r = await client.callTool('copilot_status', {});
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/\[AuthFailed\]: the identity provider https:\/\/127\.0\.0\.1:\d+ refused the authority: 400 invalid_tenant/);
      expect(textOf(r)).toMatch(/90002/);
      expect(textOf(r)).toMatch(/--tenant/);
    } finally {
      await client.close();
    }
  });

  it('a refresh refused for lack of consent asks for a new sign-in, naming the scopes and the admin-consent URL', async () => {
    const client = await connectClient('v2-2026', ['--emulator', emulator.file, '--sign-in-wait', '0']);
    try {
      await signInAs(client, emulator, facts.demoUser.upn);
      // Armed after signing in: copilot_status (which signInAs calls) refreshes too, for the connector list it may show.
      await emulator.control('/errors/next', { error: 'consent_required', grant: 'refresh_token', upn: facts.demoUser.upn });
      // The next refresh is refused for lack of consent: the answer names the scopes and the admin-consent URL.
      const r = await client.callTool('copilot_meeting_insights', { latest: true });
      expect(r.isError).toBe(true);
      const text = textOf(r);
      expect(text).toMatch(/\[AuthPending\]: Sign-in required \(consent is required for OnlineMeetingAiInsight\.Read\.All/);
      expect(text).toMatch(/adminconsent\?client_id=/);
      expect(text).toMatch(/enter the code [A-Z0-9-]+/);
    } finally {
      await emulator.control('/errors/clear', {});
      await client.close();
    }
  });
});
