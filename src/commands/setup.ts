import { endpointSource } from '../composition/endpointSource.js';
import { identityOf } from '../composition/localAuth.js';
import type { Endpoints } from '../config/endpoints.js';
import type { Config } from '../config/schema.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { identityNetwork, msalConfiguration } from '../auth/msalConfig.js';
import { mapMsalError } from '../auth/msalErrors.js';
import { advertisedResource } from '../transports/resourceUrl.js';
import { requestJson } from './doctor/http.js';
import { GraphApplications } from './setup/graphApplications.js';
import { planRegistration } from './setup/plan.js';
import { delegatedScopes } from '../tools/registry.js';
import { selectTools, toolChoice } from '../tools/selection.js';

/** VS Code's own client id (its Microsoft sign-in), which it uses for MCP servers protected by Entra. */
export const VSCODE_CLIENT_ID = 'aebc6443-996d-45c2-90f0-388ff96faa56';
/**
 * Microsoft Graph Command Line Tools: Microsoft's public client for administering a tenant through
 * Graph (device code, any Graph permission the admin consents to). The admin sign-in of a real
 * tenant uses it unless --client-id names another public client.
 */
export const GRAPH_CLI_CLIENT_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';
const ADMIN_SCOPES = ['Application.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All'];
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Device code for an administrator, in memory only: setup keeps no token. */
async function adminToken(ep: Endpoints, clientId: string, log: Logger): Promise<string> {
  const msal = await import('@azure/msal-node');
  const identity = identityOf(ep);
  const pca = new msal.PublicClientApplication(msalConfiguration({ clientId, authority: identity.authority, knownAuthorities: identity.knownAuthorities, network: identityNetwork(identity), log }));
  const scopes = ADMIN_SCOPES.map((s) => `${ep.graphResource}/${s}`);
  try {
    const result = await pca.acquireTokenByDeviceCode({ scopes, deviceCodeCallback: (r) => process.stderr.write(`${r.message}\n(Sign in as an administrator who may manage app registrations.)\n`) });
    if (!result) throw new AppError('AuthFailed', 'the sign-in returned no token', { nextStep: 'Run setup again.' });
    return result.accessToken;
  } catch (err) {
    throw mapMsalError(err, { scopes, flow: 'delegated', authority: ep.authority, clientId });
  }
}

