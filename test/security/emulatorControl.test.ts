import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { runCli } from '../helpers/cli.js';

/**
 * Issue 11, finding 5: any local user (or a web page through DNS rebinding) could mint tokens with any
 * roles from a running `m365-copilot-mcp emulator`. Against the built CLI: without this run's control
 * key, or with another Host, the control routes refuse; `emulator token` (which reads the key from the
 * descriptor) still works.
 */
let emulator: EmulatorProcess;
beforeAll(async () => {
  emulator = await startEmulatorProcess();
});
afterAll(async () => {
  await emulator?.stop();
});

describe('the emulator control routes (built CLI)', () => {
  /** node:http, not fetch: fetch sets Host itself, and a rebinding page's request carries its own. */
  const mint = (headers: Record<string, string>) =>
    new Promise<{ status: number; text: () => Promise<string> }>((resolve, reject) => {
      const url = new URL(`${emulator.descriptor.controlUrl}/tokens/mint`);
      const body = JSON.stringify({ user: emulator.descriptor.demoUser, roles: ['Admin'] });
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: async () => text }));
      });
      req.once('error', reject);
      req.end(body);
    });

  it('refuses to mint a token without the key, with a wrong key, and from a foreign Host', async () => {
    const none = await mint({});
    expect(none.status).toBe(401);
    expect(await none.text()).not.toContain('access_token');
    const wrong = await mint({ 'x-emulator-control-key': 'x'.repeat(43) });
    expect(wrong.status).toBe(401);
    const port = new URL(emulator.descriptor.controlUrl).port;
    const rebound = await mint({ 'x-emulator-control-key': emulator.descriptor.controlKey, host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(await rebound.text()).not.toContain('access_token');
  });

  it('answers the holder of the descriptor, and `emulator token` reads the key from it', async () => {
    const ok = await mint({ 'x-emulator-control-key': emulator.descriptor.controlKey });
    expect(ok.status).toBe(200);
    const minted = await runCli(['emulator', 'token', '--emulator', emulator.file, '--user', 'demo']);
    expect(minted.code, minted.stderr).toBe(0);
    expect(minted.stdout.trim().split('.')).toHaveLength(3);
  });
});
