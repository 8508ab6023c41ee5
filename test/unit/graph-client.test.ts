import { describe, expect, it } from 'vitest';
import { json, serve } from '../helpers/loopbackServer.js';
import * as z from 'zod';
import { AppError } from '../../src/errors.js';
import { createGraphClient, type GraphClientOptions, type Send } from '../../src/graph/client.js';
import { GraphError } from '../../src/graph/errors.js';
import { RetrievalResponseSchema, UserSchema } from '../../src/graph/copilot/schemas.js';
import { createLogger } from '../../src/log.js';

// JWT-shaped so the logger's and the error texts' redaction would recognise it if it ever leaked.
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJncmFwaC10ZXN0In0.c2lnbmF0dXJlLXNlY3JldA';


function client(baseUrl: string, extra: Partial<GraphClientOptions> = {}) {
  const tokenCalls: string[][] = [];
  const graph = createGraphClient({
    baseUrl,
    getToken: async (scopes) => {
      tokenCalls.push(scopes);
      return TOKEN;
    },
    userAgent: 'graph-test/1.0',
    ...extra,
  });
  return { graph, tokenCalls };
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

function expectNoToken(err: AppError) {
  const everything = [err.message, err.nextStep ?? '', JSON.stringify(err.details), err instanceof GraphError ? (err.graphMessage ?? '') : ''].join('\n');
  expect(everything).not.toContain(TOKEN);
  expect(everything).not.toContain('c2lnbmF0dXJlLXNlY3JldA');
}

const Anything = z.unknown();

describe('graph client: request', () => {
  it('sends the auth, correlation and content headers and keeps the request-id', async () => {
    const srv = await serve((_req, res) => json(res, 200, { retrievalHits: [] }, { 'request-id': 'rid-123' }));
    const { graph, tokenCalls } = client(srv.baseUrl);
    const out = await graph.request({
      method: 'POST',
      route: 'POST /copilot/retrieval',
      path: '/copilot/retrieval',
      body: { queryString: 'vpn', dataSource: 'sharePoint' },
      scopes: ['Files.Read.All', 'Sites.Read.All'],
      schema: RetrievalResponseSchema,
    });
    expect(out).toEqual({ data: { retrievalHits: [] }, requestId: 'rid-123', status: 200 });
    expect(tokenCalls).toEqual([['Files.Read.All', 'Sites.Read.All']]);
    const [req] = srv.seen;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/v1.0/copilot/retrieval');
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req!.headers['client-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(req!.headers.accept).toBe('application/json');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['user-agent']).toBe('graph-test/1.0');
    expect(JSON.parse(req!.body)).toEqual({ queryString: 'vpn', dataSource: 'sharePoint' });
  });

  it('uses a fresh client-request-id per request, no Content-Type without a body, the requested version, and caller headers that cannot replace ours', async () => {
    const srv = await serve((_req, res) => json(res, 200, { id: 'u1' }));
    const { graph } = client(srv.baseUrl, { defaultVersion: 'beta' });
    await graph.request({ method: 'GET', route: 'GET /me', path: '/me', scopes: ['User.Read'], schema: UserSchema, headers: { ConsistencyLevel: 'eventual', authorization: 'Bearer other' } });
    await graph.request({ method: 'GET', route: 'GET /me', path: '/me', version: 'v1.0', scopes: ['User.Read'], schema: UserSchema });
    expect(srv.seen[0]!.headers.consistencylevel).toBe('eventual');
    expect(srv.seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(srv.seen.map((s) => s.url)).toEqual(['/beta/me', '/v1.0/me']);
    expect(srv.seen[0]!.headers['content-type']).toBeUndefined();
    expect(srv.seen[0]!.headers['client-request-id']).not.toBe(srv.seen[1]!.headers['client-request-id']);
  });

  it('percent-encodes OData query values (quotes, spaces, &, =, #) and keeps $ literal', async () => {
    const srv = await serve((_req, res) => json(res, 200, { value: [] }));
    const { graph } = client(srv.baseUrl);
    const joinUrl = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0?context={"Tid":"t"}&x=1#frag';
    const filter = `JoinWebUrl eq '${joinUrl}'`;
    await graph.request({
      method: 'GET',
      route: 'GET /me/onlineMeetings',
      path: '/me/onlineMeetings?$count=true',
      query: { $filter: filter, $top: '5', $skip: undefined },
      scopes: [],
      schema: Anything,
    });
    const raw = srv.seen[0]!.url;
    expect(raw.startsWith('/v1.0/me/onlineMeetings?$count=true&$filter=JoinWebUrl%20eq%20')).toBe(true);
    expect(raw).toContain('&$top=5');
    expect(raw).not.toContain('$skip');
    expect(raw).not.toContain('+');
    expect(raw).not.toContain('#');
    const params = new URL(raw, 'http://x').searchParams;
    expect(params.get('$filter')).toBe(filter);
    expect(params.get('$count')).toBe('true');
  });

  it('accepts an absolute URL on the Graph origin and refuses any other origin before sending', async () => {
    const srv = await serve((_req, res) => json(res, 200, { id: 'u1' }));
    const other = await serve((_req, res) => json(res, 200, { id: 'stolen' }));
    const { graph, tokenCalls } = client(srv.baseUrl);
    const ok = await graph.request({ method: 'GET', route: 'GET /test', path: new URL(`${srv.baseUrl}/v1.0/users/u1`), scopes: [], schema: UserSchema });
    expect(ok.data.id).toBe('u1');
    const err = await failure(graph.request({ method: 'GET', route: 'GET /test', path: new URL(`${other.baseUrl}/v1.0/users/u1`), scopes: [], schema: UserSchema }));
    expect(err.code).toBe('BadGraphResponse');
    expect(other.seen).toHaveLength(0);
    expect(tokenCalls).toHaveLength(1);
  });
});

describe('graph client: error answers', () => {
  const innerError = { date: '2026-04-29T03:37:00', 'request-id': 'inner-rid', 'client-request-id': 'inner-crid' };
  const inFuture = (s: number) => new Date(Date.now() + s * 1000).toUTCString();
  const cases: {
    name: string;
    status: number;
    body: string;
    headers?: () => Record<string, string>;
    permissions?: string[];
    code: string;
    message: RegExp;
    nextStep: RegExp;
    retryAfter?: [number, number] | 'none';
    graphCode?: string;
    requestId?: string;
  }[] = [
    {
      name: '401 rejected token',
      status: 401,
      body: JSON.stringify({ error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.', innerError } }),
      code: 'Unauthenticated',
      message: /^Graph answered 401 InvalidAuthenticationToken: Access token has expired/,
      nextStep: /sign in again.*next tool call starts a new sign-in/i,
      graphCode: 'InvalidAuthenticationToken',
      requestId: 'inner-rid',
    },
    {
      name: '403 without a Copilot licence',
      status: 403,
      body: JSON.stringify({ error: { code: 'Forbidden', message: 'The user does not have a valid Microsoft 365 Copilot license.', innerError } }),
      permissions: ['Files.Read.All (delegated)'],
      code: 'LicenseRequired',
      message: /^Graph answered 403 Forbidden: The user does not have a valid Microsoft 365 Copilot license\.$/,
      nextStep: /Copilot licen[cs]e.*admin/i,
    },
    {
      name: '403 missing permission',
      status: 403,
      headers: () => ({ 'request-id': 'hdr-rid' }),
      body: JSON.stringify({ error: { code: 'accessDenied', message: 'Either scp or roles claim need to be present in the token.', innerError } }),
      permissions: ['Files.Read.All (delegated)', 'Sites.Read.All (delegated)'],
      code: 'Forbidden',
      message: /^Graph answered 403 accessDenied: Either scp or roles claim/,
      nextStep: /Files\.Read\.All and Sites\.Read\.All \(delegated\).*tenant admin.*admin consent.*Entra ID → App registrations → .*API permissions/,
      graphCode: 'accessDenied',
      requestId: 'hdr-rid',
    },
    {
      name: '403 Conditional Access claims challenge',
      status: 403,
      body: JSON.stringify({ error: { code: 'insufficient_claims', message: 'Continuous access evaluation resulted in claims challenge.' } }),
      code: 'Unauthenticated',
      message: /^Graph answered 403 insufficient_claims/,
      nextStep: /Conditional Access.*sign in again/i,
    },
    {
      name: '404',
      status: 404,
      body: JSON.stringify({ error: { code: 'NotFound', message: 'No meeting insights found for the given ID.', innerError } }),
      code: 'NotFound',
      message: /^Graph answered 404 NotFound: No meeting insights found/,
      nextStep: /id or URL/,
    },
    {
      name: '429 with Retry-After seconds',
      status: 429,
      headers: () => ({ 'Retry-After': '7' }),
      body: JSON.stringify({ error: { code: 'TooManyRequests', message: 'Please retry again later.', innerError: { code: '429', 'request-id': 'r429', status: '429' } } }),
      code: 'Throttled',
      message: /^Graph answered 429 TooManyRequests: Please retry again later\.$/,
      nextStep: /retry after 7 s/,
      retryAfter: [7, 7],
    },
    {
      name: '429 with Retry-After as an HTTP date',
      status: 429,
      headers: () => ({ 'Retry-After': inFuture(20) }),
      body: JSON.stringify({ error: { code: 'activityLimitReached', message: 'Throttled', innerError: { code: 'throttledRequest' } } }),
      code: 'Throttled',
      message: /^Graph answered 429 activityLimitReached/,
      nextStep: /retry after (19|20|21) s/,
      retryAfter: [18, 21],
    },
    {
      name: '429 without Retry-After',
      status: 429,
      body: JSON.stringify({ error: { code: 'TooManyRequests', message: 'Slow down.' } }),
      code: 'Throttled',
      message: /429 TooManyRequests/,
      nextStep: /no Retry-After.*30 s/,
      retryAfter: 'none',
    },
    {
      name: '503 with Retry-After',
      status: 503,
      headers: () => ({ 'Retry-After': '3' }),
      body: JSON.stringify({ error: { code: 'serviceNotAvailable', message: 'The service is temporarily unavailable.' } }),
      code: 'ServiceUnavailable',
      message: /^Graph answered 503 serviceNotAvailable/,
      nextStep: /retry after 3 s/,
      retryAfter: [3, 3],
    },
    {
      name: '504 with an empty body',
      status: 504,
      body: '',
      code: 'ServiceUnavailable',
      message: /^Graph answered 504 Gateway Timeout$/,
      nextStep: /retry after 10 s/,
      retryAfter: 'none',
    },
    {
      name: '400 names the bad field',
      status: 400,
      body: JSON.stringify({ error: { code: 'invalidRequest', message: "The 'maximumNumberOfResults' must be between 1 and 25." } }),
      code: 'GraphError',
      message: /^Graph answered 400 invalidRequest: The 'maximumNumberOfResults' must be between 1 and 25\.$/,
      nextStep: /names the field/,
    },
    {
      name: '500 with an HTML body',
      status: 500,
      body: '<html><head><title>500</title></head><body><h1>Internal Server Error</h1><p>Upstream broke</p></body></html>',
      code: 'GraphError',
      message: /^Graph answered 500 Internal Server Error: 500 Internal Server Error Upstream broke$/,
      nextStep: /retry/i,
    },
    {
      name: '502 with an empty body',
      status: 502,
      body: '',
      code: 'GraphError',
      message: /^Graph answered 502 Bad Gateway$/,
      nextStep: /retry/i,
    },
    {
      name: 'a body that echoes the bearer token is redacted',
      status: 400,
      body: JSON.stringify({ error: { code: 'BadRequest', message: `Header was Bearer ${TOKEN} and token ${TOKEN}` } }),
      code: 'GraphError',
      message: /^Graph answered 400 BadRequest: Header was Bearer \[redacted\] and token \[redacted\]$/,
      nextStep: /./,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const srv = await serve((_req, res) => {
        res.writeHead(c.status, { 'Content-Type': c.body.startsWith('<') ? 'text/html' : 'application/json', ...(c.headers?.() ?? {}) });
        res.end(c.body);
      });
      const { graph } = client(srv.baseUrl);
      const err = await failure(
        graph.request({ method: 'GET', route: 'GET /copilot/thing', path: '/copilot/thing?secret=1', scopes: ['X'], ...(c.permissions ? { permissions: c.permissions } : {}), schema: Anything }),
      );
      expect(err).toBeInstanceOf(GraphError);
      const g = err as GraphError;
      expect(g.code).toBe(c.code);
      expect(g.status).toBe(c.status);
      expect(g.message).toMatch(c.message);
      expect(g.nextStep).toMatch(c.nextStep);
      expect(g.details['status']).toBe(c.status);
      expect(g.details['path']).toBe('/v1.0/copilot/thing');
      if (c.graphCode) expect(g.details['graphCode']).toBe(c.graphCode);
      if (c.requestId) {
        expect(g.requestId).toBe(c.requestId);
        expect(g.details['requestId']).toBe(c.requestId);
      }
      if (c.retryAfter === 'none') expect(g.retryAfterSeconds).toBeUndefined();
      else if (c.retryAfter) {
        expect(g.retryAfterSeconds).toBeGreaterThanOrEqual(c.retryAfter[0]);
        expect(g.retryAfterSeconds).toBeLessThanOrEqual(c.retryAfter[1]);
      }
      expectNoToken(g);
    });
  }
});

describe('graph client: decoding 2xx answers', () => {
  it('malformed JSON in a 200 is BadGraphResponse with status, content-type and an excerpt', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'request-id': 'rid-html' });
      res.end(`<html><body>Sign in to the captive portal ${'x'.repeat(300)}</body></html>`);
    });
    const { graph } = client(srv.baseUrl);
    const err = await failure(graph.request({ method: 'GET', route: 'GET /me', path: '/me', scopes: [], schema: UserSchema }));
    expect(err.code).toBe('BadGraphResponse');
    expect(err.message).toContain('200');
    expect(err.message).toContain('text/html; charset=utf-8');
    expect(err.message).toContain('<html><body>Sign in to the captive portal');
    expect(err.message.length).toBeLessThan(300);
    expect(err.details['requestId']).toBe('rid-html');
    expectNoToken(err);
  });

  // webUrl may be null or absent (v1.0 CSDL: nullable); a number is a shape Graph never sends.
  it('a 200 with a field of the wrong type is BadGraphResponse naming the field path', async () => {
    const srv = await serve((_req, res) => json(res, 200, { retrievalHits: [{ webUrl: 'https://a', extracts: [] }, { webUrl: 42, extracts: [{ text: 'x' }], resourceType: 'listItem' }] }));
    const { graph } = client(srv.baseUrl);
    const err = await failure(graph.request({ method: 'POST', route: 'POST /copilot/retrieval', path: '/copilot/retrieval', body: {}, scopes: [], schema: RetrievalResponseSchema }));
    expect(err.code).toBe('BadGraphResponse');
    expect(err.message).toContain('retrievalHits.1.webUrl');
    expect(err.details['field']).toBe('retrievalHits.1.webUrl');
  });

  it('tolerates extra fields and unknown enum values, and normalises toolTip', async () => {
    const srv = await serve((_req, res) =>
      json(res, 200, {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#x',
        retrievalHits: [
          {
            webUrl: 'https://contoso.sharepoint.com/a.docx',
            extracts: [{ text: 'one', relevanceScore: 0.8, pageNumbers: [1] }, { text: 'two' }],
            resourceType: 'someFutureEntityType',
            resourceMetadata: { title: 'A', size: 42 },
            sensitivityLabel: { sensitivityLabelId: 'lbl', displayName: 'Confidential', toolTip: 'Handle with care', priority: 4, color: '#FF8C00', isEncrypted: true },
            thumbnails: [],
            brandNewField: { nested: true },
          },
        ],
      }),
    );
    const { graph } = client(srv.baseUrl);
    const { data } = await graph.request({ method: 'POST', route: 'POST /copilot/retrieval', path: '/copilot/retrieval', body: {}, scopes: [], schema: RetrievalResponseSchema });
    const hit = data.retrievalHits[0]!;
    expect(hit.resourceType).toBe('someFutureEntityType');
    expect(hit.extracts[1]!.relevanceScore).toBeUndefined();
    expect(hit.sensitivityLabel?.tooltip).toBe('Handle with care');
    expect(hit.sensitivityLabel).not.toHaveProperty('toolTip');
    expect((hit as Record<string, unknown>)['brandNewField']).toEqual({ nested: true });
  });

  it('an empty 204 is undefined for the schema to judge', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const { graph } = client(srv.baseUrl);
    const out = await graph.request({ method: 'DELETE', route: 'DELETE /thing', path: '/thing', scopes: [], schema: z.undefined() });
    expect(out).toEqual({ data: undefined, requestId: undefined, status: 204 });
  });
});

