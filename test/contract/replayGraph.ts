import type { ServerResponse } from 'node:http';
import { serve, type Seen } from '../helpers/loopbackServer.js';

/**
 * A loopback "Graph" that answers the routes the tools call with fixtures in the shapes of
 * Microsoft's documented examples (our own values). Each route is matched on method and path (the
 * path without its query), and may answer differently by what the request carries.
 */
export interface ReplayRoute {
  method: 'GET' | 'POST';
  /** Matched against the decoded path, e.g. /v1.0/copilot/retrieval. */
  path: RegExp;
  answer(req: Seen, res: ServerResponse, baseUrl: string): void;
}

export async function replayGraph(routes: readonly ReplayRoute[]) {
  const unmatched: string[] = [];
  const server = await serve((req, res, baseUrl) => {
    const path = decodeURIComponent(new URL(req.url, baseUrl).pathname);
    const route = routes.find((r) => r.method === req.method && r.path.test(path));
    if (!route) {
      unmatched.push(`${req.method} ${path}`);
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'ResourceNotFound', message: `no fixture for ${req.method} ${path}` } }));
      return;
    }
    route.answer(req, res, baseUrl);
  });
  return { ...server, unmatched };
}

export function sendJson(res: ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8', 'request-id': 'replay-request-id', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Server-sent events as chatOverStream's documented example lays them out: `data:` then `id:` per
 * event. The example pretty-prints each event's JSON over many lines without repeating `data:`;
 * on the wire (the SSE format) that would be one event `{`, so each event is one line here.
 */
export function sendEvents(res: ServerResponse, events: readonly unknown[]): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'request-id': 'replay-request-id' });
  let id = 100;
  for (const e of events) res.write(`data: ${JSON.stringify(e)}\nid:${(id += 4)}\n\n`);
  res.end();
}

/** An unsigned JWT with the claims ProvidedTokenBroker reads: nobody verifies it (the replay does not). */
export function fakeDelegatedToken(scopes: readonly string[]): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return [
    b64({ alg: 'none', typ: 'JWT' }),
    b64({
      aud: 'https://graph.microsoft.com',
      iss: 'https://sts.windows.net/8f1d1e6c-3b0a-4f4e-9d52-2a6b41c7e0aa/',
      tid: '8f1d1e6c-3b0a-4f4e-9d52-2a6b41c7e0aa',
      oid: '5d0f2c2e-8a77-4c4b-a1c5-6f1c1b0e9a11',
      upn: 'megan.bowen@contoso.example',
      name: 'Megan Bowen',
      scp: scopes.join(' '),
      ver: '1.0',
      iat: now,
      nbf: now,
      exp: now + 3600,
    }),
    'replay',
  ].join('.');
}
