import { readFileSync } from 'node:fs';
import { MsalBroker } from './auth/msalBroker.js';
import type { Config } from './config/schema.js';
import type { Endpoints } from './config/endpoints.js';
import { createGraphClient } from './graph/client.js';
import { reauthOnce } from './graph/reauthPolicy.js';
import { createRetryBudget, retrying } from './graph/retryPolicy.js';
import { circuitBreaker } from './graph/circuitBreaker.js';
import type { TokenBroker, TokenFlow } from './auth/broker.js';
import { ProvidedTokenBroker } from './auth/providedTokenBroker.js';
import type { ICachePlugin } from '@azure/msal-node';
import type { Logger } from './log.js';
import type { ServerRuntime } from './server.js';

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function createBroker(config: Config, endpoints: Endpoints, log: Logger, cachePlugin?: ICachePlugin): MsalBroker {
  return new MsalBroker({
    identity: {
      authority: endpoints.authority,
      knownAuthorities: endpoints.knownAuthorities,
      graphResource: endpoints.graphResource,
      ...(endpoints.extraCaPem ? { extraCaPem: endpoints.extraCaPem } : {}),
      onlyExtraCa: endpoints.onlyExtraCa,
    },
    ...(endpoints.publicClientId ? { publicClientId: endpoints.publicClientId } : {}),
    ...(endpoints.exportApp ? { exportApp: endpoints.exportApp } : {}),
    baseScopes: ['User.Read'],
    signInWaitMs: config.signInWaitSeconds * 1000,
    ...(config.account ? { account: config.account } : {}),
    ...(cachePlugin ? { cachePlugin } : {}),
    log: log.child({ component: 'auth' }),
  });
}

/** Wires config, endpoints and the token cache into the long-lived pieces the server factory hands to tools. */
export function createRuntime(config: Config, endpoints: Endpoints, log: Logger, cachePlugin?: ICachePlugin): ServerRuntime {
  const msal = createBroker(config, endpoints, log, cachePlugin);
  const broker: TokenBroker = config.accessToken ? new ProvidedTokenBroker(config.accessToken, msal) : msal;
  const graphLog = log.child({ component: 'graph' });
  const version = packageVersion();
  const common = { baseUrl: endpoints.graphBaseUrl, log: graphLog, userAgent: `m365-copilot-mcp/${version}`, timeoutMs: config.graphTimeoutSeconds * 1000 };
  // One retry budget for the process, so a throttling storm cannot multiply the load we send.
  const budget = createRetryBudget();
  const clientFor = (flow: TokenFlow) => {
    let stale = false; // set when Graph rejected a token: the next acquisition skips the cache
    const retry = retrying({ maxAttempts: config.graphMaxAttempts, deadlineMs: config.graphTimeoutSeconds * 1000, budget });
    const breaker = circuitBreaker();
    const reauth = reauthOnce(() => (stale = true));
    return createGraphClient({
      ...common,
      sendPolicy: (send) => reauth(breaker(retry(send))),
      ...(config.graphMaxAttempts > 1 ? { batchRetry: { maxAttempts: config.graphMaxAttempts, baseDelayMs: 250, maxDelayMs: 8000 } } : {}),
      getToken: async (scopes, signal) => {
        const forceRefresh = stale;
        stale = false;
        return (await broker.getToken({ flow, scopes: flow === 'app' ? [] : scopes, forceRefresh }, signal)).accessToken;
      },
    });
  };
  return {
    broker,
    log,
    graph: clientFor('delegated'),
    appGraph: clientFor('app'),
    environment: {
      transport: 'stdio',
      cloud: endpoints.cloud,
      graphBaseUrl: endpoints.graphBaseUrl,
      authority: endpoints.authority,
      tenantSource: endpoints.tenantSource,
      exportConfigured: endpoints.exportApp !== undefined,
      serverVersion: version,
    },
  };
}
