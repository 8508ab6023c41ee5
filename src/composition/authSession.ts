import type { TokenCache } from '../auth/cache/types.js';
import type { Endpoints } from '../config/endpoints.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import { endpointSource, tokenCacheFor } from './endpointSource.js';
import { localAuth, type LocalAuth } from './localAuth.js';

export interface AuthSession extends LocalAuth {
  config: Config;
  endpoints: Endpoints;
  cache: TokenCache;
}

/** For the terminal commands (login, logout, status): quieter logs, the persistent cache, cleanup after. */
export async function withAuthSession<T>(config: Config, component: string, run: (session: AuthSession) => Promise<T>): Promise<T> {
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { component });
  const source = await endpointSource(config, log);
  try {
    const [endpoints, cache] = await Promise.all([source.endpoints, tokenCacheFor(config, log)]);
    return await run({ config, endpoints, cache, ...localAuth(config, endpoints, log, cache.plugin) });
  } finally {
    await source.stop();
  }
}
