import { composeHttp } from '../composition/composeHttp.js';
import type { Config } from '../config/schema.js';
import { startHttpServer } from '../transports/http.js';
import type { ServeHooks } from './serve.js';

/** `serve --http`: Streamable HTTP for many users, each call on behalf of the bearer's own user, until SIGTERM. */
export async function runHttpServer(config: Config, hooks: ServeHooks): Promise<number> {
  const composed = await composeHttp(config);
  const { log } = composed;
  const server = await startHttpServer(composed.options);
  // Listening for SIGTERM before the startup line goes out: a supervisor that reads it and stops us at once gets a drain, not a kill.
  const stopRequested = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  // One JSON line on stdout, like the emulator's: scripts and tests learn the port chosen for --port 0.
  const demo = composed.demoDescriptorFile;
  process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, ...(demo ? { emulator: demo } : {}) })}\n`);
  log.info('serving MCP over HTTP', { url: server.url, allowedTenants: composed.allowedTenants, audiences: composed.audiences });
  if (demo) log.info(`demo tenant: get a bearer token with \`m365-copilot-mcp emulator token --emulator ${demo} --user demo\``, { emulator: demo });

  await stopRequested;
  log.info('shutting down: letting in-flight calls finish', { graceSeconds: config.shutdownGraceSeconds, drainSeconds: config.shutdownDrainSeconds });
  await server.close(config.shutdownGraceSeconds * 1000, config.shutdownDrainSeconds * 1000);
  await composed.close();
  // Spans and metrics of the last calls go out before the process does.
  await hooks.onStop();
  setTimeout(() => process.exit(0), 100).unref();
  return 0;
}
