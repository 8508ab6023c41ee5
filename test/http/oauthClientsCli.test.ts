import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseAuthorization, registerResource } from '../helpers/browserSignIn.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';
import { ROOT } from '../helpers/paths.js';
import { freePort } from '../helpers/freePort.js';

/**
 * Two clients nobody here wrote sign in from scratch against `serve --http --emulator FILE`: the MCP
 * Inspector CLI (`--client-id`) and mcp-remote (`--static-oauth-client-info`). Each prints the
 * authorization URL and listens on its own loopback callback; the test plays the browser (the
 * emulator auto-approves and redirects to that callback), then the client calls copilot_retrieve.
 * They trust the emulator's CA the way Node lets any program trust one: NODE_EXTRA_CA_CERTS.
 */
const binOf = (pkg: string, name: string) => {
  const dir = join(ROOT, 'node_modules', ...pkg.split('/'));
  return join(dir, (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin[name]!);
};
const INSPECTOR = binOf('@modelcontextprotocol/inspector', 'mcp-inspector');
const MCP_REMOTE = binOf('mcp-remote', 'mcp-remote');

let emulator: EmulatorProcess;
let server: HttpServerProcess;
let ca: string;
let home: string;


function clientEnv(): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: home,
    NODE_EXTRA_CA_CERTS: emulator.descriptor.caCertPath,
    MCP_INSPECTOR_SECRET_STORE: 'memory',
    MCP_REMOTE_CONFIG_DIR: join(home, 'mcp-remote'),
    // No browser on this machine: the test is the browser.
    BROWSER: 'none',
  };
}

/** Waits until `text()` contains an authorization URL of the emulator, and returns it. */
async function authorizationUrlIn(text: () => string, what: string): Promise<URL> {
  const pattern = new RegExp(`${emulator.descriptor.authorityHost.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[^\\s"'\\x1b]+/oauth2/v2\\.0/authorize\\?[^\\s"'\\x1b]+`);
  for (let i = 0; i < 200; i++) {
    const found = pattern.exec(text());
    if (found) return new URL(found[0]);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} printed no authorization URL; it wrote:\n${text()}`);
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'm365-oauth-cli-'));
  emulator = await useSharedEmulator({ autoApproveUpn: 'demo' });
  ca = readFileSync(emulator.descriptor.caCertPath, 'utf8');
  server = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off']);
  await registerResource(emulator, server.url);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('MCP Inspector CLI with --client-id', () => {
  it('signs in through its callback listener and calls copilot_retrieve', async () => {
    const port = await freePort();
    const args = [
      INSPECTOR, '--cli', '--format', 'json', '--transport', 'http', '--server-url', server.url,
      '--client-id', emulator.descriptor.apps.publicClient.clientId, '--callback-url', `http://127.0.0.1:${port}/oauth/callback`,
      '--method', 'tools/call', '--tool-name', 'copilot_retrieve', '--tool-args-json', JSON.stringify({ query: 'vpn', sources: ['sharePoint'] }),
    ];
    // Interactive sign-in needs a TTY or MCP_AUTO_OPEN_ENABLED=true; with no browser here, opening fails and the URL is printed.
    const child = spawn(process.execPath, args, { env: { ...clientEnv(), MCP_AUTO_OPEN_ENABLED: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = await authorizationUrlIn(() => stderr + stdout, 'the Inspector');
      expect(url.searchParams.get('client_id')).toBe(emulator.descriptor.apps.publicClient.clientId);
      expect(url.searchParams.get('scope')?.split(' ')).toContain(`${server.url}/access_as_user`);
      expect(url.searchParams.get('resource')).toBe(server.url);
      const answer = await browseAuthorization(emulator, url, { ca, follow: true });
      expect(answer.error, answer.errorDescription ?? '').toBeNull();
      expect(await exited, `stderr:\n${stderr}\nstdout:\n${stdout}`).toBe(0);
      const { result } = JSON.parse(stdout) as { result: { isError?: boolean; structuredContent?: { hits?: unknown[] } } };
      expect(result.isError, stdout).toBeFalsy();
      expect(result.structuredContent?.hits?.length).toBeGreaterThan(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
  }, 90_000);
});

describe('mcp-remote with static client information', () => {
  it('signs in through its callback listener and proxies copilot_retrieve over stdio', async () => {
    const port = await freePort();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_REMOTE, server.url, String(port), '--host', '127.0.0.1', '--static-oauth-client-info', JSON.stringify({ client_id: emulator.descriptor.apps.publicClient.clientId })],
      env: clientEnv(),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'via-mcp-remote', version: '1' });
    const connected = client.connect(transport);
    try {
      const url = await authorizationUrlIn(() => stderr, 'mcp-remote');
      expect(url.searchParams.get('client_id')).toBe(emulator.descriptor.apps.publicClient.clientId);
      expect(url.searchParams.get('scope')?.split(' ')).toContain(`${server.url}/access_as_user`);
      const resource = url.searchParams.get('resource');
      if (resource !== null) expect(resource).toBe(server.url);
      const answer = await browseAuthorization(emulator, url, { ca, follow: true });
      expect(answer.error, answer.errorDescription ?? '').toBeNull();
      await connected;
      const result = await client.callTool({ name: 'copilot_retrieve', arguments: { query: 'vpn', sources: ['sharePoint'] } });
      expect(result.isError, `${JSON.stringify(result.content)}\n${stderr}`).toBeFalsy();
      expect((result.structuredContent as { hits?: unknown[] } | undefined)?.hits?.length).toBeGreaterThan(0);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nmcp-remote stderr:\n${stderr}`);
    } finally {
      await client.close().catch(() => {});
    }
  }, 90_000);
});
