import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';

/**
 * `doctor --http` with the flags of `serve --http`: the server app's registration as Entra would
 * see it, through app-only tokens of the server app only (no user).
 */
interface Check {
  id: string;
  status: 'pass' | 'fail' | 'warn' | 'skip';
  detail: string;
  fix?: string;
}

const PUBLIC = 'https://mcp.contoso-emu.example/mcp';
let emulator: EmulatorProcess;
let env: Record<string, string>;

async function serverAppCheck(): Promise<{ code: number | null; check: Check; signIn: Check }> {
  const run = await runCli(['doctor', '--json', '--http', '--emulator', emulator.file, '--public-url', PUBLIC], env);
  const report = JSON.parse(run.stdout) as { checks: Check[] };
  const find = (id: string) => report.checks.find((c) => c.id === id)!;
  return { code: run.code, check: find('http-server-app'), signIn: find('sign-in') };
}

const register = async (body: unknown) => expect((await emulator.control('/apps/mcp-server', body)).status).toBe(200);

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm365-doctor-http-'));
  env = { HOME: dir, M365_COPILOT_MCP_STATE_DIR: dir, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' };
  emulator = await useSharedEmulator();
}, 60_000);

afterAll(async () => {
  await emulator?.stop();
});

describe('doctor --http: the server app registration', () => {
  it('fails when the advertised resource is no identifier URI of the tenant (AADSTS9010010 for every client), with the fix', async () => {
    const { code, check, signIn } = await serverAppCheck();
    expect(check.status, check.detail).toBe('fail');
    expect(check.detail).toContain(`no app of the tenant has the identifier URI ${PUBLIC}`);
    expect(check.fix).toContain(`Add ${PUBLIC}`);
    expect(signIn.status).toBe('skip');
    expect(code).toBe(1);
  });

  it('with the identifier URI registered: passes the credential and resource, warns that it cannot read the registration', async () => {
    await register({ identifierUris: [emulator.descriptor.apps.mcpServer.appIdUri, PUBLIC] });
    const { code, check } = await serverAppCheck();
    expect(check.status, check.detail).toBe('warn');
    expect(check.detail).toContain(`the advertised resource ${PUBLIC} is its identifier URI`);
    expect(check.fix).toContain('Application.Read.All');
    expect(code).toBe(0);
  });

  it('allowed to read the registration: names the scope and the authorized clients; finds a missing scope and no authorized clients', async () => {
    await register({ identifierUris: [emulator.descriptor.apps.mcpServer.appIdUri, PUBLIC], appRoles: ['Application.Read.All'] });
    const good = await serverAppCheck();
    expect(good.check.status, good.check.detail).toBe('pass');
    expect(good.check.detail).toContain(`authorized clients: ${emulator.descriptor.apps.publicClient.clientId}`);

    await register({ preAuthorizedClientIds: [] });
    const none = await serverAppCheck();
    expect(none.check.status, none.check.detail).toBe('warn');
    expect(none.check.detail).toContain('no client application is authorized');

    await register({ exposedScopes: ['something_else'] });
    const noScope = await serverAppCheck();
    expect(noScope.check.status).toBe('fail');
    expect(noScope.check.detail).toContain('does not expose the scope access_as_user');
    expect(noScope.code).toBe(1);
  });

  it('the identifier URI with a trailing slash is another resource', async () => {
    await emulator.control('/reset', {});
    await register({ identifierUris: [emulator.descriptor.apps.mcpServer.appIdUri, `${PUBLIC}/`] });
    const { check } = await serverAppCheck();
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('no app of the tenant has the identifier URI');
  });
});
