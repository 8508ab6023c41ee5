import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { connectHttpClient, mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { textOf } from '../helpers/mcpClients.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';

/**
 * Audit off the box: --audit-stdout writes each record as one JSON line on stdout (HTTP mode), every
 * record names its instance, and a sink that fails fails the call (nothing is answered unaudited).
 */
let emulator: EmulatorProcess;
const servers: HttpServerProcess[] = [];

beforeAll(async () => {
  emulator = await useSharedEmulator();
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function serve(args: string[]): Promise<HttpServerProcess> {
  const server = await startHttpServerProcess(['--emulator', emulator.file, ...args]);
  servers.push(server);
  return server;
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
};

describe('audit sinks in HTTP mode', () => {
  it('writes one JSON line per record on stdout and in the file, both naming the instance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365-audit-sinks-'));
    const file = join(dir, 'audit.jsonl');
    const server = await serve(['--audit-stdout', '--audit-file', file, '--instance-id', 'pod-a']);
    const client = await connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user: emulator.descriptor.demoUser }));
    try {
      expect((await client.callTool('copilot_status')).isError).toBeFalsy();
      const retrieved = await client.callTool('copilot_retrieve', { query: 'salary bands 2027', sources: ['sharePoint'] });
      expect(retrieved.isError, textOf(retrieved)).toBeFalsy();
    } finally {
      await client.close();
    }
    // Written before each answer went back; the pipe to this test may still be carrying them.
    await waitFor(() => server.stdoutLines().length >= 2);
    const onStdout = server.stdoutLines().map((l) => JSON.parse(l) as Record<string, unknown>);
    const inFile = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(onStdout.map((r) => r['tool'])).toEqual(['copilot_status', 'copilot_retrieve']);
    expect(onStdout).toEqual(inFile);
    for (const record of onStdout) expect(record).toMatchObject({ v: 1, transport: 'http', instance: 'pod-a', outcome: 'ok', caller: { upn: emulator.descriptor.demoUser } });
    // The record is the allow-listed one: the query is hashed, never on stdout.
    expect(server.stdoutLines().join('\n')).not.toContain('salary');
  });

  it('names the instance by host name and process id by default', async () => {
    const server = await serve(['--audit-stdout', '--audit-file', 'off']);
    const client = await connectHttpClient('v1-2025', server.url, await mintToken(emulator, { user: emulator.descriptor.demoUser }));
    try {
      await client.callTool('copilot_status');
    } finally {
      await client.close();
    }
    await waitFor(() => server.stdoutLines().length >= 1);
    const [record] = server.stdoutLines().map((l) => JSON.parse(l) as { instance: string });
    expect(record!.instance).toMatch(new RegExp(`:${server.pid}$`));
  });

  it('fails the call with AuditFailed when stdout is gone, and keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365-audit-sinks-'));
    const file = join(dir, 'audit.jsonl');
    const server = await serve(['--audit-stdout', '--audit-file', file]);
    server.closeStdout();
    const client = await connectHttpClient('v2-2026', server.url, await mintToken(emulator, { user: emulator.descriptor.demoUser }));
    try {
      // The first write after the pipe closed may still be taken by the kernel; the break shows by the next one.
      let answer = await client.callTool('copilot_status');
      for (let i = 0; i < 20 && !answer.isError; i++) {
        await new Promise((r) => setTimeout(r, 50));
        answer = await client.callTool('copilot_status');
      }
      expect(answer.isError).toBe(true);
      expect(textOf(answer)).toContain('AuditFailed');
      expect(textOf(answer)).toContain('stdout');
      expect(answer.structuredContent).toBeUndefined();
    } finally {
      await client.close();
    }
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    await waitFor(() => existsSync(file));
    expect(server.stderr()).toContain('audit record not written');
  });
});

describe('audit sinks over stdio', () => {
  it('refuses --audit-stdout at start: stdout is the protocol', async () => {
    const run = await runCli(['serve', '--emulator', emulator.file, '--audit-stdout']);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--audit-stdout works in HTTP mode only');
  });
});
