import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { endpointsFromConfig, endpointsFromEmulator, readEmulatorDescriptor, type Endpoints } from '../config/endpoints.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { createRuntime } from '../runtime.js';
import { buildServer } from '../server.js';

/** The default command: one MCP connection over stdin/stdout; logs on stderr. */
export async function runStdioServer(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const config = await loadConfig({ flags });
  const log = createLogger(config.logLevel, { component: 'server' });
  let endpoints: Endpoints;
  let stopEmulator: (() => Promise<void>) | undefined;
  if (config.demo) {
    const { startEmulator } = await import('../emulator/index.js');
    const emulator = await startEmulator({ autoApproveDemoUser: true });
    stopEmulator = () => emulator.close();
    endpoints = await endpointsFromEmulator(emulator.descriptor);
    log.info('demo: emulated tenant started in-process (not Microsoft 365)', { graph: emulator.descriptor.graphBaseUrl, demoUser: emulator.descriptor.demoUser });
  } else if (config.emulatorFile) {
    endpoints = await endpointsFromEmulator(await readEmulatorDescriptor(config.emulatorFile));
  } else {
    endpoints = await endpointsFromConfig(config);
    if (!endpoints.publicClientId) log.warn('no client id configured: tools will ask for M365_COPILOT_MCP_CLIENT_ID (or run with --demo)');
  }
  const runtime = createRuntime(config, endpoints, log);
  const handle = serveStdio(() => buildServer(runtime), { onerror: (err) => log.error('stdio transport error', { error: err }) });

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.stdin.once('end', stop);
    process.stdin.once('close', stop);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await handle.close().catch(() => {});
  await stopEmulator?.();
  // MSAL and keep-alive sockets may hold the loop open; the connection is over.
  setTimeout(() => process.exit(0), 200).unref();
  return 0;
}
