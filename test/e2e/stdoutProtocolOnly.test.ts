import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { startRawStdio } from '../helpers/rawStdio.js';

let emulator: EmulatorProcess;
beforeAll(async () => {
  emulator = await useSharedEmulator({ autoApproveUpn: 'demo' });
});
afterAll(async () => {
  await emulator?.stop();
});

/** Raw JSON-RPC over the pipes, no SDK: every byte on stdout must be a protocol message. */
describe('stdio hygiene', () => {
  it('writes only JSON-RPC lines to stdout, logs to stderr, across sign-in and tool calls', async () => {
    const server = startRawStdio(['--emulator', emulator.file, '--log-level', 'debug', '--token-cache', 'memory']);
    const waitFor = (id: number) => server.answer(id, 15_000);
    server.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    await waitFor(1);
    server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    server.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    await waitFor(2);
    server.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'copilot_status', arguments: {} } });
    await waitFor(3);
    server.send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'copilot_retrieve', arguments: { query: 'corporate VPN setup' } } });
    await waitFor(4);
    // A line that is not JSON gets the JSON-RPC parse error (id null) instead of silence, and the server carries on.
    server.write('this is not json\n');
    for (let i = 0; i < 100 && !server.stdout().includes('"code":-32700'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.stdout()).toMatch(/\{"jsonrpc":"2\.0","id":null,"error":\{"code":-32700/);
    // A JSON line MCP cannot take (positional params) gets -32600 Invalid Request with its id, not silence.
    server.write('{"jsonrpc":"2.0","id":"positional","method":"tools/list","params":[1]}\n');
    for (let i = 0; i < 100 && !server.stdout().includes('"positional"'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.stdout()).toMatch(/\{"jsonrpc":"2\.0","id":"positional","error":\{"code":-32600,"message":"Invalid Request: \\"params\\" must be an object/);
    server.send({ jsonrpc: '2.0', id: 5, method: 'tools/list' });
    await waitFor(5);
    await server.end();
    const stdout = server.stdout();
    const stderr = server.stderr();

    const lines = stdout.split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      const msg = JSON.parse(line) as { jsonrpc?: string };
      expect(msg.jsonrpc).toBe('2.0');
    }
    // The server did log (sign-in, Graph calls) — just not on stdout.
    expect(stderr.length).toBeGreaterThan(0);
    for (const l of stderr.split('\n').filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
    // And never a token.
    expect(stderr).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./);
  });
});
