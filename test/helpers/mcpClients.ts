import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './paths.js';

export type Era = 'v1-2025' | 'v2-2026';
export const ERAS: Era[] = ['v1-2025', 'v2-2026'];

/** The subset both SDK clients share, so one test body drives either. */
export interface McpTestClient {
  era: Era;
  listTools(): Promise<{ tools: { name: string; inputSchema: unknown; outputSchema?: unknown; annotations?: Record<string, unknown>; description?: string; title?: string }[] }>;
  /** `timeout`: ms the SDK waits for this call's answer before rejecting (default 60 s). */
  callTool(name: string, args?: Record<string, unknown>, opts?: { onprogress?: (p: { progress: number; total?: number }) => void; signal?: AbortSignal; timeout?: number }): Promise<ToolResult>;
  readResource(uri: string): Promise<{ contents: { uri: string; mimeType?: string; text?: string }[] }>;
  stderr(): string;
  /**
   * Every notification the server sent, as it came off the wire. Both SDK clients hand a notification
   * to its handler a microtask later but settle a response at once, so a progress notification that
   * arrives in the same chunk as its call's answer never reaches `onprogress`: count these instead.
   */
  notifications(): { method: string; params?: Record<string, unknown> }[];
  /** The server process's pid while it runs (soak tests read its memory from /proc); null once it has exited. */
  pid?(): number | null;
  close(): Promise<void>;
}

export interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

export function textOf(result: ToolResult): string {
  return result.content.map((c) => c.text ?? '').join('\n');
}

/**
 * Each server gets its own state directory and, unless a test asks otherwise, an in-memory token
 * cache: tests never touch the developer's keychain or cached accounts, and never each other's.
 */
const BASE_ENV = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'TMPDIR', 'SystemRoot']) if (process.env[k]) env[k] = process.env[k]!;
  const state = mkdtempSync(join(tmpdir(), 'm365-mcp-test-'));
  return { ...env, HOME: state, M365_COPILOT_MCP_STATE_DIR: state, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' };
};

type CallOptions = Parameters<McpTestClient['callTool']>[2];
const requestOptions = (o: CallOptions = {}) => ({ ...(o.onprogress ? { onprogress: o.onprogress } : {}), ...(o.signal ? { signal: o.signal } : {}), timeout: o.timeout ?? 60_000 });

/** The shared test face of a connected 2025-era (v1 SDK) client, over any transport. */
type WrapExtra = { stderr: () => string; pid?: () => number | null; notifications?: () => { method: string; params?: Record<string, unknown> }[] };

/** Records the notifications a connected transport delivers, before the client's own handling. */
export function tapNotifications(transport: { onmessage?: ((message: never, extra?: never) => void) | undefined }) {
  const seen: { method: string; params?: Record<string, unknown> }[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const m = message as { id?: unknown; method?: unknown; params?: Record<string, unknown> };
    if (m.id === undefined && typeof m.method === 'string') seen.push({ method: m.method, ...(m.params ? { params: m.params } : {}) });
    deliver?.(message, extra);
  };
  return () => seen;
}

/** A server that went away mid-call says why on its stderr: a failing test shows that, not only "Connection closed". */
async function withServerStderr<T>(call: Promise<T>, stderr: () => string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    const tail = stderr().slice(-2000);
    if (err instanceof Error && /closed/i.test(err.message) && tail) err.message += `\n--- server stderr (last 2000 chars) ---\n${tail}`;
    throw err;
  }
}

export function wrapV1(client: ClientV1, extra: WrapExtra): McpTestClient {
  return {
    era: 'v1-2025',
    listTools: () => client.listTools() as never,
    callTool: (name, a = {}, o = {}) => withServerStderr(client.callTool({ name, arguments: a }, undefined, requestOptions(o)), extra.stderr) as never,
    readResource: (uri) => client.readResource({ uri }) as never,
    stderr: extra.stderr,
    notifications: extra.notifications ?? (() => []),
    ...(extra.pid ? { pid: extra.pid } : {}),
    close: () => client.close(),
  };
}

/** The same for a v2 SDK client pinned to 2026-07-28. */
export function wrapV2(client: ClientV2, extra: WrapExtra): McpTestClient {
  return {
    era: 'v2-2026',
    listTools: () => client.listTools() as never,
    callTool: (name, a = {}, o = {}) => withServerStderr(client.callTool({ name, arguments: a }, requestOptions(o)), extra.stderr) as never,
    readResource: (uri) => client.readResource({ uri }) as never,
    stderr: extra.stderr,
    notifications: extra.notifications ?? (() => []),
    ...(extra.pid ? { pid: extra.pid } : {}),
    close: () => client.close(),
  };
}

/** Spawns the built CLI with `args` and connects the chosen SDK client over stdio. */
export async function connectClient(era: Era, args: string[], env: Record<string, string> = {}): Promise<McpTestClient> {
  let stderr = '';
  const params = { command: process.execPath, args: [CLI, ...args], env: { ...BASE_ENV(), ...env }, stderr: 'pipe' as const };
  if (era === 'v1-2025') {
    const transport = new StdioV1(params);
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new ClientV1({ name: 'test-v1', version: '1.0.0' });
    await client.connect(transport);
    return wrapV1(client, { stderr: () => stderr, pid: () => transport.pid, notifications: tapNotifications(transport as never) });
  }
  const transport = new StdioV2(params);
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new ClientV2({ name: 'test-v2', version: '2.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(transport);
  return wrapV2(client, { stderr: () => stderr, pid: () => transport.pid, notifications: tapNotifications(transport as never) });
}
