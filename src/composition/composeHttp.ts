import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../auth/cache/privateFiles.js';
import { discoverJwksUri } from '../transports/bearer/discovery.js';
import { EntraTokenVerifier } from '../transports/bearer/entraTokenVerifier.js';
import { RedisTokenStore } from '../auth/cache/redisTokenStore.js';
import { createNetworkClient } from '../auth/networkClient.js';
import { CallerBroker } from '../auth/obo/callerBroker.js';
import { OboTokenService } from '../auth/obo/index.js';
import type { Endpoints, ServerAppRegistration } from '../config/endpoints.js';
import type { Config } from '../config/schema.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { cursorSeal, derivedCursorKey, processCursorKey } from '../policy/cursorSeal.js';
import { createGovernance } from '../policy/governance.js';
import type { SharedScripts } from '../policy/sharedScripts.js';
import type { ServerRuntime, ServerSurface } from '../server/runtime.js';
import { selectTools, toolChoice } from '../tools/selection.js';
import { authMetadataOptions, resourceScope } from '../transports/httpAuthMetadata.js';
import type { HttpServerOptions } from '../transports/http.js';
import { packageVersion } from '../version.js';
import { endpointSource } from './endpointSource.js';
import { createGraphClientFactory } from './graphClients.js';
import { appOnlyClient } from './localAuth.js';
import { runtimeInfo } from './runtimeInfo.js';
import { runtimeFor } from './serverRuntime.js';

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

/** /readyz from cached state only: the keys' last fetch and the Redis connection's state (no round trip per probe). */
function readiness(verifier: EntraTokenVerifier, redis: RedisTokenStore | undefined): () => Record<string, boolean> {
  return () => ({ jwks: verifier.keysFresh(), ...(redis ? { redis: redis.ready } : {}) });
}

function redisStore(config: Config, log: Logger): RedisTokenStore | undefined {
  if (!config.redisUrl) return undefined;
  if (!config.redisKey)
    throw new AppError('ConfigInvalid', 'the Redis token cache needs an encryption key', {
      nextStep: 'Set M365_COPILOT_MCP_REDIS_KEY to the base64 of 32 random bytes (e.g. `openssl rand -base64 32`), the same on every instance.',
    });
  return new RedisTokenStore({ url: config.redisUrl, encryptionKey: config.redisKey, ttlSeconds: config.redisTtlSeconds, log: log.child({ component: 'redis' }) });
}

/** The shared limits' view of the token cache's Redis connection: one connection per process. */
function sharedScripts(redis: RedisTokenStore): SharedScripts {
  const connection = redis.redisConnection;
  return {
    target: connection.target,
    run: (script, keys, args) => connection.run('a shared limit', (c) => c.eval(script, keys.length, ...keys, ...args)),
  };
}

export interface HttpComposition {
  options: HttpServerOptions;
  log: Logger;
  /** --demo: where the in-process tenant's descriptor was written (0600), for `emulator token --emulator FILE`. */
  demoDescriptorFile?: string;
  /** For the startup line: who may call and which audiences tokens may carry. */
  allowedTenants: string[] | '*';
  audiences: string[];
  /** After the listener drained: on-behalf-of, Redis, the --demo emulator. */
  close(): Promise<void>;
}

/**
 * Everything `serve --http` runs on, from the configuration the CLI loaded: the bearer verifier, the
 * server's app-only client (no public client: it never signs anyone in), on-behalf-of for callers,
 * Redis when configured, and one runtime per verified caller.
 */