describe('graph client: transport failures', () => {
  it('an aborted request is Cancelled', async () => {
    const srv = await serve(() => {
      /* never answers */
    });
    const { graph } = client(srv.baseUrl);
    const ctrl = new AbortController();
    const started = Date.now();
    setTimeout(() => ctrl.abort(new Error('user pressed stop')), 50);
    const err = await failure(graph.request({ method: 'GET', route: 'GET /me', path: '/me', scopes: [], schema: UserSchema, signal: ctrl.signal }));
    expect(err.code).toBe('Cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(srv.seen).toHaveLength(1);
  });

  it('an already aborted signal sends nothing and asks for no token', async () => {
    const srv = await serve((_req, res) => json(res, 200, { id: 'u' }));
    const { graph, tokenCalls } = client(srv.baseUrl);
    const err = await failure(graph.request({ method: 'GET', route: 'GET /me', path: '/me', scopes: [], schema: UserSchema, signal: AbortSignal.abort() }));
    expect(err.code).toBe('Cancelled');
    expect(srv.seen).toHaveLength(0);
    expect(tokenCalls).toHaveLength(0);
  });

  it('a request past its deadline is ServiceUnavailable, not Cancelled', async () => {
    const srv = await serve(() => {
      /* never answers */
    });
    const { graph } = client(srv.baseUrl, { timeoutMs: 100 });
    const err = await failure(graph.request({ method: 'GET', route: 'GET /me', path: '/me', scopes: [], schema: UserSchema }));
    expect(err.code).toBe('ServiceUnavailable');
    expect(err.message).toMatch(/did not answer GET \/v1\.0\/me within/);
  });

  it('connection refused is NetworkError naming the host', async () => {
    const srv = await serve(() => undefined);
    const baseUrl = srv.baseUrl;
    await srv.close();
    const { graph } = client(baseUrl);
    const err = await failure(graph.request({ method: 'GET', route: 'GET /me', path: '/me', scopes: [], schema: UserSchema }));
    expect(err.code).toBe('NetworkError');
    expect(err.message).toContain(new URL(baseUrl).host);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.cause).toBeDefined();
    expectNoToken(err);
  });

  it('an opaque (non-JWT) token echoed back is scrubbed too', async () => {
    const opaque = 'EwBwA8l6BAAU-opaque-token-value';
    const srv = await serve((req, res) => json(res, 500, { error: { code: 'generalException', message: `got ${req.headers.authorization}` } }));
    const graph = createGraphClient({ baseUrl: srv.baseUrl, getToken: async () => opaque });
    const err = await failure(graph.request({ method: 'GET', route: 'GET /me', path: '/me', scopes: [], schema: UserSchema }));
    expect(err.message).toBe('Graph answered 500 generalException: got Bearer [redacted]');
  });

  it('token acquisition failures pass through untouched', async () => {
    const srv = await serve((_req, res) => json(res, 200, { id: 'u' }));
    const authErr = new AppError('AuthRequired', 'sign in first');
    const graph = createGraphClient({ baseUrl: srv.baseUrl, getToken: async () => Promise.reject(authErr) });
    await expect(graph.request({ method: 'GET', route: 'GET /me', path: '/me', scopes: [], schema: UserSchema })).rejects.toBe(authErr);
    expect(srv.seen).toHaveLength(0);
  });
});

