import { readFileSync } from 'node:fs';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2, type OAuthClientProvider as ProviderV2 } from '@modelcontextprotocol/client';
import { UnauthorizedError, type OAuthClientProvider as ProviderV1 } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseAuthorization, fetchTrusting, memoryProvider, registerResource } from '../helpers/browserSignIn.js';
import { type EmulatorProcess } from '../helpers/emulatorProcess.js';
import { useSharedEmulator } from '../helpers/sharedEmulator.js';
import { startHttpServerProcess, type HttpServerProcess } from '../helpers/httpServer.js';

/**
 * Signing in from scratch (no bearer header) with the MCP SDK clients' own OAuth, as a new user of
 * HTTP mode would: the 401 challenge, RFC 9728 metadata, Entra's (the emulator's) OpenID metadata,
 * authorization code + PKCE with `resource` in both requests, then a tool call on behalf of the user.
 * The client id is static (Entra has no dynamic registration): the tenant's public client, which is
 * pre-authorized for the server app.
 */

let emulator: EmulatorProcess;
let server: HttpServerProcess;
let ca: string;

beforeAll(async () => {
  emulator = await useSharedEmulator({ autoApproveUpn: 'demo' });
  ca = readFileSync(emulator.descriptor.caCertPath, 'utf8');
  server = await startHttpServerProcess(['--emulator', emulator.file, '--audit-file', 'off']);
  // The documented configuration: the resource the server advertises is an identifier URI of its app.
  await registerResource(emulator, server.url);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await emulator?.stop();
});

function retrievedHits(result: object): unknown[] {
  return ((result as { structuredContent?: { hits?: unknown[] } }).structuredContent?.hits ?? []);
}

describe('MCP SDK v1 client, auth() with static client information', () => {
  it('signs in through the challenge and the emulator, then calls copilot_retrieve as the user', async () => {
    const { provider, state } = memoryProvider(emulator);
    const fetchFn = fetchTrusting(ca);
    const connect = async () => {
      const client = new ClientV1({ name: 'oauth-v1', version: '1' });
      await client.connect(new HttpV1(new URL(server.url), { authProvider: provider as ProviderV1, fetch: fetchFn }));
      return client;
    };
    await expect(connect()).rejects.toBeInstanceOf(UnauthorizedError);
    const url = state.authorizationUrl!;
    // What the client took from the challenge and the metadata: the full scope, the exact resource, PKCE S256.
    expect(url.searchParams.get('scope')?.split(' ')).toContain(`${server.url}/access_as_user`);
    expect(url.searchParams.get('resource')).toBe(server.url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const answer = await browseAuthorization(emulator, url, { ca });
    expect(answer.error, answer.errorDescription ?? '').toBeNull();

    const transport = new HttpV1(new URL(server.url), { authProvider: provider as ProviderV1, fetch: fetchFn });
    await transport.finishAuth(answer.code!);
    const client = new ClientV1({ name: 'oauth-v1', version: '1' });
    await client.connect(transport);
    const result = await client.callTool({ name: 'copilot_retrieve', arguments: { query: 'vpn', sources: ['sharePoint'] } });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(retrievedHits(result).length).toBeGreaterThan(0);
    const status = await client.callTool({ name: 'copilot_status', arguments: {} });
    expect((status.structuredContent as { user: { upn: string } }).user.upn).toBe(emulator.descriptor.demoUser);
    await client.close();
  });

  it('a client that sends a wrong resource (a trailing slash) gets AADSTS9010010 from the emulator', async () => {
    const { provider, state } = memoryProvider(emulator, { resource: `${server.url}/` });
    const client = new ClientV1({ name: 'oauth-v1-wrong', version: '1' });
    await expect(client.connect(new HttpV1(new URL(server.url), { authProvider: provider as ProviderV1, fetch: fetchTrusting(ca) }))).rejects.toBeInstanceOf(UnauthorizedError);
    expect(state.authorizationUrl!.searchParams.get('resource')).toBe(`${server.url}/`);
    const answer = await browseAuthorization(emulator, state.authorizationUrl!, { ca });
    expect(answer.code).toBeNull();
    expect(answer.error).toBe('invalid_target');
    expect(answer.errorDescription).toMatch(/^AADSTS9010010/);
  });
});

describe('MCP SDK v2 client OAuth', () => {
  it.for(['legacy', 'modern'] as const)('signs in from scratch and calls copilot_retrieve (%s era)', async (era) => {
    const { provider, state } = memoryProvider(emulator);
    const fetchFn = fetchTrusting(ca);
    const options = era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' as const } } } : {};
    const newClient = () => new ClientV2({ name: `oauth-v2-${era}`, version: '1' }, options);
    await expect(newClient().connect(new HttpV2(new URL(server.url), { authProvider: provider as ProviderV2, fetch: fetchFn }))).rejects.toThrow();
    const url = state.authorizationUrl;
    expect(url, 'the client asked the browser to open the authorization URL').toBeDefined();
    expect(url!.searchParams.get('resource')).toBe(server.url);
    expect(url!.searchParams.get('scope')?.split(' ')).toContain(`${server.url}/access_as_user`);
    const answer = await browseAuthorization(emulator, url!, { ca });
    expect(answer.error, answer.errorDescription ?? '').toBeNull();

    const transport = new HttpV2(new URL(server.url), { authProvider: provider as ProviderV2, fetch: fetchFn });
    await transport.finishAuth(answer.code!);
    const client = newClient();
    await client.connect(transport);
    const result = await client.callTool({ name: 'copilot_retrieve', arguments: { query: 'vpn', sources: ['sharePoint'] } });
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(retrievedHits(result).length).toBeGreaterThan(0);
    await client.close();
  });
});
