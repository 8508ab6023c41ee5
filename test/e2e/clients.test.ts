/**
 * Real MCP clients, driven over stdio against the shipped CLI (dist/cli.js):
 * - the MCP Inspector's CLI mode (`@modelcontextprotocol/inspector` 2.x `--cli`; since 2.0 the CLI is
 *   part of that package, `@modelcontextprotocol/inspector-cli` is the 1.x line), both protocol eras;
 * - an agent framework, the Vercel AI SDK's MCP client (`@ai-sdk/mcp`), loading our tools and
 *   calling one directly as an agent would (no model involved);
 * - every server entry of mcp.json.example, launched the way the file says (`m365-copilot-mcp` on PATH,
 *   as `npm link` puts it there), through the Inspector's `--config` (the same `mcpServers` shape
 *   Claude Desktop and Claude Code read).
 *
 * The HTTP variants (Inspector with a bearer header, AI SDK over Streamable HTTP) are in clientsHttp.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { createMCPClient } from '@ai-sdk/mcp';
import { StdioMCPTransport } from '@ai-sdk/mcp/mcp-stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { CLI, ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const TOOLS = ['copilot_export_interactions', 'copilot_meeting_insights', 'copilot_retrieve', 'copilot_status', 'copilot_usage_report'];

const inspectorPkg = join(ROOT, 'node_modules', '@modelcontextprotocol', 'inspector');
const INSPECTOR = join(inspectorPkg, (JSON.parse(readFileSync(join(inspectorPkg, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['mcp-inspector']!);

let home = '';
let linkedBin = '';
let emulator: EmulatorProcess;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'm365-clients-'));
  linkedBin = join(home, 'bin');
  mkdirSync(linkedBin);
  symlinkSync(CLI, join(linkedBin, 'm365-copilot-mcp'));
  emulator = await useSharedEmulator({ autoApproveUpn: 'demo' });
}, 60_000);
afterAll(async () => {
  await emulator?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** The server's environment: its own state directory, in-memory tokens, quiet logs. */
const serverEnv = () => ({ M365_COPILOT_MCP_STATE_DIR: home, M365_COPILOT_MCP_TOKEN_CACHE: 'memory', M365_COPILOT_MCP_LOG_LEVEL: 'warn' });

