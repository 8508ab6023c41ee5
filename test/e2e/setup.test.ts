import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectV1WithOAuth } from '../helpers/browserSignIn.js';
import { runCli } from '../helpers/cli.js';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { CLI } from '../helpers/paths.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { freePort } from '../helpers/freePort.js';

/**
 * `setup` against a fresh emulated tenant: an administrator signs in (device code, auto-approved),
 * the server app's registration is updated through Graph's applications API, a second run changes
 * nothing, and `serve` with exactly the printed flags lets a client sign in from scratch.
 */
interface SetupReport {
  serverApp: string;
  dryRun: boolean;
  changed: boolean;
  changes: string[];
  serve: { args: string[]; env: Record<string, string> };
  clients: { scope: string; clientIds: string[] };
}

let emulator: EmulatorProcess;
let env: Record<string, string>;
let publicUrl: string;
let serve: ChildProcess | undefined;
const ADMIN = 'alex.wilber@contoso-emu.example'; // "IT Administrator": may manage app registrations


async function setup(extra: string[] = []): Promise<{ code: number | null; report: SetupReport; stderr: string }> {
  const run = await runCli(['setup', '--json', '--emulator', emulator.file, '--public-url', publicUrl, ...extra], env);
  try {
    return { code: run.code, report: JSON.parse(run.stdout) as SetupReport, stderr: run.stderr };
  } catch {
    throw new Error(`setup printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm365-setup-'));
  env = { HOME: dir, M365_COPILOT_MCP_STATE_DIR: dir, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' };
  emulator = await useSharedEmulator({ autoApproveUpn: ADMIN });
  publicUrl = `http://127.0.0.1:${await freePort()}/mcp`;
}, 60_000);

afterAll(async () => {
  serve?.kill('SIGTERM');
  await emulator?.stop();
});

describe('m365-copilot-mcp setup', () => {
  it('--dry-run prints the plan and changes nothing', async () => {
    const { code, report } = await setup(['--dry-run']);
    expect(code).toBe(0);
    expect(report.dryRun).toBe(true);
    expect(report.changes).toEqual(expect.arrayContaining([`add the identifier URI ${publicUrl}`]));
    const registration = (await (await emulator.control('/apps/mcp-server')).json()) as { identifierUris: string[] };
    expect(registration.identifierUris).not.toContain(publicUrl);
  });

  it('updates the registration, and a second run changes nothing', async () => {
    const extraClient = '11111111-2222-4333-8444-555555555555';
    // No admin consent yet for the server app's Graph permissions: on-behalf-of would fail.
    expect((await emulator.control('/apps/mcp-server', { delegatedScopes: [] })).status).toBe(200);
    const first = await setup(['--preauthorize', extraClient]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.report.changed).toBe(true);
    expect(first.report.changes).toEqual(expect.arrayContaining([`add the identifier URI ${publicUrl}`, `authorize the client ${extraClient} for access_as_user`]));
    const registration = (await (await emulator.control('/apps/mcp-server')).json()) as { identifierUris: string[]; preAuthorizedClientIds: string[]; requestedAccessTokenVersion: number };
    expect(registration.identifierUris).toContain(publicUrl);
    expect(registration.preAuthorizedClientIds).toEqual(expect.arrayContaining([emulator.descriptor.apps.publicClient.clientId, extraClient]));
    expect(registration.requestedAccessTokenVersion).toBe(2);
    expect(first.report.changes.find((c) => c.startsWith('grant admin consent'))).toMatch(/Files\.Read\.All.*Sites\.Read\.All/);
    expect((registration as unknown as { delegatedScopes: string[] }).delegatedScopes).toEqual(expect.arrayContaining(['Files.Read.All', 'Sites.Read.All', 'User.Read']));

    const second = await setup(['--preauthorize', extraClient]);
    expect(second.report.changed).toBe(false);
    expect(second.report.changes).toEqual([]);
    expect(second.report.serve).toEqual(first.report.serve);
  });

  it('serve with exactly the printed flags: a client signs in from scratch and calls copilot_retrieve', async () => {
    const { report } = await setup();
    expect(report.serve.args).toEqual(['serve', '--http', '--emulator', emulator.file, '--public-url', publicUrl, '--port', new URL(publicUrl).port]);
    serve = spawn(process.execPath, [CLI, ...report.serve.args, '--audit-file', 'off'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', ...env, ...report.serve.env } });
    let stderr = '';
    serve.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: serve!.stdout! }).once('line', resolve);
      serve!.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
    });
    expect(JSON.parse(line)).toMatchObject({ url: publicUrl });
    const client = await connectV1WithOAuth(emulator, publicUrl, readFileSync(emulator.descriptor.caCertPath, 'utf8'));
    try {
      const result = await client.callTool({ name: 'copilot_retrieve', arguments: { query: 'vpn', sources: ['sharePoint'] } });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      const status = await client.callTool({ name: 'copilot_status', arguments: {} });
      expect((status.structuredContent as { user: { upn: string } }).user.upn).toBe(ADMIN);
    } finally {
      await client.close();
    }
  });

  it('a user who may not manage app registrations is refused with the next step', async () => {
    await emulator.control('/reset', { autoApproveUpn: 'demo' });
    const run = await runCli(['setup', '--emulator', emulator.file, '--public-url', publicUrl], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Application Administrator');
  });
});

