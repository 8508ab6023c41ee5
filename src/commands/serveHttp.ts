import { AppError } from '../errors.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Endpoints, ServerAppRegistration } from '../config/endpoints.js';
import { createLogger, type Logger } from '../log.js';
import { createBroker, createGraphClientFactory, packageVersion, runtimeInfo } from '../runtime.js';
import { selectTools, toolChoice } from '../tools/selection.js';
import { startHttpServer } from '../transports/http.js';
import { createGovernance } from '../policy/governance.js';
import { authMetadataOptions } from '../transports/httpAuthMetadata.js';
import { EntraTokenVerifier } from '../auth/bearer/entraTokenVerifier.js';
import { discoverJwksUri } from '../auth/bearer/discovery.js';
import { createNetworkClient } from '../auth/networkClient.js';
import { OboTokenService } from '../auth/obo/index.js';
import { RedisTokenStore } from '../auth/cache/redisTokenStore.js';
import { endpointSource } from './session.js';
import { appTenantId } from '../auth/appTenant.js';
import type { ServerRuntime } from '../server/runtime.js';

const MULTI_TENANT_ALIASES = ['organizations', 'common'];

function requireServerApp(endpoints: Endpoints): Required<Pick<ServerAppRegistration, 'clientId' | 'clientSecret'>> & ServerAppRegistration {
  const app = endpoints.serverApp;
  if (!app)
    throw new AppError('ConfigInvalid', "HTTP mode needs this server's own app registration (its id is the token audience and it does on-behalf-of)", {
      nextStep:
        endpoints.tenantSource === 'emulator'
          ? 'Restart the emulator with this version (its file then names the server app) and save its new JSON line.'
          : 'Set --server-client-id and M365_COPILOT_MCP_SERVER_CLIENT_SECRET (an app that exposes the access_as_user scope and has the Graph permissions admin-consented).',
    });
  if (!app.clientSecret)
    throw new AppError('ConfigInvalid', 'HTTP mode needs the server app client secret for on-behalf-of', { nextStep: 'Set M365_COPILOT_MCP_SERVER_CLIENT_SECRET.' });
  return { ...app, clientSecret: app.clientSecret };
}

function allowedTenants(config: Config, endpoints: Endpoints): string[] | '*' {
  const list = config.allowedTenants?.split(',').map((t) => t.trim()).filter(Boolean);
  if (list?.includes('*')) return '*';
  if (list?.length) return list;
  if (MULTI_TENANT_ALIASES.includes(endpoints.tenantId.toLowerCase()))
    throw new AppError('ConfigInvalid', `--tenant is "${endpoints.tenantId}", so HTTP mode cannot tell which tenants' users may call`, {
      nextStep: 'Set --tenant to your tenant id, or --allowed-tenants to a comma-separated list of tenant ids (or * for any tenant).',
    });
  return [endpoints.tenantId];
}

function readiness(verifier: EntraTokenVerifier, redis: RedisTokenStore | undefined): () => Promise<Record<string, boolean>> {
  return async () => {
    const [jwks, cache] = await Promise.all([verifier.jwksReachable(), redis?.ping().then(() => true, () => false)]);
    return { jwks, ...(cache === undefined ? {} : { redis: cache }) };
  };
}

function redisStore(config: Config, log: Logger): RedisTokenStore | undefined {
  if (!config.redisUrl) return undefined;
  if (!config.redisKey)
    throw new AppError('ConfigInvalid', 'the Redis token cache needs an encryption key', {
      nextStep: 'Set M365_COPILOT_MCP_REDIS_KEY to the base64 of 32 random bytes (e.g. `openssl rand -base64 32`), the same on every instance.',
    });
  return new RedisTokenStore({ url: config.redisUrl, encryptionKey: config.redisKey, ttlSeconds: config.redisTtlSeconds, log: log.child({ component: 'redis' }) });
}

