import { join } from 'node:path';
import type { TokenCache } from '../auth/cache/types.js';
import { endpointsFromConfig, endpointsFromEmulator, readEmulatorDescriptor, serverAppNamedBy, type Endpoints } from '../config/endpoints.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';

export interface EndpointSource {
  /** A promise while the in-process emulator of --demo is still starting. */
  endpoints: Endpoints | Promise<Endpoints>;
  /** --demo: the in-process emulator's descriptor line (for `emulator token`), once it runs. */
  demoDescriptor?: Promise<unknown>;
  stop(): Promise<void>;
}

/** Where identity and Graph traffic goes: --demo (in-process emulator), --emulator FILE, or the configured cloud. */
export async function endpointSource(config: Config, log: Logger): Promise<EndpointSource> {
  if (config.demo) {
    let stop = async () => {};
    const started = import('m365-copilot-emulator').then(async ({ startEmulator }) => {
      const emulator = await startEmulator({ autoApproveDemoUser: true });
      stop = () => emulator.close();
      log.info('demo: emulated tenant started in-process (not Microsoft 365)', { graph: emulator.descriptor.graphBaseUrl, demoUser: emulator.descriptor.demoUser });
      return emulator.descriptor;
    });
    const endpoints = started.then((descriptor) => endpointsFromEmulator(descriptor));
    return { endpoints, demoDescriptor: started, stop: () => endpoints.then(() => stop(), () => undefined) };
  }
  if (config.emulatorFile) return { endpoints: withNamedApps(await endpointsFromEmulator(await readEmulatorDescriptor(config.emulatorFile)), config), stop: async () => {} };
  return { endpoints: await endpointsFromConfig(config), stop: async () => {} };
}

/**
 * Apps named by flags win over the emulator file's: a fresh emulated tenant's file names no public
 * client and no server app, and `setup` prints `--client-id` / `--server-client-id` / `--export-client-id` (with the
 * secret in the environment) for the ones it created, as it does for a real tenant.
 */
function withNamedApps(endpoints: Endpoints, config: Config): Endpoints {
  const named = { ...endpoints };
  if (config.clientId) named.publicClientId = config.clientId;
  if (config.serverClientId) named.serverApp = serverAppNamedBy(config, config.serverClientId);
  // `setup --export-app` prints --export-client-id with the secret in the environment (a fresh
  // tenant's export app has no secret in the file). A certificate stays the file's or the cloud config's.
  if (config.exportClientId && config.exportClientSecret) {
    named.exportApp = { clientId: config.exportClientId, clientSecret: config.exportClientSecret, authority: endpoints.exportApp?.authority ?? endpoints.authority };
  }
  return named;
}

/**
 * The token cache for these endpoints. --demo's emulator lives only as long as the process, so its
 * tokens stay in memory; an emulator file gets its own subdirectory so test tenants never mix with real ones.
 */
export async function tokenCacheFor(config: Config, log: Logger): Promise<TokenCache> {
  // Loaded on demand so the stdio server answers initialize before the cache code is even read.
  const { openTokenCache } = await import('../auth/cache/index.js');
  if (config.demo) return openTokenCache({ stateDir: join(config.stateDir, 'demo'), preference: 'memory', log });
  const stateDir = config.emulatorFile ? join(config.stateDir, 'emulator') : config.stateDir;
  return openTokenCache({ stateDir, preference: config.tokenCache, log });
}
