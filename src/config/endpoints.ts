import { readFile } from 'node:fs/promises';
import { AppError } from '../errors.js';
import { EmulatorFileSchema, type EmulatorFile } from './emulatorFile.js';
import { CLOUD_ENDPOINTS } from '../graph/clouds.js';
import type { Config } from './schema.js';
import { readCertificateCredential } from './certificate.js';

/** Where identity and Graph traffic goes, and with which app registrations: resolved once at start. */
export interface Endpoints {
  tenantSource: 'emulator' | 'cloud';
  cloud: Config['cloud'];
  authority: string;
  knownAuthorities: string[];
  graphBaseUrl: string;
  graphResource: string;
  extraCaPem?: string;
  onlyExtraCa: boolean;
  publicClientId?: string;
  exportApp?: AppCredential;
  /** HTTP mode: this server's own confidential app (token audience; on-behalf-of client). */
  serverApp?: ServerAppRegistration;
  /** https origin of the authority and the tenant in it (`organizations` for any work account). */
  authorityHost: string;
  tenantId: string;
  demoUser?: string;
}

/** A confidential app's credential: a client secret or a certificate. */
export interface AppCredential {
  clientId: string;
  authority: string;
  clientSecret?: string;
  certificate?: { privateKey: string; thumbprintSha256: string; x5c?: string };
}

export interface ServerAppRegistration {
  clientId: string;
  clientSecret?: string;
  /** e.g. api://<client id>; tokens may carry it or the client id as audience. */
  appIdUri?: string;
}

export async function readEmulatorDescriptor(path: string): Promise<EmulatorFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AppError('ConfigInvalid', `cannot read the emulator file ${path}`, { cause, nextStep: 'Save the JSON line printed by `m365-copilot-mcp emulator` to that file, or fix --emulator.' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text.trim().split('\n')[0] ?? '');
  } catch (cause) {
    throw new AppError('ConfigInvalid', `the emulator file ${path} is not the emulator's JSON line`, { cause, nextStep: 'Save exactly the one JSON line `m365-copilot-mcp emulator` prints.' });
  }
  const parsed = EmulatorFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('ConfigInvalid', `the emulator file ${path} is missing or has a bad "${issue?.path.join('.')}": ${issue?.message}`, {
      nextStep: 'Regenerate it with `m365-copilot-mcp emulator > FILE` (the emulator must be running).',
    });
  }
  return parsed.data;
}

export async function endpointsFromEmulator(d: EmulatorFile): Promise<Endpoints> {
  let caPem: string;
  try {
    caPem = await readFile(d.caCertPath, 'utf8');
  } catch (cause) {
    throw new AppError('ConfigInvalid', `cannot read the emulator CA certificate ${d.caCertPath}`, { cause, nextStep: 'Is the emulator still running? Its CA file is removed when it stops; restart it and save its new JSON line.' });
  }
  // A fresh tenant's file (and older files) name no server app, and a fresh one no public client:
  // setup creates them and the flags it prints name them; until then, each mode says what is missing.
  const mcpServer = 'mcpServer' in d.apps ? d.apps.mcpServer : undefined;
  const publicClient = 'publicClient' in d.apps ? d.apps.publicClient : undefined;
  return {
    tenantSource: 'emulator',
    cloud: 'global',
    authority: d.authority,
    knownAuthorities: [new URL(d.authorityHost).host],
    graphBaseUrl: d.graphBaseUrl,
    graphResource: d.graphResource,
    extraCaPem: caPem,
    onlyExtraCa: true,
    ...(publicClient ? { publicClientId: publicClient.clientId } : {}),
    exportApp: { clientId: d.apps.exportApp.clientId, clientSecret: d.apps.exportApp.clientSecret, authority: d.authority },
    ...(mcpServer ? { serverApp: { clientId: mcpServer.clientId, clientSecret: mcpServer.clientSecret, appIdUri: mcpServer.appIdUri } } : {}),
    authorityHost: d.authorityHost.replace(/\/+$/, ''),
    tenantId: d.tenantId,
    demoUser: d.demoUser,
  };
}

/** The server app `--server-client-id` names (with its secret when one is configured); its identifier URI the default api://<id>. */
export function serverAppNamedBy(config: Config, clientId: string): ServerAppRegistration {
  return { clientId, appIdUri: `api://${clientId}`, ...(config.serverClientSecret ? { clientSecret: config.serverClientSecret } : {}) };
}

export async function endpointsFromConfig(config: Config): Promise<Endpoints> {
  const cloud = CLOUD_ENDPOINTS[config.cloud];
  const authorityHost = (config.authorityHost ?? cloud.authorityHost).replace(/\/+$/, '');
  const customAuthority = config.authorityHost !== undefined;
  let extraCaPem: string | undefined;
  if (config.caCertPath) {
    try {
      extraCaPem = await readFile(config.caCertPath, 'utf8');
    } catch (cause) {
      throw new AppError('ConfigInvalid', `cannot read the CA certificate ${config.caCertPath}`, { cause, nextStep: 'Fix --ca-cert / M365_COPILOT_MCP_CA_CERT.' });
    }
  }
  const exportTenant = config.exportTenantId ?? config.tenantId;
  const exportUsable =
    config.exportClientId && (config.exportClientSecret || config.exportCertificatePath) && !['organizations', 'common', 'consumers'].includes(exportTenant.toLowerCase());
  const certificate = exportUsable && config.exportCertificatePath ? await readCertificateCredential(config.exportCertificatePath) : undefined;
  return {
    tenantSource: 'cloud',
    cloud: config.cloud,
    authority: `${authorityHost}/${config.tenantId}`,
    knownAuthorities: customAuthority ? [new URL(authorityHost).host] : [],
    graphBaseUrl: (config.graphBaseUrl ?? cloud.graphOrigin).replace(/\/+$/, ''),
    graphResource: cloud.graphResource,
    ...(extraCaPem ? { extraCaPem } : {}),
    onlyExtraCa: false,
    ...(config.clientId ? { publicClientId: config.clientId } : {}),
    ...(config.serverClientId ? { serverApp: serverAppNamedBy(config, config.serverClientId) } : {}),
    authorityHost,
    tenantId: config.tenantId,
    ...(exportUsable
      ? {
          exportApp: {
            clientId: config.exportClientId!,
            authority: `${authorityHost}/${exportTenant}`,
            ...(certificate ? { certificate } : { clientSecret: config.exportClientSecret! }),
          },
        }
      : {}),
  };
}
