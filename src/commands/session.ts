import { join } from 'node:path';
import type { TokenCache } from '../auth/cache/types.js';
import { endpointsFromConfig, endpointsFromEmulator, readEmulatorDescriptor, type Endpoints } from '../config/endpoints.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger, type Logger } from '../log.js';
import type { MsalBroker } from '../auth/msalBroker.js';
import { createBroker } from '../runtime.js';

export interface EndpointSource {
  /** A promise while the in-process emulator of --demo is still starting. */
  endpoints: Endpoints | Promise<Endpoints>;
  stop(): Promise<void>;
}

/** Where identity and Graph traffic goes: --demo (in-process emulator), --emulator FILE, or the configured cloud. */
export async function endpointSource(config: Config, log: Logger): Promise<EndpointSource> {
  if (config.demo) {
    let stop = async () => {};
    const endpoints = import('m365-copilot-emulator').then(async ({ startEmulator }) => {
      const emulator = await startEmulator({ autoApproveDemoUser: true });
      stop = () => emulator.close();
      log.info('demo: emulated tenant started in-process (not Microsoft 365)', { graph: emulator.descriptor.graphBaseUrl, demoUser: emulator.descriptor.demoUser });
      return endpointsFromEmulator(emulator.descriptor);
    });
    return { endpoints, stop: () => endpoints.then(() => stop(), () => undefined) };
  }
  if (config.emulatorFile) return { endpoints: await endpointsFromEmulator(await readEmulatorDescriptor(config.emulatorFile)), stop: async () => {} };
  return { endpoints: await endpointsFromConfig(config), stop: async () => {} };
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

export interface AuthSession {
  config: Config;
  endpoints: Endpoints;
  cache: TokenCache;
  broker: MsalBroker;
}

/** For the terminal commands (login, logout, status): quieter logs, the persistent cache, cleanup after. */
export async function withAuthSession<T>(flags: Record<string, string | boolean | undefined>, component: string, run: (session: AuthSession) => Promise<T>): Promise<T> {
  const config = await loadConfig({ flags });
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { component });
  const source = await endpointSource(config, log);
  try {
    const [endpoints, cache] = await Promise.all([source.endpoints, tokenCacheFor(config, log)]);
    return await run({ config, endpoints, cache, broker: createBroker(config, endpoints, log, cache.plugin) });
  } finally {
    await source.stop();
  }
}
