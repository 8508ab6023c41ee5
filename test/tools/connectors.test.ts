/**
 * Connector connection ids, which the externalItem source of copilot_retrieve needs, can be found:
 * copilot_status lists them (Graph "List externalConnections") when the signed-in user holds
 * ExternalConnection.Read.All, says how to get them when not, and the argument error that asks for
 * them points there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TenantFacts } from 'm365-copilot-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceCodeTokens } from '../helpers/emulatorToken.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { connectClient, textOf, type McpTestClient } from '../helpers/mcpClients.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { factsOf } from './facts.js';

type Status = { connectors: { connections: { id: string; name?: string }[]; listed: boolean; note?: string } };

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
    } finally {
      await client.close();
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

  it('the error asking for connectionIds says where to find them', async () => {
    const client = await serverWith(['User.Read']);
    try {
      const r = await client.callTool('copilot_retrieve', { query: 'vpn', sources: ['externalItem'] });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/connectionIds/);
      expect(textOf(r)).toMatch(/copilot_status lists/);
    } finally {
      await client.close();
    }
  });
});
