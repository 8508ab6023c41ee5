import { endpointsFromConfig, endpointsFromEmulator, readEmulatorDescriptor, type Endpoints } from '../config/endpoints.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { createRuntime, packageVersion } from '../runtime.js';
import { ALL_TOOLS } from '../tools/registry.js';
import { serveOverStdio } from '../transports/stdio.js';

/** The default command: config → endpoints (a real cloud, an emulator file, or --demo) → stdio server. */
export async function runStdioServer(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const config = await loadConfig({ flags });
  const log = createLogger(config.logLevel, { component: 'server' });
  let stopEmulator: (() => Promise<void>) | undefined;
  let endpoints: Endpoints | Promise<Endpoints>;
  if (config.demo) {
    // The emulator starts beside the protocol: initialize and tools/list answer at once, tool calls wait for it.
    endpoints = import('../emulator/index.js').then(async ({ startEmulator }) => {
      const emulator = await startEmulator({ autoApproveDemoUser: true });
      stopEmulator = () => emulator.close();
      log.info('demo: emulated tenant started in-process (not Microsoft 365)', { graph: emulator.descriptor.graphBaseUrl, demoUser: emulator.descriptor.demoUser });
      return endpointsFromEmulator(emulator.descriptor);
    });
    endpoints.catch((err: unknown) => {
      log.error('demo: the emulated tenant failed to start', { error: err });
      process.stderr.write(`m365-copilot-mcp: the emulated tenant failed to start: ${(err as Error)?.message}\n`);
      process.exit(1);
    });
  } else if (config.emulatorFile) {
    endpoints = await endpointsFromEmulator(await readEmulatorDescriptor(config.emulatorFile));
  } else {
    endpoints = await endpointsFromConfig(config);
    if (!endpoints.publicClientId) log.warn('no client id configured: tools will ask for M365_COPILOT_MCP_CLIENT_ID (or run with --demo)');
  }
  const runtime = Promise.resolve(endpoints).then((e) => createRuntime(config, e, log));
  const surface = { version: packageVersion(), tools: ALL_TOOLS };
  await serveOverStdio(surface, runtime, log);
  await stopEmulator?.();
  // MSAL and keep-alive sockets may hold the loop open; the connection is over.
  setTimeout(() => process.exit(0), 200).unref();
  return 0;
}
