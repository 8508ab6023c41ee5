import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { mintToken, startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';

/**
 * Behind a proxy the resource is the public URL, path prefix included, written exactly as clients
 * send it back to Entra (no trailing slash): in the metadata, in the challenges, and as an audience.
 */
const PUBLIC = 'https://mcp.contoso-emu.example/tools/mcp';

let emulator: EmulatorProcess;
let server: HttpServerProcess;
/** Where the proxy would forward to: the listening address, not the public URL. */
let local: string;

const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'proxy', version: '1' } } });

function post(path: string, token?: string): Promise<Response> {
  return fetch(`${local}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: initialize,
  });
}

beforeAll(async () => {
  emulator = await useSharedEmulator();
  // A trailing slash in the setting is not part of the resource.
  server = await startHttpServerProcess(['--emulator', emulator.file, '--public-url', `${PUBLIC}/`]);
  local = `http://127.0.0.1:${(JSON.parse(server.firstLine) as { port: number }).port}`;
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('--public-url with a path prefix', () => {
  it('advertises the public URL as the resource, and the scope under it', async () => {
    expect(server.url).toBe(PUBLIC);
    for (const path of ['/.well-known/oauth-protected-resource/tools/mcp', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(`${local}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.json(), path).toMatchObject({ resource: PUBLIC, scopes_supported: [`${PUBLIC}/access_as_user`] });
    }
  });

  it('challenges with the public metadata URL and the full scope, at the public path and the stripped one', async () => {
    for (const path of ['/tools/mcp', '/mcp']) {
      const res = await post(path);
      expect(res.status, path).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toContain('resource_metadata="https://mcp.contoso-emu.example/.well-known/oauth-protected-resource/tools/mcp"');
      expect(challenge).toContain(`scope="${PUBLIC}/access_as_user"`);
    }
    expect((await post('/other')).status).toBe(404);
  });

  it('accepts tokens for the app id and for the public URL as audience', async () => {
    for (const audience of [emulator.descriptor.apps.mcpServer.clientId, PUBLIC]) {
      const token = await mintToken(emulator, { user: emulator.descriptor.demoUser, audience });
      expect((await post('/tools/mcp', token)).status, audience).toBe(200);
    }
  });
});
