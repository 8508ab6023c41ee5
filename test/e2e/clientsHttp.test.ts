/**
 * Real clients over Streamable HTTP with a bearer token from the emulator: the MCP Inspector's CLI and
 * the Vercel AI SDK MCP client, against `serve --http`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createMCPClient } from '@ai-sdk/mcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const inspectorPkg = join(ROOT, 'node_modules', '@modelcontextprotocol', 'inspector');
const INSPECTOR = join(inspectorPkg, (JSON.parse(readFileSync(join(inspectorPkg, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['mcp-inspector']!);
type CallResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };

let emulator: EmulatorProcess;
let server: HttpServerProcess;
let token: string;
let home: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'm365-clients-http-'));
  emulator = await useSharedEmulator();
  server = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off']);
  token = await mintToken(emulator, { user: emulator.descriptor.demoUser });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

async function inspector(args: string[]): Promise<Record<string, unknown>> {
  const env = { PATH: process.env['PATH'] ?? '', HOME: home, MCP_INSPECTOR_SECRET_STORE: 'memory' };
  const common = ['--cli', '--format', 'json', '--transport', 'http', '--server-url', server.url, '--header', `Authorization: Bearer ${token}`];
  try {
    const { stdout } = await run(process.execPath, [INSPECTOR, ...common, ...args], { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`inspector ${args.join(' ')} failed (${e.code}): ${e.stderr ?? ''}\n${e.stdout ?? ''}`);
  }
}

describe('MCP Inspector CLI over Streamable HTTP, with a bearer', () => {
  it('lists the tools and calls copilot_status as the token’s user', async () => {
    const listed = await inspector(['--method', 'tools/list']);
    const names = (listed['result'] as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['copilot_retrieve', 'copilot_status']));
    const out = await inspector(['--method', 'tools/call', '--tool-name', 'copilot_status']);
    const result = out['result'] as CallResult;
    expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
    expect(result.structuredContent?.['user']).toMatchObject({ upn: emulator.descriptor.demoUser });
  }, 90_000);
});

describe('Vercel AI SDK MCP client over Streamable HTTP, with a bearer', () => {
  it('loads our tools and runs copilot_retrieve against the emulator', async () => {
    const client = await createMCPClient({ transport: { type: 'http', url: server.url, headers: { Authorization: `Bearer ${token}` } }, clientName: 'ai-sdk-http' });
    try {
      const tools = await client.tools();
      const result = (await tools['copilot_retrieve']!.execute!({ query: 'corporate VPN setup', sources: ['sharePoint'], maxResults: 3 } as never, { toolCallId: 'c1', messages: [], context: {} })) as CallResult;
      expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
      expect((result.structuredContent?.['hits'] as unknown[]).length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  }, 90_000);
});