describe('graph client: seams and hygiene', () => {
  it('a send policy wraps the single attempt (the hook retries will use)', async () => {
    let calls = 0;
    const srv = await serve((_req, res) => (++calls === 1 ? json(res, 503, { error: { code: 'serviceNotAvailable', message: 'busy' } }, { 'Retry-After': '0' }) : json(res, 200, { id: 'u' })));
    const retryOnce = (send: Send): Send => async (ex) => {
      try {
        return await send(ex);
      } catch (err) {
        if (err instanceof GraphError && err.code === 'ServiceUnavailable') return send(ex);
        throw err;
      }
    };
    const { graph } = client(srv.baseUrl, { sendPolicy: retryOnce });
    const out = await graph.request({ method: 'GET', route: 'GET /me', path: '/me', scopes: [], schema: UserSchema });
    expect(out.data.id).toBe('u');
    expect(srv.seen).toHaveLength(2);
  });

  it('logs method, path, status and request id, never the token or the query', async () => {
    const lines: string[] = [];
    const srv = await serve((req, res) => (req.url.includes('fail') ? json(res, 429, { error: { code: 'TooManyRequests', message: 'slow' } }) : json(res, 200, { id: 'u' }, { 'request-id': 'rid-log' })));
    const { graph } = client(srv.baseUrl, { log: createLogger('debug', {}, (l) => lines.push(l)) });
    await graph.request({ method: 'GET', route: 'GET /me', path: '/me', query: { $select: 'id,mail' }, scopes: [], schema: UserSchema });
    await failure(graph.request({ method: 'GET', route: 'GET /fail', path: '/fail', scopes: [], schema: UserSchema }));
    const all = lines.join('');
    expect(all).toContain('rid-log');
    expect(all).toContain('"path":"/v1.0/me"');
    expect(all).toContain('TooManyRequests');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('$select');
  });
});
