import { describe, expect, it } from 'vitest';
import { connectClient, ERAS, textOf } from '../helpers/mcpClients.js';

/** The README's run command: `m365-copilot-mcp --demo` answers every tool from a real MCP client. */
describe.each(ERAS)('--demo, %s client', (era) => {
  it('signs in as the demo user through MSAL and answers all four tools', async () => {
    const client = await connectClient(era, ['--demo']);
    try {
      const status = await client.callTool('copilot_status', {});
      expect(status.isError, textOf(status)).toBeFalsy();
      expect(textOf(status)).toContain('EMULATED');
      const upn = (status.structuredContent as { user: { upn: string } }).user.upn;
      const retrieve = await client.callTool('copilot_retrieve', { query: 'How to setup corporate VPN?' });
      expect(retrieve.isError, textOf(retrieve)).toBeFalsy();
      expect((retrieve.structuredContent as { hits: unknown[] }).hits.length).toBeGreaterThan(0);
      const meeting = await client.callTool('copilot_meeting_insights', { latest: true });
      expect(meeting.isError, textOf(meeting)).toBeFalsy();
      // The README's "action items from my latest meeting" has an answer in the demo: the latest meeting's, or the latest ready one's.
      expect(textOf(meeting)).toMatch(/Action items:\n- /);
      const exported = await client.callTool('copilot_export_interactions', { userId: upn, limit: 5 });
      expect(exported.isError, textOf(exported)).toBeFalsy();
      // limit is a maximum: a prompt and its responses are never split, so a page may hold fewer.
      const count = (exported.structuredContent as { count: number }).count;
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(5);
    } finally {
      await client.close();
    }
  });
});
