import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantFacts } from 'm365-copilot-emulator';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { connectClient, textOf } from '../helpers/mcpClients.js';
import { factsOf } from './facts.js';

let emulator: EmulatorProcess;
let facts: TenantFacts;
beforeAll(async () => {
  emulator = await useSharedEmulator({ deviceCodeIntervalSec: 1, retrievalBudgetPerHour: 3 });
  facts = await factsOf(emulator);
});
afterAll(async () => {
  await emulator?.stop();
});

describe('lazy sign-in and Graph limits', () => {
  it('answers tools/list signed out, returns the code on the first call, reuses the pending flow, then succeeds', async () => {
    const client = await connectClient('v1-2025', ['--emulator', emulator.file, '--sign-in-wait', '0']);
    try {
      await emulator.resetStats();
      expect((await client.listTools()).tools.length).toBe(5);
      const first = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query });
      expect(first.isError).toBe(true);
      const code = /enter the code ([A-Z0-9-]+)/.exec(textOf(first))?.[1];
      expect(code).toBeTruthy();
      expect(textOf(first)).toContain('/devicelogin');
      const second = await client.callTool('copilot_meeting_insights', { latest: true });
      expect(textOf(second)).toContain(code!);
      expect((await emulator.stats()).deviceCodes.issued).toBe(1);

      await emulator.control('/devicecode/approve', { userCode: code, upn: facts.demoUser.upn });
      let ok = false;
      for (let i = 0; i < 40 && !ok; i++) {
        const r = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
        ok = !r.isError;
        if (!ok) await new Promise((res) => setTimeout(res, 250));
      }
      expect(ok).toBe(true);
      const stats = await emulator.stats();
      expect(stats.deviceCodes.issued).toBe(1);
      expect(stats.tokenRequests.byUser[facts.demoUser.upn]).toBeGreaterThanOrEqual(1);

      // The retrieval budget (3 per hour in this emulator) runs out: Throttled, with when to retry.
      let throttled;
      for (let i = 0; i < 4 && !throttled; i++) {
        const r = await client.callTool('copilot_retrieve', { query: facts.vpnGuide.query, sources: ['sharePoint'] });
        if (r.isError) throttled = r;
      }
      expect(throttled).toBeTruthy();
      expect(textOf(throttled!)).toMatch(/\[Throttled\]/);
      expect(textOf(throttled!)).toMatch(/retry after \d+ s/i);

      // An unknown user for export: NotFound from Graph, app-only token path exercised.
      const missing = await client.callTool('copilot_export_interactions', { userId: '00000000-0000-4000-8000-000000000000' });
      expect(missing.isError).toBe(true);
      expect(textOf(missing)).toMatch(/\[NotFound\]/);
      expect((await emulator.stats()).tokenRequests.byGrant['client_credentials']).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('a declined sign-in says so and the next call starts over', async () => {
    const client = await connectClient('v2-2026', ['--emulator', emulator.file, '--sign-in-wait', '0']);
    try {
      const first = await client.callTool('copilot_status', {});
      const code = /enter the code ([A-Z0-9-]+)/.exec(textOf(first))?.[1];
      await emulator.control('/devicecode/deny', { userCode: code });
      let declined = '';
      for (let i = 0; i < 40 && !declined; i++) {
        const r = await client.callTool('copilot_status', {});
        const text = textOf(r);
        if (!text.includes(code!)) declined = text;
        else await new Promise((res) => setTimeout(res, 250));
      }
      // The failure is told once, with a fresh code to start over.
      expect(declined).toMatch(/The previous sign-in failed: the sign-in was declined/);
      const next = /enter the code ([A-Z0-9-]+)/.exec(declined)?.[1];
      expect(next).toBeTruthy();
      expect(next).not.toBe(code);
    } finally {
      await client.close();
    }
  });
});

describe('missing consent and revoked sessions', () => {
  it('names the missing application permission and who can grant it (403)', async () => {
    const emu = await startEmulatorProcess(['--without-app-role', 'User.Read.All']);
    const client = await connectClient('v2-2026', ['--emulator', emu.file]);
    try {
      const f = await factsOf(emu);
      const r = await client.callTool('copilot_export_interactions', { userId: f.demoUser.upn });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/\[Forbidden\]/);
      expect(textOf(r)).toMatch(/User\.Read\.All \(application\)/);
      expect(textOf(r)).toMatch(/admin/i);
      // By object id, no lookup is needed and the export itself is allowed.
      const ok = await client.callTool('copilot_export_interactions', { userId: f.demoUser.id, limit: 2 });
      expect(ok.isError, textOf(ok)).toBeFalsy();
    } finally {
      await client.close();
      await emu.stop();
    }
  });

  it('a rejected token whose refresh token was revoked leads to a new sign-in, not a loop (401)', async () => {
    const client = await connectClient('v1-2025', ['--emulator', emulator.file, '--sign-in-wait', '0']);
    try {
      const first = await client.callTool('copilot_status', {});
      const code = /enter the code ([A-Z0-9-]+)/.exec(textOf(first))?.[1];
      await emulator.control('/devicecode/approve', { userCode: code, upn: facts.licensedUser.upn });
      let ok = false;
      for (let i = 0; i < 40 && !ok; i++) {
        ok = !(await client.callTool('copilot_status', {})).isError;
        if (!ok) await new Promise((res) => setTimeout(res, 250));
      }
      expect(ok).toBe(true);
      await emulator.control('/tokens/revoke', { upn: facts.licensedUser.upn });
      await emulator.control('/keys/rotate', {});
      const r = await client.callTool('copilot_status', {});
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/\[AuthPending\]/);
      const again = /enter the code ([A-Z0-9-]+)/.exec(textOf(r))?.[1];
      expect(again).toBeTruthy();
      // Signing in again (as someone else, even) ends the episode: no loop back to the dead account.
      await emulator.control('/devicecode/approve', { userCode: again, upn: facts.demoUser.upn });
      let who = '';
      for (let i = 0; i < 40 && !who; i++) {
        const s = await client.callTool('copilot_status', {});
        if (!s.isError) who = (s.structuredContent as { user: { upn: string } }).user.upn;
        else await new Promise((res) => setTimeout(res, 250));
      }
      expect(who).toBe(facts.demoUser.upn);
      expect((await client.callTool('copilot_status', {})).isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