/** Runs the Inspector CLI; its catalog and client config stay in a scratch HOME, its secrets in memory. */
async function inspector(args: string[], binFirst?: string): Promise<Record<string, unknown>> {
  const path = [binFirst, process.env['PATH'] ?? ''].filter(Boolean).join(delimiter);
  const env = { PATH: path, HOME: home, MCP_INSPECTOR_SECRET_STORE: 'memory' };
  try {
    const { stdout } = await run(process.execPath, [INSPECTOR, '--cli', '--format', 'json', ...args], { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    throw new Error(`inspector ${args.join(' ')} failed (${e.code}): ${e.stderr ?? ''}\n${e.stdout ?? ''}`);
  }
}
const serverFlags = (args: string[]) => [...Object.entries(serverEnv()).flatMap(([k, v]) => ['-e', `${k}=${v}`]), process.execPath, CLI, ...args];

interface ListedTool {
  name: string;
  inputSchema: { type: string; properties?: Record<string, unknown> };
  outputSchema?: { type: string };
}
interface CallResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

describe('MCP Inspector CLI (@modelcontextprotocol/inspector --cli) over stdio', () => {
  it('tools/list (2025 era, --strict schema portability check): every tool with input and output schemas', async () => {
    const out = await inspector([...serverFlags(['--demo']), '--method', 'tools/list', '--strict']);
    const tools = (out['result'] as { tools: ListedTool[] }).tools;
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) {
      expect(t.inputSchema.type, t.name).toBe('object');
      expect(t.outputSchema?.type, t.name).toBe('object');
    }
  }, 60_000);

  it('tools/call copilot_status against --demo in both eras: signed in to the emulated tenant', async () => {
    for (const era of ['legacy', 'modern']) {
      const out = await inspector(['--protocol-era', era, ...serverFlags(['--demo']), '--method', 'tools/call', '--tool-name', 'copilot_status']);
      const result = out['result'] as CallResult & { _meta?: Record<string, { name?: string }> };
      expect(result.isError ?? false).toBe(false);
      expect(result.structuredContent).toMatchObject({ signedIn: true, tenantSource: 'emulator' });
      expect(result.content[0]?.text).toMatch(/EMULATED tenant/);
      // The 2026-07-28 revision carries the server's identity on every result; the 2025 handshake does not.
      expect(result._meta?.['io.modelcontextprotocol/serverInfo']?.name, era).toBe(era === 'modern' ? 'm365-copilot-mcp' : undefined);
    }
  }, 90_000);

  it('tools/call copilot_retrieve against an emulator process (--emulator FILE)', async () => {
    const args = JSON.stringify({ query: 'How do I set up the corporate VPN?', sources: ['sharePoint'], maxResults: 5 });
    const out = await inspector([...serverFlags(['--emulator', emulator.file, '--sign-in-wait', '20']), '--method', 'tools/call', '--tool-name', 'copilot_retrieve', '--tool-args-json', args]);
    const result = out['result'] as CallResult;
    expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
    const hits = result.structuredContent?.['hits'] as { url: string; title?: string }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(5);
    expect(hits.some((h) => /VPN/i.test(`${h.title ?? ''} ${h.url}`))).toBe(true);
  }, 60_000);
});

describe('agent framework: Vercel AI SDK MCP client (@ai-sdk/mcp) over stdio', () => {
  it('loads our tools as AI SDK tools and runs copilot_retrieve against the emulator, as an agent step would', async () => {
    await emulator.resetStats();
    const client = await createMCPClient({
      transport: new StdioMCPTransport({ command: process.execPath, args: [CLI, '--emulator', emulator.file, '--sign-in-wait', '20'], env: { PATH: process.env['PATH'] ?? '', HOME: home, ...serverEnv() }, stderr: 'ignore' }),
      clientName: 'ai-sdk-e2e',
    });
    try {
      expect(client.serverInfo.name).toBe('m365-copilot-mcp');
      const tools = await client.tools();
      expect(Object.keys(tools).sort()).toEqual(TOOLS);
      const retrieve = tools['copilot_retrieve']!;
      expect(retrieve.description).toMatch(/Microsoft 365/);
      expect(JSON.stringify(retrieve.inputSchema)).toContain('query');
      const result = (await retrieve.execute!({ query: 'corporate VPN setup', sources: ['sharePoint'], maxResults: 3 } as never, { toolCallId: 'call-1', messages: [], context: {} })) as CallResult;
      expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
      const hits = result.structuredContent?.['hits'] as { url: string }[];
      expect(hits.length).toBeGreaterThan(0);
      expect(result.content[0]?.text).toMatch(/hit\(s\) for "corporate VPN setup"/);
      // The answer came from the emulator's Copilot Retrieval endpoint, not from anywhere else.
      const stats = await emulator.stats();
      expect(JSON.stringify(stats.graphRequests.byRoute)).toMatch(/retrieval/);
    } finally {
      await client.close();
    }
  }, 90_000);
});

describe('mcp.json.example: every server entry launches and lists the tools', () => {
  type Entry = { type?: string; command: string; args: string[]; env?: Record<string, string> };
  const example = JSON.parse(readFileSync(join(ROOT, 'mcp.json.example'), 'utf8')) as Record<string, unknown>;
  const entries: { client: string; name: string; entry: Entry }[] = [];
  for (const [client, block] of Object.entries(example)) {
    if (client.startsWith('_')) continue;
    const servers = ((block as { servers?: object; mcpServers?: object }).servers ?? (block as { mcpServers?: object }).mcpServers) as Record<string, Entry>;
    for (const [name, entry] of Object.entries(servers)) entries.push({ client, name, entry });
  }

  it('has entries for VS Code, Claude Desktop and Claude Code, all stdio through the `m365-copilot-mcp` command (never `npx -y`, which would fetch whatever owns that name)', () => {
    expect(entries.length).toBeGreaterThanOrEqual(5);
    for (const { entry, client } of entries) {
      expect(entry.command, client).toBe('m365-copilot-mcp');
      expect(entry.args, client).not.toContain('-y');
      if (entry.type !== undefined) expect(entry.type).toBe('stdio');
    }
  });

  /**
   * `m365-copilot-mcp` is on PATH as `npm install -g .` / `npm link` put it there: a bin directory
   * holding a symlink to dist/cli.js (run through its `#!/usr/bin/env node` line). Entries for a real
   * tenant carry placeholder values (`<your-tenant-id>`): those are dropped and the entry runs against
   * the emulator process instead (`--emulator FILE`), because no real tenant is reachable from a test.
   */
  function launchable(entry: Entry): { entry: Entry; substituted: string } {
    const placeholders = Object.entries(entry.env ?? {}).filter(([, v]) => /^<.*>$/.test(v));
    const env = { ...Object.fromEntries(Object.entries(entry.env ?? {}).filter(([, v]) => !/^<.*>$/.test(v))), ...serverEnv() };
    const needsTenant = !entry.args.includes('--demo');
    return {
      entry: { command: entry.command, args: [...entry.args, ...(needsTenant ? ['--emulator', emulator.file] : [])], env },
      substituted: needsTenant ? `real tenant (${placeholders.map(([k]) => k).join(', ') || 'no --demo'}) → --emulator FILE` : 'as written (--demo)',
    };
  }

  it('launches each entry with the Inspector (--config, mcpServers shape) and lists all tools', async () => {
    const report: string[] = [];
    for (const [i, { client, name, entry }] of entries.entries()) {
      const { entry: runnable, substituted } = launchable(entry);
      const config = join(home, `mcp-${i}.json`);
      writeFileSync(config, JSON.stringify({ mcpServers: { [name]: runnable } }));
      const out = await inspector(['--config', config, '--server', name, '--method', 'tools/list'], linkedBin);
      const tools = (out['result'] as { tools: ListedTool[] }).tools.map((t) => t.name).sort();
      expect(tools, `${client} / ${name} (${substituted})`).toEqual(TOOLS);
      report.push(`${client} / ${name}: ${substituted}`);
    }
    expect(report).toHaveLength(entries.length);
  }, 180_000);
});
