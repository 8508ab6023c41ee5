import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { Logger } from '../log.js';
import { takeFastStart, type FastStartHandover } from './fastStart/front.js';
import { AnsweringReadBuffer } from './jsonLines.js';
import { buildServer } from '../server/buildServer.js';
import type { ServerRuntime, ServerSurface } from '../server/runtime.js';

/** Why the stdio connection ended: the client closed stdin, we were told to stop, or the transport gave up. */
export type StdioEnd = 'client-closed' | 'signal' | 'transport-failed';

/**
 * The SDK's stdio transport, telling us when it closes itself. It does so after an unreadable input
 * (a line over its 10 MiB read buffer): it stops reading stdin but leaves the process alive, so a host
 * would see a deaf server. We end the process instead (non-zero), and the host can start a new one.
 */
class WatchedStdioTransport extends StdioServerTransport {
  constructor(
    private readonly onClosed: () => void,
    private readonly fastStart: FastStartHandover | undefined,
    private readonly log: Logger,
  ) {
    super(fastStart?.input ?? process.stdin, process.stdout);
    // A line that is not JSON gets its -32700 answer instead of silence (the SDK skips it). The SDK
    // reads through its private `_readBuffer` (SDK 2.4); this is the one place that relies on it, and
    // a renamed field fails loudly here rather than silently dropping the answers.
    const self = this as unknown as { _readBuffer?: unknown };
    if (!('_readBuffer' in self)) throw new Error('the MCP SDK stdio transport no longer has _readBuffer: update src/transports/stdio.ts');
    self._readBuffer = new AnsweringReadBuffer((response) => process.stdout.write(response));
  }

  /**
   * After a fast start the SDK answers the opening again (it reads the whole input): that answer was
   * sent already, so it is dropped here — after checking it is byte for byte the one sent, since
   * the fast start is only right while the rendered answers are the SDK's own.
   */
  override send(message: JSONRPCMessage): Promise<void> {
    // Once the opening's answers are all dropped, every later answer goes straight through.
    const id = this.fastStart?.sent.size && ('result' in message || 'error' in message) ? JSON.stringify(message.id) : undefined;
    const sent = id === undefined ? undefined : this.fastStart!.sent.get(id);
    const line = sent?.shift();
    if (line === undefined) return super.send(message);
    if (!sent!.length) this.fastStart!.sent.delete(id!);
    if (JSON.stringify(message) !== line)
      this.log.error('the fast start sent an answer the server would not send: rebuild (npm run build renders them), or run with --no-fast-start', {
        code: 'FastStartMismatch',
        id,
        sent: line.slice(0, 2000),
        server: JSON.stringify(message).slice(0, 2000),
      });
    return Promise.resolve();
  }

  override async close(): Promise<void> {
    await super.close();
    this.onClosed();
  }
}

/**
 * One MCP connection over stdin/stdout, both protocol eras (serveStdio pins the era the client opens
 * with). Resolves when the client closes stdin, the process is told to stop, or the transport fails.
 */
export async function serveOverStdio(surface: ServerSurface, runtime: Promise<ServerRuntime>, log: Logger): Promise<StdioEnd> {
  let lastError: Error | undefined;
  let ended: ((why: StdioEnd) => void) | undefined;
  const end = new Promise<StdioEnd>((resolve) => (ended = resolve));
  const fastStart = takeFastStart();
  if (fastStart) log.debug('answered before the server loaded (fast start)', { requests: fastStart.answered });
  const transport = new WatchedStdioTransport(() => ended?.(process.stdin.readableEnded || process.stdin.destroyed ? 'client-closed' : 'transport-failed'), fastStart, log);
  const handle = serveStdio((ctx) => buildServer(surface, runtime, ctx.era), {
    transport,
    onerror: (err) => {
      lastError = err;
      log.error('stdio transport error', { error: err });
    },
  });
  process.stdin.once('end', () => ended?.('client-closed'));
  process.stdin.once('close', () => ended?.('client-closed'));
  process.once('SIGINT', () => ended?.('signal'));
  process.once('SIGTERM', () => ended?.('signal'));
  const why = await end;
  if (why === 'transport-failed')
    log.error('the stdio connection can no longer be read; exiting so the client can start a new server', { error: lastError?.message });
  await handle.close().catch(() => {});
  return why;
}
