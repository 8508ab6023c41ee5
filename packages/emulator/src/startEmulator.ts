import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTROL_PREFIX } from './control.js';
import { EmulatorDescriptorSchema, FreshTenantDescriptorSchema, type EmulatorDescriptor, type FreshTenantDescriptor } from './descriptor.js';
import { createEmulatorLogger, type EmulatorLogger } from './emulatorLogger.js';
import type { FaultPlan } from './faults.js';
import type { GraphRouter } from './graphGateway.js';
import { createClientCertificate, writeClientCertificate, type ClientCertificate } from './identity/clientCertificate.js';
import { createSigningKeys } from './identity/keys.js';
import { withRemoteModeParts, type RemoteReadyTenant } from './data/serverApp.js';
import type { Tenant } from './model.js';
import { makeFresh } from './data/freshTenant.js';
import { GRAPH_RESOURCE, openSession, type SessionParts, type SessionSettings } from './session.js';
import type { StatsSnapshot } from './stats.js';
import { createEmulatorTls } from './tls.js';
import { listenDualProtocol, type DualProtocolServer, type Scheme } from './dualProtocolListener.js';

export { GRAPH_RESOURCE } from './session.js';
export type { StatsSnapshot } from './stats.js';
export type { GraphRouter } from './graphGateway.js';
export type { FaultPlan, FaultRule } from './faults.js';

export interface EmulatorOptions {
  /** 0 (default) picks a free port. The emulator listens on 127.0.0.1 only. */
  port?: number;
  scale?: number;
  seed?: number;
  /** Users in the generated tenant: 10 (default, the named company) up to 1,000; more add generated people. */
  users?: number;
  now?: Date;
  /**
   * Approve every device code and authorize request at once for this user ("demo": the tenant's
   * demo user). An authorize request's login_hint naming another user of the tenant wins.
   */
  autoApproveUpn?: string;
  /** Same as autoApproveUpn "demo" (`--demo`). */
  autoApproveDemoUser?: boolean;
  /** Access (and id) token lifetime; `POST /_emulator/tokens/lifetime` changes it at run time. */
  accessTokenLifetimeSec?: number;
  retrievalBudgetPerHour?: number;
  deviceCodeIntervalSec?: number;
  /** Serve this tenant instead of generating one. */
  tenant?: Tenant;
  /** Answer Graph requests with this instead of the emulated Graph routes (transport tests). */
  router?: GraphRouter;
  /** Milliseconds since the epoch; lets tests move time (token expiry, device code expiry). */
  clock?: () => number;
  logger?: EmulatorLogger;
  /** Application permissions the export app is NOT granted (to emulate a missing admin consent). */
  withoutAppRoles?: string[];
  /** Per-user consent for the public client instead of tenant-wide admin consent. */
  userConsent?: boolean;
  /**
   * The tenant accepts client ID metadata documents (an https URL as client_id), fetched only from
   * loopback, trusting this CA (the test's document server). Off by default, as Entra's preview is.
   */
  clientMetadataDocuments?: { caPem: string };
  /**
   * Start without the apps `m365-copilot-mcp setup` creates: no public client and no MCP server app
   * registered (`--fresh-tenant`); the descriptor then names neither. The export app stays, without
   * a secret or a granted permission (data/freshTenant.ts).
   */
  freshTenant?: boolean;
  /** Graph faults to inject from the start (`--faults`); `POST /_emulator/faults` replaces them. */
  faults?: FaultPlan;
}

/** A fresh tenant's descriptor names no public client and no server app (`FreshTenantDescriptor`). */
export interface RunningEmulator<D extends EmulatorDescriptor | FreshTenantDescriptor = EmulatorDescriptor> {
  descriptor: D;
  tenant: Tenant;
  url: { https: string; http: string };
  stats(): StatsSnapshot;
  close(): Promise<void>;
}

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
    ...(opts.users === undefined ? {} : { users: opts.users }),
  });
}

