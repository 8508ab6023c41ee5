import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectHttpClient, mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { textOf } from '../helpers/mcpClients.js';

/**
 * Red-team finding 4 over `serve --http`: 240 KB UPNs pushed an admin's export record out of the
 * rotated audit log (and grew the breaker's state per distinct path); 30 reads of a non-existent
 * conversation by one user made 452 export requests and slowed an admin's export 14×.
 */
let emulator: EmulatorProcess;
let server: HttpServerProcess;
let auditFile: string;

beforeAll(async () => {
  emulator = await useSharedEmulator();
  auditFile = join(mkdtempSync(join(tmpdir(), 'm365-exhaust-')), 'audit.jsonl');
  server = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', auditFile, '--audit-max-bytes', '65536']);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
});

const exportRequests = async () =>
  Object.entries((await emulator.stats()).graphRequests.byRoute)
    .filter(([route]) => route.includes('getAllEnterpriseInteractions'))
    .reduce((sum, [, byStatus]) => sum + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);

describe('resource exhaustion (finding 4)', () => {
  it('keeps the audit record of a huge UPN small: 70 of them cannot rotate an admin\'s export record away', async () => {
    const admin = emulator.descriptor.apps.mcpServer.exportRoleMembers[0]!;
    const demo = emulator.descriptor.users.find((u) => u.upn === emulator.descriptor.demoUser)!;
    const adminClient = await connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user: admin }));
    const attacker = await connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user: demo.upn }));
    try {
      const exported = await adminClient.callTool('copilot_export_interactions', { userId: demo.id, limit: 1 });
      expect(exported.isError, textOf(exported)).toBeFalsy();
      const huge = `${'a'.repeat(240 * 1024)}@contoso.example`;
      for (let i = 0; i < 70; i++) await attacker.callTool('copilot_export_interactions', { userId: huge });
      expect(statSync(auditFile).size).toBeLessThan(65536);
      const records = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tool: string; args: { userId?: string }; caller: { upn?: string } | null; outcome: string });
      expect(records.some((r) => r.caller?.upn?.toLowerCase() === admin.toLowerCase() && r.outcome === 'ok'), "the admin's export is still in the current file").toBe(true);
      for (const r of records) expect(JSON.stringify(r).length).toBeLessThan(2048);
    } finally {
      await Promise.all([adminClient.close(), attacker.close()]);
    }
  });

  it('runs one conversation scan per user at a time, so a flood of reads cannot multiply export requests', async () => {
    const demo = emulator.descriptor.users.find((u) => u.upn === emulator.descriptor.demoUser)!;
    const attacker = await connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user: demo.upn }));
    try {
      await emulator.resetStats();
      const uri = `m365copilot://interactions/${demo.id}/sessions/${encodeURIComponent('19:no-such-session@thread.v2')}`;
      const reads = await Promise.allSettled(Array.from({ length: 30 }, () => attacker.readResource(uri)));
      const refused = reads.filter((r) => r.status === 'rejected' && /Throttled.*still scanning/s.test(String((r as PromiseRejectedResult).reason)));
      const scanned = reads.filter((r) => r.status === 'rejected' && /NotFound|no Copilot session/.test(String((r as PromiseRejectedResult).reason)));
      expect(refused.length + scanned.length).toBe(30);
      // The scans that did run ran one after another: each costs one pass over the history.
      const pagesPerScan = Math.ceil((await emulator.control('/facts').then((r) => r.json() as Promise<{ interactions: { total: number } }>)).interactions.total / 100);
      expect(await exportRequests()).toBeLessThanOrEqual(scanned.length * Math.max(pagesPerScan, 1) + 1);
      expect(scanned.length).toBeLessThan(30);
    } finally {
      await attacker.close();
    }
  });
});
