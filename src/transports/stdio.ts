import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Logger } from '../log.js';
import { buildServer, type ServerRuntime, type ServerSurface } from '../server.js';

/**
 * One MCP connection over stdin/stdout, both protocol eras (serveStdio pins the era the client opens
 * with). Resolves when the client closes stdin or the process is told to stop.
 */
export async function serveOverStdio(surface: ServerSurface, runtime: Promise<ServerRuntime>, log: Logger): Promise<void> {
  const handle = serveStdio((ctx) => buildServer(surface, runtime, ctx.era), { onerror: (err) => log.error('stdio transport error', { error: err }) });
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await handle.close().catch(() => {});
}
