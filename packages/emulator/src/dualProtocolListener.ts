import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';

export type Scheme = 'http' | 'https';
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, scheme: Scheme) => Promise<void>;

export interface DualProtocolServer {
  readonly port: number;
  close(): Promise<void>;
}

// First byte of a TLS record carrying a handshake (ClientHello); HTTP/1 starts with a method letter.
const TLS_HANDSHAKE = 0x16;
const FIRST_BYTE_TIMEOUT_MS = 30_000;

/**
 * One loopback port speaking both HTTPS (identity provider: MSAL insists on https authorities)
 * and plain HTTP (Graph and control, so clients need no CA for them). The first byte of each
 * connection decides which server gets the socket; the byte is pushed back before handing over.
 */
export async function listenDualProtocol(opts: {
  port: number;
  host: string;
  tls: { cert: string; key: string };
  handler: RequestHandler;
  onError: (err: unknown) => void;
}): Promise<DualProtocolServer> {
  const dispatch = (scheme: Scheme) => (req: IncomingMessage, res: ServerResponse) => {
    opts.handler(req, res, scheme).catch((err: unknown) => {
      opts.onError(err);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('emulator error');
      } else {
        res.destroy();
      }
    });
  };
  const plain = http.createServer(dispatch('http'));
  const secure = https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, dispatch('https'));
  // A client that rejects our certificate, or hangs up mid-handshake, is its own business.
  secure.on('tlsClientError', (_err, socket) => socket.destroy());

  const sockets = new Set<Socket>();
  const route = (socket: Socket): void => {
    const first = socket.read(1) as Buffer | null;
    if (first === null) {
      // Nothing yet, or the peer hung up (then 'close' follows and the listener goes with the socket).
      socket.once('readable', () => route(socket));
      return;
    }
    socket.setTimeout(0);
    socket.unshift(first);
    (first[0] === TLS_HANDSHAKE ? secure : plain).emit('connection', socket);
  };

  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Until a server owns the socket, resets must not crash the process.
    socket.on('error', () => socket.destroy());
    // A connection that never says anything would otherwise be held until close().
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    route(socket);
  });

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(opts.port, opts.host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  front.on('error', opts.onError);

  let closing: Promise<void> | undefined;
  return {
    port: (front.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        front.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        plain.closeAllConnections();
        secure.closeAllConnections();
      });
      return closing;
    },
  };
}