/** `serve --http`: Streamable HTTP for many users, each call on behalf of the bearer's own user. */
export async function runHttpServer(flags: Record<string, string | boolean | undefined>): Promise<number> {
  const config = await loadConfig({ flags });
  const log: Logger = createLogger(config.logLevel, { component: 'server' });
  const source = await endpointSource(config, log);
  const endpoints = await source.endpoints;
  const serverApp = requireServerApp(endpoints);
  const tenants = allowedTenants(config, endpoints);
  const network = createNetworkClient({ ...(endpoints.extraCaPem ? { extraCaPem: endpoints.extraCaPem } : {}), onlyExtraCa: endpoints.onlyExtraCa });
  const jwksUri = await discoverJwksUri(network, endpoints.authorityHost, endpoints.tenantId, log);
  const audiences = config.serverAudience?.split(',').map((a) => a.trim()).filter(Boolean) ?? [serverApp.clientId, ...(serverApp.appIdUri ? [serverApp.appIdUri] : [])];
  const verifier = new EntraTokenVerifier({ authorityHost: endpoints.authorityHost, jwksUri, allowedTenants: tenants, audiences, network });

  const redis = redisStore(config, log);
  // App-only credentials (interaction export) are the server's, shared by every caller.
  const appBroker = createBroker(config, endpoints, log);
  const exportRule = { role: config.exportRole, tenantId: appTenantId(endpoints.exportApp?.authority, appBroker) };
  const obo = new OboTokenService({
    authorityHost: endpoints.authorityHost,
    tenantId: endpoints.tenantId,
    clientId: serverApp.clientId,
    clientSecret: serverApp.clientSecret,
    graphResource: endpoints.graphResource,
    knownAuthorities: endpoints.knownAuthorities,
    ...(endpoints.extraCaPem ? { extraCaPem: endpoints.extraCaPem } : {}),
    onlyExtraCa: endpoints.onlyExtraCa,
    ...(redis ? { redis } : {}),
    log: log.child({ component: 'obo' }),
  });
  const graphFor = createGraphClientFactory(config, endpoints, log);
  const appGraph = graphFor('app', appBroker);
  // The registry decides what is enabled; the cloud then removes tools whose API it lacks.
  const surface = selectTools(toolChoice(config, 'http'));
  if (config.exportDir) log.warn('--export-dir is ignored in HTTP mode: remote callers never write files on the server');
  const environment = runtimeInfo(endpoints, 'http', surface.unavailable);
  // One per process: the budget and the audit writer must outlive each request.
  const governance = createGovernance(config, log);
  const runtimeFor = (caller: import('../auth/bearer/entraTokenVerifier.js').VerifiedCaller, assertion: string): ServerRuntime => {
    const broker = obo.forCaller({ assertion, userId: caller.userId, tenantId: caller.tenantId, ...(caller.upn ? { upn: caller.upn } : {}) }, appBroker);
    return {
      broker,
      graph: graphFor('delegated', broker),
      appGraph,
      environment,
      log,
      governance,
      exportRule,
      caller: { userId: caller.userId, tenantId: caller.tenantId, ...(caller.upn ? { upn: caller.upn } : {}), roles: caller.roles },
    };
  };

  const server = await startHttpServer({
    host: config.host,
    port: config.port,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    surface: { version: packageVersion(), tools: surface.offered },
    runtimeFor,
    verifier,
    requiredScope: config.requiredScope,
    authMetadata: (resourceUrl) =>
      authMetadataOptions({
        resourceUrl,
        authorityHost: endpoints.authorityHost,
        tenantForAuthorize: tenants === '*' ? 'organizations' : endpoints.tenantId,
        scope: `${serverApp.appIdUri ?? `api://${serverApp.clientId}`}/${config.requiredScope}`,
      }),
    maxRequestBytes: config.maxRequestBytes,
    readiness: readiness(verifier, redis),
    log: log.child({ component: 'http' }),
  });
  // One JSON line on stdout, like the emulator's: scripts and tests learn the port chosen for --port 0.
  process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port })}\n`);
  log.info('serving MCP over HTTP', { url: server.url, allowedTenants: tenants, audiences });

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info('shutting down: letting in-flight calls finish', { graceSeconds: config.shutdownGraceSeconds });
  await server.close(config.shutdownGraceSeconds * 1000);
  await obo.close().catch(() => {});
  await redis?.close().catch(() => {});
  await source.stop();
  setTimeout(() => process.exit(0), 100).unref();
  return 0;
}
