import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLogger, type Logger } from '../log.js';
import { CONTROL_PREFIX, createControlRoutes } from './control.js';
import { EmulatorDescriptorSchema, type EmulatorDescriptor } from './descriptor.js';
import { createGraphGateway, isGraphPath, type GraphRouter } from './graphGateway.js';
import { createSigningKeys } from './identity/keys.js';
import { IdentityProvider } from './identity/provider.js';
import { createIdentityRoutes, refuseInsecureIdentity } from './identity/routes.js';
import type { Tenant } from './model.js';
import { EmulatorStats, type StatsSnapshot } from './stats.js';
import { createEmulatorTls } from './tls.js';
import { listenDualProtocol, type DualProtocolServer, type Scheme } from './transport.js';

export type { StatsSnapshot } from './stats.js';
export type { GraphRouter } from './graphGateway.js';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. The emulator listens on 127.0.0.1 only. */
  port?: number;
  scale?: number;
  seed?: number;
  now?: Date;
  /** Approve every device code at once for this user (`--demo`). */
  autoApproveUpn?: string;
  accessTokenLifetimeSec?: number;
  retrievalBudgetPerHour?: number;
  deviceCodeIntervalSec?: number;
  /** Serve this tenant instead of generating one. */
  tenant?: Tenant;
  /** Answer Graph requests with this instead of the emulated Graph routes (transport tests). */
  router?: GraphRouter;
  /** Milliseconds since the epoch; lets tests move time (token expiry, device code expiry). */
  clock?: () => number;
  logger?: Logger;
}

export interface RunningEmulator {
  descriptor: EmulatorDescriptor;
  tenant: Tenant;
  url: { https: string; http: string };
  stats(): StatsSnapshot;
  close(): Promise<void>;
}

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const HOST = '127.0.0.1';

function requestUrl(req: IncomingMessage, origin: string): URL {
  const target = req.url ?? '/';
  // Concatenate rather than resolve, so "//x" stays a path instead of becoming a host.
  return target.startsWith('/') ? new URL(origin + target) : new URL(target);
}

async function loadTenant(opts: EmulatorOptions): Promise<Tenant> {
  if (opts.tenant !== undefined) return opts.tenant;
  const { generateTenant } = await import('./data/generate.js');
  return generateTenant({
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    ...(opts.scale === undefined ? {} : { scale: opts.scale }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
  });
}

async function loadRouter(opts: EmulatorOptions, tenant: Tenant): Promise<GraphRouter> {
  if (opts.router !== undefined) return opts.router;
  const { createGraphRouter } = await import('./graph/router.js');
  return createGraphRouter(tenant, {
    ...(opts.retrievalBudgetPerHour === undefined ? {} : { retrievalBudgetPerHour: opts.retrievalBudgetPerHour }),
    ...(opts.clock === undefined ? {} : { clock: opts.clock }),
  });
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number (got ${value})`);
  return value;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const clock = opts.clock ?? Date.now;
  const logger = opts.logger ?? createLogger('warn', { component: 'emulator' });
  const accessTokenLifetimeSec = positive('accessTokenLifetimeSec', opts.accessTokenLifetimeSec, 3600);
  const deviceCodeIntervalSec = positive('deviceCodeIntervalSec', opts.deviceCodeIntervalSec, 5);

  // RSA key generation runs on the libuv pool: start it before the (synchronous) tenant generation.
  const tlsPromise = createEmulatorTls(clock());
  const keysPromise = createSigningKeys();
  let tenant: Tenant;
  let router: GraphRouter;
  try {
    tenant = await loadTenant(opts);
    router = await loadRouter(opts, tenant);
  } catch (err) {
    keysPromise.catch(() => undefined);
    await tlsPromise.then((t) => t.cleanup(), () => undefined);
    throw err;
  }
  const [tls, keys] = await Promise.all([tlsPromise, keysPromise]);

  const stats = new EmulatorStats(clock);
  let handle: ((req: IncomingMessage, res: ServerResponse, scheme: Scheme) => Promise<void>) | undefined;
  let server: DualProtocolServer;
  try {
    server = await listenDualProtocol({
      port: opts.port ?? 0,
      host: HOST,
      tls: { cert: tls.certPem, key: tls.keyPem },
      handler: async (req, res, scheme) => {
        if (handle === undefined) {
          res.writeHead(503, { 'Retry-After': '1' }).end();
          return;
        }
        await handle(req, res, scheme);
      },
      onError: (err) => logger.error('emulator request failed', { err }),
    });
  } catch (err) {
    await tls.cleanup();
    throw err;
  }

  const origin = { https: `https://${HOST}:${server.port}`, http: `http://${HOST}:${server.port}` };
  const controlUrl = `${origin.http}${CONTROL_PREFIX}`;
  let provider: IdentityProvider;
  try {
    provider = new IdentityProvider({
      tenant,
      keys,
      stats,
      authorityHost: origin.https,
      graphResource: GRAPH_RESOURCE,
      accessTokenLifetimeSec,
      deviceCodeIntervalSec,
      clock,
      ...(opts.autoApproveUpn === undefined ? {} : { autoApproveUpn: opts.autoApproveUpn }),
    });
  } catch (err) {
    await server.close();
    await tls.cleanup();
    throw err;
  }
  const identity = createIdentityRoutes({ provider, keys, authorityHost: origin.https, graphBaseUrl: origin.http, controlUrl, clock });
  const control = createControlRoutes({ provider, stats });
  const graph = createGraphGateway({ tenant, keys, stats, router, graphResource: GRAPH_RESOURCE, authorityHost: origin.https, clock });

  handle = async (req, res, scheme) => {
    const url = requestUrl(req, origin[scheme]);
    if (isGraphPath(url.pathname)) return graph(req, res, url, origin[scheme]);
    if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) return control(req, res, url);
    if (scheme === 'http') return refuseInsecureIdentity(req, res, origin.https, clock());
    return identity(req, res, url);
  };

  const descriptor = EmulatorDescriptorSchema.parse({
    emulator: 'm365-copilot-emulator',
    version: 1,
    tenantId: tenant.id,
    tenantDomain: tenant.domain,
    authorityHost: origin.https,
    authority: `${origin.https}/${tenant.id}`,
    graphBaseUrl: origin.http,
    graphResource: GRAPH_RESOURCE,
    caCertPath: tls.caCertPath,
    controlUrl,
    demoUser: tenant.demoUserUpn,
    users: tenant.users.map((u) => ({ id: u.id, upn: u.upn, displayName: u.displayName, copilotLicense: u.copilotLicense })),
    apps: {
      publicClient: { clientId: tenant.apps.publicClient.clientId, displayName: tenant.apps.publicClient.displayName },
      exportApp: {
        clientId: tenant.apps.exportApp.clientId,
        displayName: tenant.apps.exportApp.displayName,
        // A throwaway secret of a fictional app, valid only against this emulator run.
        clientSecret: tenant.apps.exportApp.clientSecret ?? '',
      },
    },
  });

  let closed: Promise<void> | undefined;
  return {
    descriptor,
    tenant,
    url: origin,
    stats: () => stats.snapshot(),
    close() {
      closed ??= server.close().finally(() => tls.cleanup());
      return closed;
    },
  };
}
