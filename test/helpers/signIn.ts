import { expect } from 'vitest';
import type { EmulatorProcess } from './emulatorProcess.js';
import { textOf, type McpTestClient } from './mcpClients.js';

/**
 * Lazy sign-in as a given user: the first call answers AuthPending with a device code, the test
 * approves that code at the emulator as `upn` (what a person does in the browser), the next call works.
 */
export async function signInAs(client: McpTestClient, emulator: EmulatorProcess, upn: string): Promise<void> {
  const first = await client.callTool('copilot_status', {});
  expect(first.isError, textOf(first)).toBe(true);
  const text = textOf(first);
  expect(text).toContain('[AuthPending]');
  const userCode = /enter the code ([A-Z0-9-]+)/.exec(text)?.[1];
  expect(userCode, text).toBeTruthy();
  const approved = await emulator.control('/devicecode/approve', { userCode, upn });
  expect(approved.status, await approved.clone().text()).toBe(200);
  // MSAL polls at the emulator's interval; the next call joins the pending flow and waits for it.
  for (let i = 0; i < 40; i++) {
    const next = await client.callTool('copilot_status', {});
    if (!next.isError) {
      expect((next.structuredContent as { user: { upn: string } }).user.upn).toBe(upn);
      return;
    }
    expect(textOf(next)).toContain('AuthPending');
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`sign-in as ${upn} did not complete`);
}