function ids(list: string | boolean | undefined): string[] {
  return typeof list === 'string' ? list.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What to run next: the exact serve flags, the secret by its variable name only. */
function serveCommand(config: Config, ep: Endpoints, serverId: string, resource: string): { args: string[]; env: Record<string, string> } {
  const url = new URL(resource);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  const listen = loopback ? ['--port', url.port || (url.protocol === 'https:' ? '443' : '80')] : ['--host', '0.0.0.0'];
  if (config.emulatorFile) return { args: ['serve', '--http', '--emulator', config.emulatorFile, '--public-url', resource, ...listen], env: {} };
  return {
    args: ['serve', '--http', '--tenant', ep.tenantId, '--server-client-id', serverId, '--public-url', resource, ...listen],
    env: { M365_COPILOT_MCP_SERVER_CLIENT_SECRET: '<a client secret of the server app>' },
  };
}

/**
 * `m365-copilot-mcp setup --server-client-id ID --public-url URL [--preauthorize ID,...] [--dry-run] [--json]`:
 * brings the server app's registration to the one configuration Entra accepts for every
 * spec-following client (identifier URI = the public URL, access_as_user under it, v2.0 tokens,
 * authorized clients), idempotently, through Graph's applications API, then prints how to serve.
 */
export async function runSetup(config: Config, flags: Record<string, string | boolean | undefined>): Promise<number> {
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { component: 'setup' });
  if (!config.publicUrl) throw new AppError('InvalidArgument', 'setup needs --public-url: the URL clients reach the server at, which becomes its identifier URI', { nextStep: 'Add --public-url https://mcp.contoso.com/mcp (exactly as clients will use it).' });
  const extra = ids(flags['preauthorize']);
  const bad = extra.find((id) => !GUID.test(id));
  if (bad) throw new AppError('InvalidArgument', `--preauthorize takes application (client) ids, and "${bad}" is not one`, { nextStep: 'Pass GUIDs, comma-separated.' });
  const dryRun = flags['dry-run'] === true;
  const source = await endpointSource(config, log);
  try {
    const ep = await source.endpoints;
    const server = ep.serverApp;
    if (!server)
      throw new AppError('ConfigInvalid', 'setup updates an existing server app, and none is named', {
        nextStep: 'Register a web app for the server (App registrations → New registration) and pass its Application (client) ID with --server-client-id.',
      });
    const resource = advertisedResource(config.publicUrl, '/mcp').id;
    const clients = [...new Set([...(ep.publicClientId ? [ep.publicClientId] : []), VSCODE_CLIENT_ID, ...extra].map((id) => id.toLowerCase()))];
    const adminClient = config.clientId ?? (ep.tenantSource === 'emulator' ? ep.publicClientId : undefined) ?? GRAPH_CLI_CLIENT_ID;
    const token = await adminToken(ep, adminClient, log);
    const graph = new GraphApplications(ep.graphBaseUrl, token, (url, init) => requestJson(ep, url, init));
    const app = await graph.byAppId(server.clientId);
    const plan = planRegistration(app, { resource, scope: config.requiredScope, clients });
    const changes = plan.flatMap((u) => u.describe);
    if (!dryRun) for (const update of plan) await graph.update(app.id, update.body);
    // Admin consent, for all users: the Graph permissions on-behalf-of asks for (the tools HTTP mode
    // offers) for the server app, and those of the stdio tools (with sign-in's OpenID scopes) for the public client.
    const graphSp = await graph.servicePrincipal(GRAPH_APP_ID);
    const consents = [
      { label: 'the server app', appId: server.clientId, needed: delegatedScopes(selectTools(toolChoice(config, 'http')).offered) },
      ...(ep.publicClientId ? [{ label: 'the public client', appId: ep.publicClientId, needed: [...delegatedScopes(selectTools(toolChoice(config, 'stdio')).offered), 'offline_access', 'openid', 'profile'] }] : []),
    ];
    for (const consent of consents) {
      const sp = await graph.servicePrincipal(consent.appId);
      const grant = await graph.tenantWideGrant(sp.id, graphSp.id);
      const granted = (grant?.scope ?? '').split(' ').filter(Boolean);
      const missing = consent.needed.filter((p) => !granted.some((g) => g.toLowerCase() === p.toLowerCase()));
      if (missing.length === 0) continue;
      changes.push(`grant admin consent (all users) for Microsoft Graph ${missing.join(', ')} to ${consent.label} ${consent.appId}`);
      if (dryRun) continue;
      const scope = [...granted, ...missing].join(' ');
      if (grant) await graph.updateGrant(grant.id, scope);
      else await graph.createGrant(sp.id, graphSp.id, scope);
    }
    const serve = serveCommand(config, ep, server.clientId, resource);
    const scope = `${resource}/${config.requiredScope}`;
    if (flags['json'] === true) {
      process.stdout.write(`${JSON.stringify({ serverApp: server.clientId, dryRun, changed: !dryRun && changes.length > 0, changes, serve, clients: { scope, clientIds: clients } })}\n`);
      return 0;
    }
    const lines = [
      `Server app ${server.clientId}${app.displayName ? ` (${app.displayName})` : ''}:`,
      ...(changes.length ? changes.map((c) => `  ${dryRun ? 'would ' : ''}${c}`) : ['  already set up: nothing to change']),
      ...(dryRun && changes.length ? ['  (dry run: nothing was changed)'] : []),
      '',
      'Serve HTTP mode with:',
      ...Object.entries(serve.env).map(([k, v]) => `  export ${k}=${v}`),
      `  m365-copilot-mcp ${serve.args.join(' ')}`,
      '',
      `Clients request the scope ${scope} with resource ${resource}; authorized client ids: ${clients.join(', ')}.`,
      'Per client: README, "Connect a client to HTTP mode".',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await source.stop();
  }
}