/** The Graph routes of one session; given routes (transport tests) are kept across sessions. */
async function loadRouterFactory(opts: EmulatorOptions, tenant: Tenant): Promise<(settings: SessionSettings) => GraphRouter> {
  const given = opts.router;
  if (given !== undefined) return () => given;
  const { createGraphRouter } = await import('./graphApi/graphRouter.js');
  return (settings) =>
    createGraphRouter(tenant, {
      ...(settings.retrievalBudgetPerHour === undefined ? {} : { retrievalBudgetPerHour: settings.retrievalBudgetPerHour }),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    });
}

// Whole seconds: JWT times and the device code interval are integers on the wire. Zero would make
// MSAL poll the token endpoint in a tight loop (it sleeps `interval` seconds and has no minimum).
function positiveSeconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive whole number of seconds (got ${value})`);
  return value;
}

export function startEmulator(opts: EmulatorOptions & { freshTenant: true }): Promise<RunningEmulator<FreshTenantDescriptor>>;
export function startEmulator(opts?: EmulatorOptions & { freshTenant?: false }): Promise<RunningEmulator>;
export function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator<EmulatorDescriptor | FreshTenantDescriptor>>;
export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator<EmulatorDescriptor | FreshTenantDescriptor>> {
  const clock = opts.clock ?? Date.now;
  const logger = opts.logger ?? createEmulatorLogger('warn', { component: 'emulator' });
  const accessTokenLifetimeSec = positiveSeconds('accessTokenLifetimeSec', opts.accessTokenLifetimeSec, 3600);
  const deviceCodeIntervalSec = positiveSeconds('deviceCodeIntervalSec', opts.deviceCodeIntervalSec, 5);

  // RSA key generation runs on the libuv pool: start it before the (synchronous) tenant generation.
  const tlsPromise = createEmulatorTls(clock());
  const keysPromise = createSigningKeys();
  const exportCertPromise = createClientCertificate('m365-copilot-mcp export app (emulator)', clock());
  let server: DualProtocolServer | undefined;
  try {
    // A tenant built by hand gets the remote-mode parts (MCP server app, other tenant) derived from its id.
    const tenant = withRemoteModeParts(await loadTenant(opts));
    if (opts.userConsent) tenant.apps.publicClient.adminConsented = false;
    if (opts.freshTenant) makeFresh(tenant);
    if (opts.withoutAppRoles?.length) {
      const drop = new Set(opts.withoutAppRoles.map((r) => r.toLowerCase()));
      tenant.apps.exportApp.appRoles = tenant.apps.exportApp.appRoles.filter((r) => !drop.has(r.toLowerCase()));
    }
    const graphRouter = await loadRouterFactory(opts, tenant);
    const [tls, keys, exportCert] = await Promise.all([tlsPromise, keysPromise, exportCertPromise]);
    // Removed with the CA file when the emulator closes.
    const exportCertPath = await writeClientCertificate(tls.dir, 'export-app.pem', exportCert);

    let handle: ((req: IncomingMessage, res: ServerResponse, scheme: Scheme) => Promise<void>) | undefined;
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

    // Issuer, endpoints and the verification URI all name the port, known only once listening.
    const origin = { https: `https://${HOST}:${server.port}`, http: `http://${HOST}:${server.port}` };
    const access = { key: randomBytes(32).toString('base64url'), port: server.port };
    const fixed: SessionParts = { tenant, keys, exportCert, origin, access, clock, graphRouter,
      appsAsStarted: structuredClone({ publicClient: tenant.apps.publicClient, exportApp: tenant.apps.exportApp, mcpServer: tenant.apps.mcpServer }),
      ...(opts.clientMetadataDocuments === undefined ? {} : { clientMetadataDocuments: opts.clientMetadataDocuments }),
    };
    const started: SessionSettings = {
      accessTokenLifetimeSec,
      deviceCodeIntervalSec,
      ...(opts.retrievalBudgetPerHour === undefined ? {} : { retrievalBudgetPerHour: opts.retrievalBudgetPerHour }),
      ...autoApproval(opts),
      ...(opts.faults === undefined ? {} : { faults: opts.faults }),
    };
    // A session holds all that requests change (sign-ins, budgets, conversations, counters, faults);
    // POST /_emulator/reset replaces it, keeping the tenant, keys and certificates (the slow part), so
    // tests can share one emulator and still start each from a fresh state.
    const reset = (settings: Partial<SessionSettings>): void => {
      session = openSession(fixed, { ...started, ...settings }, reset);
    };
    let session = openSession(fixed, started, reset);
    handle = async (req, res, scheme) => session.handle(req, res, requestUrl(req, origin[scheme]), scheme);

    const running = server;
    let closed: Promise<void> | undefined;
    return {
      descriptor: describe(tenant, origin, access.key, tls.caCertPath, { path: exportCertPath, cert: exportCert }, opts.freshTenant === true),
      tenant,
      url: origin,
      stats: () => session.stats.snapshot(),
      close() {
        closed ??= running.close().finally(() => tls.cleanup());
        return closed;
      },
    };
  } catch (err) {
    await Promise.allSettled([server?.close(), tlsPromise.then((t) => t.cleanup()), keysPromise, exportCertPromise]);
    throw err;
  }
}