/**
 * A fresh tenant (emulator --fresh-tenant): no public client and no server app until setup creates
 * them; then serve with exactly the printed args and env, and a client signs in with the created
 * public client from scratch.
 */
interface CreatedReport extends SetupReport {
  publicClient: string;
  secretKept: boolean;
  stdio: { args: string[] };
}

describe('m365-copilot-mcp setup on a fresh tenant', () => {
  let fresh: EmulatorProcess;
  let freshEnv: Record<string, string>;
  let url: string;
  let freshServe: ChildProcess | undefined;
  let serverSecret = '';

  async function freshSetup(extra: string[] = []): Promise<{ code: number | null; report: CreatedReport; stderr: string; stdout: string }> {
    const run = await runCli(['setup', '--json', '--emulator', fresh.file, '--public-url', url, ...extra], freshEnv);
    try {
      return { code: run.code, report: JSON.parse(run.stdout) as CreatedReport, stderr: run.stderr, stdout: run.stdout };
    } catch {
      throw new Error(`setup printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    }
  }

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365-setup-fresh-'));
    freshEnv = { HOME: dir, M365_COPILOT_MCP_STATE_DIR: dir, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' };
    fresh = await startEmulatorProcess(['--fresh-tenant', '--auto-approve', ADMIN]);
    url = `http://127.0.0.1:${await freePort()}/mcp`;
  }, 60_000);

  afterAll(async () => {
    freshServe?.kill('SIGTERM');
    await fresh?.stop();
  });

  it('the fresh tenant names no public client and no server app', () => {
    const apps = fresh.descriptor.apps as Record<string, unknown>;
    expect(Object.keys(apps)).toEqual(['exportApp']);
  });

  it('--dry-run plans the creations and creates nothing', async () => {
    const { code, report } = await freshSetup(['--dry-run']);
    expect(code).toBe(0);
    expect(report.changes).toEqual(expect.arrayContaining(['create the public client "m365-copilot-mcp (stdio)"', 'create the server app "m365-copilot-mcp (HTTP server)"', 'add a client secret to the server app']));
    const again = await freshSetup(['--dry-run']);
    expect(again.report.changes).toEqual(report.changes);
  });

  it('creates everything, a second run changes nothing and keeps the secret, and the printed serve works', async () => {
    const first = await freshSetup();
    expect(first.code, first.stderr).toBe(0);
    expect(first.report.changed).toBe(true);
    const secret = first.report.serve.env['M365_COPILOT_MCP_SERVER_CLIENT_SECRET'];
    expect(secret).toMatch(/~/);
    serverSecret = secret!;
    expect(first.stderr).not.toContain(secret);
    expect(first.report.serve.args).toEqual(['serve', '--http', '--emulator', fresh.file, '--server-client-id', first.report.serverApp, '--public-url', url, '--port', new URL(url).port]);
    expect(first.report.stdio.args).toEqual(['--emulator', fresh.file, '--client-id', first.report.publicClient]);

    const second = await freshSetup();
    expect(second.report.changes).toEqual([]);
    expect(second.report.changed).toBe(false);
    expect(second.report.secretKept).toBe(true);
    expect(second.stdout).not.toContain(secret);
    expect([second.report.serverApp, second.report.publicClient]).toEqual([first.report.serverApp, first.report.publicClient]);

    freshServe = spawn(process.execPath, [CLI, ...first.report.serve.args, '--audit-file', 'off'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', ...freshEnv, ...first.report.serve.env } });
    let stderr = '';
    freshServe.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: freshServe!.stdout! }).once('line', resolve);
      freshServe!.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
    });
    expect(JSON.parse(line)).toMatchObject({ url });
    const client = await connectV1WithOAuth(fresh, url, readFileSync(fresh.descriptor.caCertPath, 'utf8'), first.report.publicClient);
    try {
      const result = await client.callTool({ name: 'copilot_retrieve', arguments: { query: 'vpn', sources: ['sharePoint'] } });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    } finally {
      await client.close();
    }
    expect(stderr).not.toContain(secret);
  });

  it('--new-secret adds another secret', async () => {
    const run = await freshSetup(['--new-secret']);
    expect(run.report.changes).toEqual(['add a client secret to the server app']);
    expect(run.report.serve.env['M365_COPILOT_MCP_SERVER_CLIENT_SECRET']).toMatch(/~/);
  });

  it('--export-app sets up the export app, a second run changes nothing, and the printed serve exports with its new secret and granted roles', async () => {
    const exportAppId = fresh.descriptor.apps.exportApp.clientId;
    const dry = await freshSetup(['--export-app', '--dry-run']);
    expect(dry.report.changes).toEqual([
      'list the Microsoft Graph permissions AiEnterpriseInteraction.Read.All, User.Read.All on the export app',
      `grant the Microsoft Graph application permissions AiEnterpriseInteraction.Read.All, User.Read.All to the export app ${exportAppId}`,
      'add a client secret to the export app',
      'define the app role Interactions.Export.All (users) on the server app',
    ]);

    const first = await freshSetup(['--export-app']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.report.changes).toEqual(dry.report.changes);
    const exportSecret = first.report.serve.env['M365_COPILOT_MCP_EXPORT_CLIENT_SECRET'];
    expect(exportSecret).toMatch(/~/);
    expect(first.stderr).not.toContain(exportSecret);
    expect(first.report.serve.args.slice(-2)).toEqual(['--export-client-id', exportAppId]);

    const second = await freshSetup(['--export-app']);
    expect(second.report.changes).toEqual([]);
    expect((second.report as unknown as { exportApp: { secretKept: boolean } }).exportApp.secretKept).toBe(true);
    expect(second.stdout).not.toContain(exportSecret);

    // (The second run read back through Graph the grants, the secret and the server app's export role it made.)

    freshServe?.kill('SIGTERM');
    if (freshServe && freshServe.exitCode === null) await new Promise((resolve) => freshServe!.once('exit', resolve));
    const serveEnv = { ...first.report.serve.env, M365_COPILOT_MCP_SERVER_CLIENT_SECRET: serverSecret };
    freshServe = spawn(process.execPath, [CLI, ...first.report.serve.args, '--audit-file', 'off'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', ...freshEnv, ...serveEnv } });
    let stderr = '';
    freshServe.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<string>((resolve, reject) => {
      createInterface({ input: freshServe!.stdout! }).once('line', resolve);
      freshServe!.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stderr}`)));
    });
    const client = await connectV1WithOAuth(fresh, url, readFileSync(fresh.descriptor.caCertPath, 'utf8'), first.report.publicClient);
    try {
      // By UPN: the export app resolves it (User.Read.All) and reads the interactions (AiEnterpriseInteraction.Read.All).
      const own = await client.callTool({ name: 'copilot_export_interactions', arguments: { userId: ADMIN, limit: 5 } });
      expect(own.isError, JSON.stringify(own.content)).toBeFalsy();
      expect((own.structuredContent as { user: { upn?: string } }).user.upn?.toLowerCase()).toBe(ADMIN);
      // Without the role (setup assigns it to nobody), another user's interactions stay refused.
      const other = fresh.descriptor.users.find((u) => u.upn !== ADMIN)!;
      const refused = await client.callTool({ name: 'copilot_export_interactions', arguments: { userId: other.id, limit: 5 } });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('Interactions.Export.All');
    } finally {
      await client.close();
    }

    // An administrator assigns the role as the output says (Graph's POST /users/{id}/appRoleAssignments); then anyone's may be exported.
    const minted = (await (await fresh.control('/tokens/mint', { user: ADMIN, audience: 'https://graph.microsoft.com', scope: 'AppRoleAssignment.ReadWrite.All Application.Read.All' })).json()) as { access_token: string };
    const graph = (path: string, body?: unknown) =>
      fetch(`${fresh.descriptor.graphBaseUrl}/v1.0${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${minted.access_token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const serverApp = (await (await graph(`/applications(appId='${first.report.serverApp}')`)).json()) as { appRoles: { id: string; value: string; allowedMemberTypes: string[] }[] };
    const role = serverApp.appRoles.find((r) => r.value === 'Interactions.Export.All');
    expect(role?.allowedMemberTypes).toEqual(['User']);
    const serverSp = (await (await graph(`/servicePrincipals(appId='${first.report.serverApp}')`)).json()) as { id: string };
    const admin = fresh.descriptor.users.find((u) => u.upn === ADMIN)!;
    const assigned = await graph(`/users/${admin.id}/appRoleAssignments`, { principalId: admin.id, resourceId: serverSp.id, appRoleId: role!.id });
    expect(assigned.status, await assigned.clone().text()).toBe(201);
    const withRole = await connectV1WithOAuth(fresh, url, readFileSync(fresh.descriptor.caCertPath, 'utf8'), first.report.publicClient);
    try {
      const other = fresh.descriptor.users.find((u) => u.upn !== ADMIN)!;
      const anyone = await withRole.callTool({ name: 'copilot_export_interactions', arguments: { userId: other.id, limit: 5 } });
      expect(anyone.isError, JSON.stringify(anyone.content)).toBeFalsy();
      expect((anyone.structuredContent as { user: { id: string } }).user.id).toBe(other.id);
    } finally {
      await withRole.close();
    }
    expect(stderr).not.toContain(exportSecret);
  });
});
