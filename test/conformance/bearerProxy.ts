import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface BearerProxy {
  /** The MCP endpoint on the proxy (same path as the target). */
  url: string;
  close(): Promise<void>;
}

/**
 * A loopback reverse proxy that adds `Authorization: Bearer <token>` to each request that has none and
 * otherwise passes bytes through untouched: method, path, every header (Host and Origin included, so
 * the server's DNS-rebinding checks judge what the suite sent) and streamed bodies both ways (SSE).
 * The conformance suite cannot send our Entra tokens; this lets its requests through the real gate.
 */
export async function startBearerProxy(target: string, token: string): Promise<BearerProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers };
    headers.authorization ??= `Bearer ${token}`;
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
      res.once('close', () => answer.destroy());
    });
    out.once('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(out);
    res.once('close', () => out.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
