import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectHttpClient, mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { textOf, type McpTestClient } from '../helpers/mcpClients.js';

/**
 * Red-team finding 1: with --allowed-tenants naming a second tenant, a user of that tenant whose own
 * admin assigned them the export app role exported a home-tenant user's Copilot interactions (the
 * export runs on the home tenant's app-only credential). Attacked through the built CLI over HTTP.
 */
let emulator: EmulatorProcess;
let server: HttpServerProcess;

const d = () => emulator.descriptor;
const role = () => d().apps.mcpServer.exportRole;
const victim = () => d().users.find((u) => u.upn === d().demoUser)!;

beforeAll(async () => {
  emulator = await useSharedEmulator();
  server = await startHttpServerProcess(['--emulator', emulator.file, '--allowed-tenants', `${d().tenantId},${d().otherTenant.tenantId}`, '--audit-file', 'off']);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
});

async function as(user: string, roles?: string[]): Promise<McpTestClient> {
  return connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user, ...(roles ? { roles } : {}) }));
}

/** Graph requests of the export and of UPN resolution since the last reset. */
async function exportAndUserLookups(): Promise<string[]> {
  const { graphRequests } = await emulator.stats();
  return Object.keys(graphRequests.byRoute).filter((route) => /getAllEnterpriseInteractions|\/users\//.test(route));
}

describe('cross-tenant export (finding 1)', () => {
  it('refuses a caller of another tenant holding the export role: by UPN, object id, cursor and resource (userIds exist only in the stdio file tool)', async () => {
    const outsider = await as(d().otherTenant.users[0]!.upn, [role()]);
    // A cursor a home admin legitimately received, replayed by the outsider.
    const homeAdmin = await as(d().apps.mcpServer.exportRoleMembers[0]!);
    const first = await homeAdmin.callTool('copilot_export_interactions', { userId: victim().id, limit: 1 });
    await homeAdmin.close();
    expect(first.isError, textOf(first)).toBeFalsy();
    const cursor = first.structuredContent?.['nextCursor'] as string;
    expect(cursor).toBeTruthy();
    try {
      await emulator.resetStats();
      for (const args of [{ userId: victim().upn }, { userId: victim().id }, { userId: victim().id, cursor }]) {
        const answer = await outsider.callTool('copilot_export_interactions', args);
        expect(answer.isError, JSON.stringify(args)).toBe(true);
        expect(textOf(answer)).toMatch(/Forbidden.*only for users of tenant/s);
      }
      await expect(outsider.readResource(`m365copilot://interactions/${victim().id}/sessions/${encodeURIComponent('19:any@thread.v2')}`)).rejects.toThrow(/Forbidden/);
      expect(await exportAndUserLookups()).toEqual([]);
    } finally {
      await outsider.close();
    }
  });

  it('refuses a caller of another tenant their "own" export too (their object id means nothing in this tenant)', async () => {
    const outsiderUser = d().otherTenant.users[1]!;
    const outsider = await as(outsiderUser.upn);
    try {
      await emulator.resetStats();
      const answer = await outsider.callTool('copilot_export_interactions', { userId: outsiderUser.id });
      expect(textOf(answer)).toMatch(/Forbidden/);
      expect(await exportAndUserLookups()).toEqual([]);
    } finally {
      await outsider.close();
    }
  });

  it('tells a refused caller nothing about which UPNs exist, and resolves none of them', async () => {
    const caller = await as(d().demoUser);
    try {
      await emulator.resetStats();
      const someone = d().users.find((u) => u.upn !== d().demoUser)!.upn;
      const nobody = `nobody.at.all@${d().tenantDomain}`;
      const [known, unknown] = await Promise.all([someone, nobody].map((userId) => caller.callTool('copilot_export_interactions', { userId })));
      expect(known!.isError && unknown!.isError).toBe(true);
      expect(textOf(unknown!)).toBe(textOf(known!));
      expect(await exportAndUserLookups()).toEqual([]);
      // Their own UPN still works: resolved, then confirmed by object id.
      const own = await caller.callTool('copilot_export_interactions', { userId: d().demoUser, limit: 1 });
      expect(own.isError, textOf(own)).toBeFalsy();
    } finally {
      await caller.close();
    }
  });
});
