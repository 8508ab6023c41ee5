import { composeStdio } from '../composition/composeStdio.js';
import type { Config } from '../config/schema.js';
import { serveOverStdio } from '../transports/stdio.js';
import type { ServeHooks } from './serve.js';

/** The default command: the stdio server for one local user, until the client closes stdin. */
export async function runStdioServer(config: Config, hooks: ServeHooks): Promise<number> {
  const { surface, runtime, log, stop } = await composeStdio(config);
  runtime.catch((err: unknown) => {
    log.error('startup failed', { error: err });
    process.stderr.write(`m365-copilot-mcp: startup failed: ${(err as Error)?.message}\n`);
    process.exit(1);
  });
  const why = await serveOverStdio(surface, runtime, log);
  await stop();
  await hooks.onStop();
  const code = why === 'transport-failed' ? 1 : 0;
  // MSAL and keep-alive sockets may hold the loop open; the connection is over.
  setTimeout(() => process.exit(code), 200).unref();
  return code;
}
