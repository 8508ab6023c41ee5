/**
 * Connector connection ids, which the externalItem source of copilot_retrieve needs, can be found:
 * copilot_status lists them (Graph "List externalConnections") when the signed-in user holds
 * ExternalConnection.Read.All or gets it silently (a refresh under the admin's consent), says how to
 * get them when not, and the argument error that asks for them points there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TenantFacts } from 'm365-copilot-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceCodeTokens } from '../helpers/emulatorToken.js';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { connectClient, textOf, type McpTestClient } from '../helpers/mcpClients.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { factsOf } from './facts.js';

type Status = { connectors: { connections: { id: string; name?: string }[]; listed: boolean; listedAt?: string; note?: string } };
const connectionRequests = async (e: EmulatorProcess) => Object.entries((await e.stats()).graphRequests.byRoute).filter(([route]) => route.includes('external/connections')).reduce((n, [, byStatus]) => n + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);

let emulator: EmulatorProcess;
let facts: TenantFacts;
const dirs: string[] = [];
beforeAll(async () => {
  emulator = await useSharedEmulator({});
  facts = await factsOf(emulator);
});
afterAll(async () => {
  await emulator?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serverWith(scopes: string[]): Promise<McpTestClient> {
  const dir = mkdtempSync(join(tmpdir(), 'm365-connectors-'));
  dirs.push(dir);
  const { access_token } = await deviceCodeTokens(emulator, facts.demoUser.upn, scopes);
  return connectClient('v2-2026', ['--emulator', emulator.file], { M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir, M365_COPILOT_MCP_ACCESS_TOKEN: access_token });
}

describe('connector connection ids are discoverable', () => {
  it('copilot_status lists the connections when the user holds ExternalConnection.Read.All, and those ids work in copilot_retrieve', async () => {
    const client = await serverWith(['User.Read', 'Files.Read.All', 'Sites.Read.All', 'ExternalItem.Read.All', 'ExternalConnection.Read.All']);
    try {
      const r = await client.callTool('copilot_status', {});
      expect(r.isError, textOf(r)).toBeFalsy();
      const { connectors } = r.structuredContent as Status;
      expect(connectors.listed).toBe(true);
      expect(connectors.connections).toContainEqual(expect.objectContaining({ id: facts.connector.connection.id, name: facts.connector.connection.name }));
      expect(textOf(r)).toContain(facts.connector.connection.id);
      const found = await client.callTool('copilot_retrieve', { query: facts.connector.query, sources: ['externalItem'], connectionIds: [connectors.connections[0]!.id] });
      expect(found.isError, textOf(found)).toBeFalsy();
      // The listing is reused for a minute (tools/connectionListings.ts), and says when Graph gave it.
      expect(Date.parse(connectors.listedAt!)).toBeGreaterThan(Date.now() - 60_000);
      const before = await connectionRequests(emulator);
      const again = await client.callTool('copilot_status', {});
      expect((again.structuredContent as Status).connectors).toEqual(connectors);
      expect(textOf(again)).toContain(`listed ${connectors.listedAt}`);
      expect(await connectionRequests(emulator)).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('with --demo (MSAL device code, admin consent): copilot_status gets ExternalConnection.Read.All silently, without a new sign-in, and lists them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365-connectors-demo-'));
    dirs.push(dir);
    const client = await connectClient('v2-2026', ['--demo'], { M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir });
    try {
      const r = await client.callTool('copilot_status', {});
      expect(r.isError, textOf(r)).toBeFalsy();
      const { connectors } = r.structuredContent as Status;
      expect(connectors.listed, connectors.note).toBe(true);
      expect(connectors.connections.map((c) => c.id)).toContain(facts.connector.connection.id);
    } finally {
      await client.close();
    }
  });

  it('under per-user consent (a refresh cannot add scopes) copilot_status does not list them and starts no second sign-in', async () => {
    const own = await startEmulatorProcess(['--auto-approve', 'demo', '--user-consent']);
    const dir = mkdtempSync(join(tmpdir(), 'm365-connectors-consent-'));
    dirs.push(dir);
    const client = await connectClient('v2-2026', ['--emulator', own.file, '--sign-in-wait', '20'], { M365_COPILOT_MCP_STATE_DIR: dir, HOME: dir, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' });
    try {
      const r = await client.callTool('copilot_status', {});
      expect(r.isError, textOf(r)).toBeFalsy();
      const { connectors } = r.structuredContent as Status;
      expect(connectors.listed).toBe(false);
      expect(connectors.note).toMatch(/ExternalConnection\.Read\.All/);
      const stats = await own.stats();
      // The one sign-in this status call needed (User.Read), and nothing for the extra.
      expect(stats.deviceCodes.issued).toBe(1);
      expect(JSON.stringify(stats.graphRequests.byRoute)).not.toMatch(/external\/connections/);
      // And the session is intact: the next call needs no sign-in.
      const again = await client.callTool('copilot_status', {});
      expect(again.isError, textOf(again)).toBeFalsy();
      expect((await own.stats()).deviceCodes.issued).toBe(1);
    } finally {
      await client.close();
      await own.stop();
    }
  });

  it('without that permission copilot_status still answers, says the ids are not listed and how to get them, and asks Graph nothing for them', async () => {
    const client = await serverWith(['User.Read']);
    try {
      await emulator.resetStats();
      const r = await client.callTool('copilot_status', {});
      expect(r.isError, textOf(r)).toBeFalsy();
      const { connectors } = r.structuredContent as Status;
      expect(connectors).toMatchObject({ listed: false, connections: [] });
      expect(connectors.note).toMatch(/ExternalConnection\.Read\.All/);
      expect(connectors.note).toMatch(/admin/);
      const stats = await emulator.stats();
      expect(JSON.stringify(stats.graphRequests.byRoute)).not.toMatch(/external\/connections/);
    } finally {
      await client.close();
    }
  });

  it('connectionIds are optional (every connection the user can read) and their description says where to find them', async () => {
    const client = await serverWith(['User.Read']);
    try {
      const { tools } = await client.listTools();
      const schema = tools.find((t) => t.name === 'copilot_retrieve')!.inputSchema as { properties: Record<string, { description?: string }> };
      expect(schema.properties['connectionIds']!.description).toMatch(/copilot_status lists/);
      const r = await client.callTool('copilot_retrieve', { query: 'vpn', sources: ['externalItem'] });
      expect(textOf(r)).not.toMatch(/connectionIds is required/);
    } finally {
      await client.close();
    }
  });
});