export async function composeHttp(config: Config): Promise<HttpComposition> {
  const log: Logger = createLogger(config.logLevel, { component: 'server' });
  const selection = selectTools(toolChoice(config, 'http'));
  if (config.exportDir) log.warn('--export-dir is ignored in HTTP mode: remote callers never write files on the server');
  const source = await endpointSource(config, log);
  const endpoints = await source.endpoints;
  const demoDescriptorFile = source.demoDescriptor ? await writeDemoDescriptor(config.stateDir, await source.demoDescriptor) : undefined;
  const serverApp = requireServerApp(endpoints);
  const tenants = allowedTenants(config, endpoints);
  const network = createNetworkClient({ ...(endpoints.extraCaPem ? { extraCaPem: endpoints.extraCaPem } : {}), onlyExtraCa: endpoints.onlyExtraCa });
  const jwksUri = await discoverJwksUri(network, endpoints.authorityHost, endpoints.tenantId, log);
  // v2 tokens always carry the app id as `aud`; v1 tokens the identifier URI the client asked for
  // (access-token-claims-reference, `aud`): api://<app id>, and the advertised resource (added once known).
  const explicitAudiences = config.serverAudience?.split(',').map((a) => a.trim()).filter(Boolean);
  const audiences = explicitAudiences ?? [serverApp.clientId, serverApp.appIdUri ?? `api://${serverApp.clientId}`];
  const verifier = new EntraTokenVerifier({ authorityHost: endpoints.authorityHost, jwksUri, allowedTenants: tenants, audiences, network });
  // Ready means able to check tokens: the first fetch of the keys is awaited (a failure only shows in /readyz).
  await verifier.startKeyRefresh();

  const redis = redisStore(config, log);
  // App-only credentials (interaction export) are the server's, shared by every caller.
  const appOnly = appOnlyClient(endpoints, log);
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
  // One per process: the budget and the audit writer must outlive each request.
  // stdout carries the startup line, then (--audit-stdout) one audit record per line.
  const exportApp = endpoints.exportApp;
  const governance = createGovernance(config, log, {
    auditStream: process.stdout,
    // The export limit belongs to the app and the tenant its tokens are for (Graph's "per app per tenant").
    ...(redis ? { shared: { scripts: sharedScripts(redis), exportLimitName: `${exportApp?.clientId ?? 'no-export-app'}@${exportApp?.authority ?? endpoints.tenantId}`.toLowerCase() } } : {}),
  });
  const graphFor = createGraphClientFactory(config, endpoints, log, governance);
  const processKey = processCursorKey();
  const shared = {
    environment: runtimeInfo(endpoints, 'http', selection.unavailable, config.enableBeta),
    log,
    governance,
    graphFor,
    appTokens: { getToken: (request: { forceRefresh?: boolean }, signal?: AbortSignal) => appOnly.token(request.forceRefresh, signal) },
    exportRule: { role: config.exportRole, tenantId: () => appOnly.tenantId() },
    // With Redis, every instance holds the same key, so any of them accepts a cursor another issued.
    cursorSeal: cursorSeal(async () => (config.redisKey ? derivedCursorKey(config.redisKey) : processKey)),
  };
  const forToken = (token: string): ServerRuntime => {
    const caller = verifier.verifiedCaller(token);
    // The bearer gate runs first; a request without a verified caller never reaches the factory.
    if (!caller) throw new Error('MCP request without a verified caller');
    const broker = new CallerBroker(obo, { assertion: token, userId: caller.userId, tenantId: caller.tenantId, ...(caller.upn ? { upn: caller.upn } : {}) }, appOnly);
    return runtimeFor(shared, broker, { userId: caller.userId, tenantId: caller.tenantId, ...(caller.upn ? { upn: caller.upn } : {}), roles: caller.roles });
  };
  const surface: ServerSurface = { version: packageVersion(), tools: selection.offered };
  const options: HttpServerOptions = {
    host: config.host,
    port: config.port,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    surface,
    runtimeFor: forToken,
    verifier,
    requiredScope: config.requiredScope,
    forResource: (resource) => {
      // The documented configuration: the advertised resource is an identifier URI of the server app
      // and the scope lives under it, so the `resource` every spec-following client sends matches the
      // scope it requests (Entra refuses a mismatch with AADSTS9010010).
      const scope = resourceScope(resource.id, config.requiredScope);
      if (!explicitAudiences && !audiences.includes(resource.id)) audiences.push(resource.id);
      verifier.acceptAudiences(audiences);
      const metadata = authMetadataOptions({
        resourceUrl: new URL(resource.id),
        authorityHost: endpoints.authorityHost,
        tenantForAuthorize: tenants === '*' ? 'organizations' : endpoints.tenantId,
        scope,
      });
      return { metadata, challengeScope: scope };
    },
    maxRequestBytes: config.maxRequestBytes,
    headersTimeoutMs: config.httpHeadersTimeoutSeconds * 1000,
    maxConnections: config.maxConnections,
    readiness: readiness(verifier, redis),
    log: log.child({ component: 'http' }),
  };
  return {
    options,
    log,
    ...(demoDescriptorFile ? { demoDescriptorFile } : {}),
    allowedTenants: tenants,
    audiences,
    async close() {
      verifier.stopKeyRefresh();
      await obo.close().catch(() => {});
      await redis?.close().catch(() => {});
      await source.stop();
    },
  };
}

/**
 * `serve --http --demo` runs its tenant in-process, so nothing else could mint a token for it: its
 * descriptor is written where only this user can read it (it holds the emulated apps' secrets).
 */
async function writeDemoDescriptor(stateDir: string, descriptor: unknown): Promise<string> {
  const dir = join(stateDir, 'demo');
  await ensurePrivateDir(dir);
  const file = join(dir, 'emulator.json');
  await writeFileAtomic(file, `${JSON.stringify(descriptor)}\n`);
  return file;
}
