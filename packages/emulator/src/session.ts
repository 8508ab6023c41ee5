import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTROL_PREFIX, createControlRoutes, type ControlAccess } from './control.js';
import { FaultInjector, type FaultPlan } from './faults.js';
import { createGraphGateway, isGraphPath, type GraphRouter } from './graphGateway.js';
import type { ClientCertificate } from './identity/clientCertificate.js';
import type { SigningKeys } from './identity/keys.js';
import { IdentityProvider } from './identity/provider.js';
import { createIdentityRoutes, refuseInsecureIdentity } from './identity/routes.js';
import type { RemoteReadyTenant } from './data/serverApp.js';
import type { EmuApiApp, EmuApp } from './model.js';
import type { ClientMetadataDocumentsSwitch } from './identity/clientMetadataDocument.js';
import { EmulatorStats } from './stats.js';
import type { Scheme } from './dualProtocolListener.js';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';

/** What a run keeps for its whole life: generating these is the slow part of starting. */
export interface SessionParts {
  tenant: RemoteReadyTenant;
  keys: SigningKeys;
  exportCert: ClientCertificate;
  origin: { https: string; http: string };
  access: ControlAccess;
  clock: () => number;
  /** The tenant accepts client metadata documents (CIMD) as client ids, fetched from loopback with this trust. */
  clientMetadataDocuments?: ClientMetadataDocumentsSwitch;
  /**
   * The public client, the export app and the server app as the run started (a fresh tenant's unregistered): every
   * session starts from them, since setup and tests change them (registration, consent, secrets).
   */
  appsAsStarted: { publicClient: EmuApp; exportApp: EmuApp; mcpServer: EmuApiApp };
  /** Builds the Graph routes for one session (their budgets and conversations are session state). */
  graphRouter: (settings: SessionSettings) => GraphRouter;
}

/** What a session may be started with; POST /_emulator/reset takes the same fields. */
export interface SessionSettings {
  accessTokenLifetimeSec: number;
  deviceCodeIntervalSec: number;
  retrievalBudgetPerHour?: number;
  /** A UPN of the tenant, or "demo" for its demo user. */
  autoApproveUpn?: string;
  faults?: FaultPlan;
}

export interface Session {
  stats: EmulatorStats;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, scheme: Scheme): Promise<void>;
}

/** Puts `app` back as `started`, in place (the tenant's references to it stay valid). */
function restoreApp<T extends EmuApp>(app: T, started: T): void {
  for (const key of Object.keys(app)) if (!(key in started)) delete (app as Record<string, unknown>)[key];
  Object.assign(app, structuredClone(started));
}

/** Everything requests change: sign-ins and tokens issued, budgets, conversations, counters, faults. */
export function openSession(parts: SessionParts, settings: SessionSettings, reset: (settings: Partial<SessionSettings>) => void): Session {
  const { tenant, keys, origin, clock } = parts;
  restoreApp(tenant.apps.mcpServer, parts.appsAsStarted.mcpServer);
  restoreApp(tenant.apps.publicClient, parts.appsAsStarted.publicClient);
  restoreApp(tenant.apps.exportApp, parts.appsAsStarted.exportApp);
  const stats = new EmulatorStats(clock);
  const faults = new FaultInjector(stats, settings.faults);
  const controlUrl = `${origin.http}${CONTROL_PREFIX}`;
  const autoApproveUpn = settings.autoApproveUpn?.toLowerCase() === 'demo' ? tenant.demoUserUpn : settings.autoApproveUpn;
  const provider = new IdentityProvider({
    tenant,
    keys,
    stats,
    authorityHost: origin.https,
    graphResource: GRAPH_RESOURCE,
    accessTokenLifetimeSec: settings.accessTokenLifetimeSec,
    deviceCodeIntervalSec: settings.deviceCodeIntervalSec,
    clock,
    clientCertificates: new Map([[tenant.apps.exportApp.clientId, [parts.exportCert]]]),
    ...(parts.clientMetadataDocuments === undefined ? {} : { clientMetadataDocuments: parts.clientMetadataDocuments }),
    ...(autoApproveUpn === undefined ? {} : { autoApproveUpn }),
  });
  const identity = createIdentityRoutes({ provider, keys, authorityHost: origin.https, graphResource: GRAPH_RESOURCE, graphBaseUrl: origin.http, controlUrl, clock });
  const control = createControlRoutes({ provider, keys, stats, faults, access: parts.access, reset });
  const router = parts.graphRouter(settings);
  const graph = createGraphGateway({ tenant, keys, stats, router, graphResource: GRAPH_RESOURCE, authorityHost: origin.https, clock, faults });
  return {
    stats,
    async handle(req, res, url, scheme) {
      if (isGraphPath(url.pathname)) return graph(req, res, url, origin[scheme]);
      if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) return control(req, res, url);
      if (scheme === 'http') return refuseInsecureIdentity(req, res, origin.https, clock());
      return identity(req, res, url);
    },
  };
}
