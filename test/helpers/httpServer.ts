import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { MintRequest } from 'm365-copilot-emulator';
import type { EmulatorProcess } from './emulatorProcess.js';
import { wrapV1, wrapV2, type Era, type McpTestClient } from './mcpClients.js';
import { CLI } from './paths.js';

export interface HttpServerProcess {
  /** The MCP endpoint, e.g. http://127.0.0.1:41234/mcp */
  url: string;
  /** The one JSON line the server printed. */
  firstLine: string;
  origin: string;
  pid: number;
  stderr(): string;
  /** Every line printed on stdout after the first (--audit-stdout records). */
  stdoutLines(): string[];
  /** Closes this end of the server's stdout pipe, as a log collector that went away would. */
  closeStdout(): void;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Starts `m365-copilot-mcp serve --http --port 0` as a real process and reads its one JSON line. */
export async function startHttpServerProcess(args: string[], env: Record<string, string> = {}): Promise<HttpServerProcess> {
  const state = mkdtempSync(join(tmpdir(), 'm365-mcp-http-'));
  const baseEnv: Record<string, string> = { HOME: state, M365_COPILOT_MCP_STATE_DIR: state, M365_COPILOT_MCP_TOKEN_CACHE: 'memory' };
  for (const k of ['PATH', 'TMPDIR']) if (process.env[k]) baseEnv[k] = process.env[k]!;
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--http', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...baseEnv, ...env } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const later: string[] = [];
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`HTTP server did not start in 20 s; stderr:\n${stderr}`)), 20_000);
    rl.once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
      rl.on('line', (next) => later.push(next));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`HTTP server exited with ${code}; stderr:\n${stderr}`));
    });
  });
  const { url } = JSON.parse(line) as { url: string };
  return {
    url,
    firstLine: line,
    origin: new URL(url).origin,
    pid: child.pid!,
    stderr: () => stderr,
    stdoutLines: () => [...later],
    closeStdout: () => child.stdout!.destroy(),
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** What the emulator's mint route takes (user, audience, scope, tenant, lifetime, roles, issuer, not-before). */
export type MintOptions = MintRequest;

/** A token for the server's audience from the emulator's mint route (what a client would get from Entra). */
export async function mintToken(emulator: EmulatorProcess, opts: MintOptions): Promise<string> {
  const res = await emulator.control('/tokens/mint', opts);
  if (!res.ok) throw new Error(`mint failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * Both SDK clients over Streamable HTTP with a bearer token; `fetch` lets a test spread calls over
 * instances; `headers` go on every request (e.g. X-MCP-Tools).
 */
export async function connectHttpClient(era: Era, url: string, token: string, fetchImpl?: typeof fetch, headers: Record<string, string> = {}): Promise<McpTestClient> {
  const requestInit = { headers: { ...headers, Authorization: `Bearer ${token}` } };
  if (era === 'v1-2025') {
    const client = new ClientV1({ name: 'test-v1-http', version: '1.0.0' });
    await client.connect(new HttpV1(new URL(url), { requestInit, ...(fetchImpl ? { fetch: fetchImpl } : {}) }));
    return wrapV1(client, { stderr: () => '' });
  }
  const client = new ClientV2({ name: 'test-v2-http', version: '2.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new HttpV2(new URL(url), { requestInit, ...(fetchImpl ? { fetch: fetchImpl } : {}) }));
  return wrapV2(client, { stderr: () => '' });
}

/** A fetch that sends each request to the next origin in turn: a naive round-robin load balancer. */
export function roundRobinFetch(origins: string[]): typeof fetch {
  let next = 0;
  return (input, init) => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    const origin = new URL(origins[next++ % origins.length]!);
    target.protocol = origin.protocol;
    target.host = origin.host;
    return fetch(input instanceof Request ? new Request(target, input) : target, init);
  };
}
