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
import type { ServerRuntime } from './server/runtime.js';
import type { GraphClient } from './graph/client.js';
import type { RuntimeInfo } from './tools/tool.js';
import { createGovernance } from './policy/governance.js';
import { recordGraphCall } from './policy/graphCalls.js';
import type { UnavailableTool } from './tools/selection.js';

let cachedVersion: string | undefined;

export function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    cachedVersion = pkg.version ?? '0.0.0';
  } catch {
    cachedVersion = '0.0.0';
  }
  return cachedVersion;
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

/**
 * Graph clients for any token broker, sharing what must be shared across users and requests: the
 * retry budget (a throttling storm cannot multiply our load) and one circuit breaker per flow and
 * API. HTTP mode calls it once per request with that caller's broker; stdio once per flow.
 */
export function createGraphClientFactory(config: Config, endpoints: Endpoints, log: Logger): (flow: TokenFlow, broker: TokenBroker) => GraphClient {
  const graphLog = log.child({ component: 'graph' });
  // onExchange: every request-id lands in the audit record of the tool call that caused it.
  const common = { baseUrl: endpoints.graphBaseUrl, log: graphLog, userAgent: `m365-copilot-mcp/${packageVersion()}`, timeoutMs: config.graphTimeoutSeconds * 1000, onExchange: recordGraphCall };
  // Retries may add at most ~20 % to the load, plus a floor of 10 per second (the shape of Finagle's retry budget).
  const budget = createRetryBudget({ capacity: 20, refillPerSuccess: 0.2, refillPerSecond: 10 });
  const retry = retrying({ maxAttempts: config.graphMaxAttempts, deadlineMs: config.graphTimeoutSeconds * 1000, budget });
  const breakers = { delegated: circuitBreaker(), app: circuitBreaker() };
  const batchRetry = config.graphMaxAttempts > 1 ? { batchRetry: { maxAttempts: config.graphMaxAttempts, baseDelayMs: 250, maxDelayMs: 8000 } } : {};
  return (flow, broker) => {
    let stale = false; // set when Graph rejected a token: the next acquisition skips the cache
    const reauth = reauthOnce(() => (stale = true));
    return createGraphClient({
      ...common,
      sendPolicy: (send) => reauth(breakers[flow](retry(send))),
      ...batchRetry,
      getToken: async (scopes, signal) => {
        const forceRefresh = stale;
        stale = false;
        return (await broker.getToken({ flow, scopes: flow === 'app' ? [] : scopes, forceRefresh }, signal)).accessToken;
      },
    });
  };
}

/** `unavailable`: what the cloud filter left out and why, so the status tool can say so. */
export function runtimeInfo(endpoints: Endpoints, transport: RuntimeInfo['transport'], unavailable: readonly UnavailableTool[] = []): RuntimeInfo {
  return {
    transport,
    cloud: endpoints.cloud,
    graphBaseUrl: endpoints.graphBaseUrl,
    authority: endpoints.authority,
    tenantSource: endpoints.tenantSource,
    exportConfigured: endpoints.exportApp !== undefined,
    serverVersion: packageVersion(),
    ...(unavailable.length ? { unavailableTools: [...unavailable] } : {}),
  };
}

/** Wires config, endpoints and the token cache into the long-lived pieces the server factory hands to tools. */
export function createRuntime(config: Config, endpoints: Endpoints, log: Logger, cachePlugin?: ICachePlugin, unavailable: readonly UnavailableTool[] = []): ServerRuntime {
  const msal = createBroker(config, endpoints, log, cachePlugin);
  const broker: TokenBroker = config.accessToken ? new ProvidedTokenBroker(config.accessToken, msal) : msal;
  const graphFor = createGraphClientFactory(config, endpoints, log);
  return {
    broker,
    log,
    graph: graphFor('delegated', broker),
    appGraph: graphFor('app', broker),
    environment: runtimeInfo(endpoints, 'stdio', unavailable),
    governance: createGovernance(config, log),
  };
}