function autoApproval(opts: EmulatorOptions): { autoApproveUpn?: string } {
  if (opts.autoApproveDemoUser === true) return { autoApproveUpn: 'demo' };
  return opts.autoApproveUpn === undefined ? {} : { autoApproveUpn: opts.autoApproveUpn };
}

function describe(
  tenant: RemoteReadyTenant,
  origin: { https: string; http: string },
  controlKey: string,
  caCertPath: string,
  exportCert: { path: string; cert: ClientCertificate },
  fresh: boolean,
): EmulatorDescriptor | FreshTenantDescriptor {
  const { publicClient, exportApp } = tenant.apps;
  const { mcpServer } = tenant.apps;
  const { otherTenant } = tenant;
  const exportRole = mcpServer.userRoleDefinitions[0] ?? '';
  const generated = {
    emulator: 'm365-copilot-emulator',
    version: 1,
    tenantId: tenant.id,
    tenantDomain: tenant.domain,
    authorityHost: origin.https,
    authority: `${origin.https}/${tenant.id}`,
    graphBaseUrl: origin.http,
    graphResource: GRAPH_RESOURCE,
    caCertPath,
    controlUrl: `${origin.http}${CONTROL_PREFIX}`,
    controlKey,
    demoUser: tenant.demoUserUpn,
    users: tenant.users.map((u) => ({ id: u.id, upn: u.upn, displayName: u.displayName, copilotLicense: u.copilotLicense })),
    apps: {
      publicClient: { clientId: publicClient.clientId, displayName: publicClient.displayName },
      // A throwaway secret of a fictional app, valid only against this emulator run.
      exportApp: {
        clientId: exportApp.clientId,
        displayName: exportApp.displayName,
        clientSecret: exportApp.clientSecret ?? '',
        // A throwaway certificate registered on the app, the key beside it (0600).
        certificatePath: exportCert.path,
        certificateThumbprint: exportCert.cert.thumbprintSha1,
        certificateThumbprintSha256: exportCert.cert.thumbprintSha256,
      },
      // Throwaway too: a secret of a fictional app, valid only against this emulator run.
      mcpServer: {
        clientId: mcpServer.clientId,
        clientSecret: mcpServer.clientSecret ?? '',
        displayName: mcpServer.displayName,
        appIdUri: mcpServer.appIdUri,
        scope: mcpServer.exposedScopes[0] ?? '',
        exportRole,
        exportRoleMembers: tenant.users.filter((u) => mcpServer.userRoles[u.id]?.includes(exportRole)).map((u) => u.upn),
      },
    },
    otherTenant: {
      tenantId: otherTenant.id,
      domain: otherTenant.domain,
      users: otherTenant.users.map((u) => ({ id: u.id, upn: u.upn, displayName: u.displayName })),
    },
  };
  if (!fresh) return EmulatorDescriptorSchema.parse(generated);
  const { publicClient: _notYet, mcpServer: _notYetEither, ...apps } = generated.apps;
  return FreshTenantDescriptorSchema.parse({ ...generated, freshTenant: true, apps });
}
