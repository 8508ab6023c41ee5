import { request as httpsRequest } from 'node:https';
import { UnauthorizedError, type OAuthClientProvider as ProviderV1 } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { EmulatorProcess } from './emulatorProcess.js';

/**
 * What an MCP client needs to sign in from scratch against `serve --http --emulator FILE`: trust in
 * the emulator's CA for the identity requests (a person's machine trusts Entra's), and a "browser"
 * that opens the authorization URL and follows the emulator's answer back to the client's redirect URI.
 */

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, key) => (record[key] = value));
  return record;
}

/** fetch that trusts `ca` for https (the emulator's identity provider) and is the global fetch otherwise. */
export function fetchTrusting(ca: string): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const req = input instanceof Request ? input : undefined;
    const url = new URL(req ? req.url : input.toString());
    if (url.protocol !== 'https:') return fetch(input, init);
    const method = init?.method ?? req?.method ?? 'GET';
    const headers = new Headers(init?.headers ?? req?.headers);
    const rawBody = init?.body ?? (req ? await req.text() : undefined);
    const body = rawBody === undefined || rawBody === null ? undefined : typeof rawBody === 'string' ? rawBody : rawBody instanceof URLSearchParams ? rawBody.toString() : String(rawBody);
    if (body !== undefined && rawBody instanceof URLSearchParams && !headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded');
    return new Promise<Response>((resolve, reject) => {
      const out = httpsRequest(url, { method, headers: headerRecord(headers), ca, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) responseHeaders.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 500;
          const nullBody = [204, 205, 304].includes(status) || method === 'HEAD';
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        });
        res.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  }) as typeof fetch;
}

export interface AuthorizationAnswer {
  /** Where the emulator sent the browser back: the client's redirect URI with code (or error) and state. */
  redirect: URL;
  code: string | null;
  error: string | null;
  errorDescription: string | null;
}

/**
 * Opens an authorization URL as a browser would, with the emulator auto-approving sign-ins, and
 * returns where it redirects. `follow` also makes the GET to that redirect URI (a client's own
 * loopback callback server, as mcp-remote and the Inspector run).
 */
export async function browseAuthorization(emulator: EmulatorProcess, authorizationUrl: string | URL, opts: { ca: string; follow?: boolean }): Promise<AuthorizationAnswer> {
  const url = new URL(authorizationUrl);
  if (url.origin !== emulator.descriptor.authorityHost) throw new Error(`the client sent the browser to ${url.origin}, not to the emulator's authority`);
  const res = await fetchTrusting(opts.ca)(url, { method: 'GET' });
  const location = res.headers.get('location');
  if (res.status !== 302 || location === null) throw new Error(`authorize answered ${res.status} without a redirect: ${(await res.text()).slice(0, 500)}`);
  const redirect = new URL(location);
  if (opts.follow) {
    const callback = await fetch(redirect);
    await callback.text();
  }
  return { redirect, code: redirect.searchParams.get('code'), error: redirect.searchParams.get('error'), errorDescription: redirect.searchParams.get('error_description') };
}

/** Registers the server's resource URL as an identifier URI of the server app: what `setup` does. */
export async function registerResource(emulator: EmulatorProcess, resource: string): Promise<void> {
  const app = emulator.descriptor.apps.mcpServer;
  const res = await emulator.control('/apps/mcp-server', { identifierUris: [app.appIdUri, resource] });
  if (!res.ok) throw new Error(`registering ${resource} failed: HTTP ${res.status} ${await res.text()}`);
}

/** A fixed loopback redirect URI: the test plays the browser and never needs a listener there. */
export const REDIRECT = 'http://127.0.0.1:33418/callback';

/** The parts of OAuthClientProvider both SDK generations share: static client info, memory storage, a browser. */
/** `clientId`: a public client other than the emulator file's (one `setup` created in a fresh tenant). */
export function memoryProvider(emulator: EmulatorProcess, opts: { resource?: string; clientId?: string } = {}) {
  const state: { tokens?: unknown; verifier?: string; authorizationUrl?: URL } = {};
  const provider = {
    get redirectUrl() {
      return REDIRECT;
    },
    get clientMetadata() {
      return { redirect_uris: [REDIRECT], client_name: 'oauth sign-in test', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
    },
    clientInformation: () => ({ client_id: opts.clientId ?? emulator.descriptor.apps.publicClient.clientId }),
    tokens: () => state.tokens as never,
    saveTokens: (tokens: unknown) => void (state.tokens = tokens),
    redirectToAuthorization: (url: URL) => void (state.authorizationUrl = url),
    saveCodeVerifier: (verifier: string) => void (state.verifier = verifier),
    codeVerifier: () => state.verifier ?? '',
    ...(opts.resource === undefined ? {} : { validateResourceURL: async () => new URL(opts.resource!) }),
  };
  return { provider, state };
}


/**
 * The MCP SDK v1 client signing in from scratch (static client info, the emulator auto-approving):
 * the first connect is refused with the authorization URL, the browser step gets a code, the client
 * redeems it and connects. Returns the connected client.
 */
export async function connectV1WithOAuth(emulator: EmulatorProcess, serverUrl: string, ca: string, clientId?: string): Promise<ClientV1> {
  const { provider, state } = memoryProvider(emulator, clientId === undefined ? {} : { clientId });
  const fetchFn = fetchTrusting(ca);
  const transport = () => new HttpV1(new URL(serverUrl), { authProvider: provider as ProviderV1, fetch: fetchFn });
  try {
    await new ClientV1({ name: 'oauth-v1', version: '1' }).connect(transport());
    throw new Error('the server accepted a client without a token');
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
  }
  const answer = await browseAuthorization(emulator, state.authorizationUrl!, { ca });
  if (answer.code === null) throw new Error(`sign-in refused: ${answer.error} ${answer.errorDescription}`);
  const signedIn = transport();
  await signedIn.finishAuth(answer.code);
  const client = new ClientV1({ name: 'oauth-v1', version: '1' });
  await client.connect(signedIn);
  return client;
}
