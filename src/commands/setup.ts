import { chmod, writeFile } from 'node:fs/promises';
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
import { GraphApplications, type PublishedScope } from './setup/graphApplications.js';
import { planExportRole, planRegistration, planResourceAccess, type Application } from './setup/plan.js';
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
// AppRoleAssignment.ReadWrite.All with Application.Read.All: granting application permissions
// (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignments, permissions table).
const ADMIN_SCOPES = ['Application.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'Application.Read.All'];
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

/** The stable names setup finds its apps by when no id is passed (exact, case-sensitive displayName). */
export const PUBLIC_CLIENT_NAME = 'm365-copilot-mcp (stdio)';
export const SERVER_APP_NAME = 'm365-copilot-mcp (HTTP server)';
export const EXPORT_APP_NAME = 'm365-copilot-mcp (export)';
const SECRET_VARIABLE = 'M365_COPILOT_MCP_SERVER_CLIENT_SECRET';
const EXPORT_SECRET_VARIABLE = 'M365_COPILOT_MCP_EXPORT_CLIENT_SECRET';
/** The application permissions interaction export runs on: reading interactions, and resolving a UPN to a user. */
export const EXPORT_PERMISSIONS = ['AiEnterpriseInteraction.Read.All', 'User.Read.All'];
const SIGN_IN_SCOPES = ['offline_access', 'openid', 'profile'];

interface ServeCommand {
  args: string[];
  env: Record<string, string>;
}

/** Which tenant a printed command names: the emulator file, or the tenant id. */
function tenantArgs(config: Config, ep: Endpoints): string[] {
  return config.emulatorFile ? ['--emulator', config.emulatorFile] : ['--tenant', ep.tenantId];
}

/** What to run next: the exact serve flags; the secret only when it was just created (shown once). */
function serveCommand(config: Config, ep: Endpoints, serverId: string | undefined, resource: string, secret: string | undefined): ServeCommand {
  const url = new URL(resource);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  const listen = loopback ? ['--port', url.port || (url.protocol === 'https:' ? '443' : '80')] : ['--host', '0.0.0.0'];
  // The emulator file's own server app needs no flag and no secret: the file carries both.
  const fromFile = config.emulatorFile !== undefined && serverId === undefined;
  const id = serverId ?? '<the server app id>';
  const tenant = tenantArgs(config, ep);
  if (fromFile) return { args: ['serve', '--http', ...tenant, '--public-url', resource, ...listen], env: {} };
  return {
    args: ['serve', '--http', ...tenant, '--server-client-id', id, '--public-url', resource, ...listen],
    env: { [SECRET_VARIABLE]: secret ?? (config.serverClientSecret ? '<the secret you passed>' : '<the client secret saved when it was created>') },
  };
}

/** The stdio server's flags for the public client (add them to each client's MCP configuration). */
function stdioCommand(config: Config, ep: Endpoints, clientId: string | undefined): string[] {
  const tenant = tenantArgs(config, ep);
  return clientId === undefined ? tenant : [...tenant, '--client-id', clientId];
}

interface EnsuredApp {
  app: Application | undefined;
  created: boolean;
}

/**
 * Finds the app by the id given (a flag, or the emulator file), else by its stable displayName;
 * creates it when neither finds one. Several apps of that name: the user must say which.
 */
async function ensureApp(graph: GraphApplications, want: { label: string; appId: string | undefined; displayName: string; body: Record<string, unknown>; idFlag: string }, dryRun: boolean, changes: string[]): Promise<EnsuredApp> {
  if (want.appId) return { app: await graph.byAppId(want.appId, want.idFlag), created: false };
  const found = await graph.byDisplayName(want.displayName);
  if (found.length > 1)
    throw new AppError('ConfigInvalid', `${found.length} applications are named "${want.displayName}"`, { nextStep: `Pass the one to use with ${want.idFlag} (its Application (client) ID).` });
  if (found[0]) return { app: found[0], created: false };
  changes.push(`create ${want.label} "${want.displayName}"`);
  if (dryRun) return { app: undefined, created: true };
  return { app: await graph.create({ displayName: want.displayName, ...want.body }), created: true };
}

async function ensureServicePrincipal(graph: GraphApplications, app: Application | undefined, label: string, dryRun: boolean, changes: string[]): Promise<void> {
  if (app && (await graph.findServicePrincipal(app.appId))) return;
  changes.push(`create the service principal (enterprise application) of ${label}`);
  if (!dryRun && app) await graph.createServicePrincipal(app.appId);
}

/** The app's service principal: ensured before unless in a dry run, where it may not exist yet. */
async function servicePrincipalOf(graph: GraphApplications, app: Application | undefined, dryRun: boolean): Promise<{ id: string } | undefined> {
  if (!app) return undefined;
  return dryRun ? graph.findServicePrincipal(app.appId) : graph.servicePrincipal(app.appId);
}

function permissionIds(published: readonly PublishedScope[], names: readonly string[], kind = 'delegated'): string[] {
  return names.map((name) => {
    const scope = published.find((p) => p.value.toLowerCase() === name.toLowerCase());
    if (!scope) throw new AppError('GraphError', `Microsoft Graph publishes no ${kind} permission named ${name}`, { nextStep: 'Check the tool selection (--tools); report it if a built-in tool names it.' });
    return scope.id;
  });
}

/** Lists the Graph permissions on the app (requiredResourceAccess) unless it lists them already. */
async function ensureResourceAccess(graph: GraphApplications, app: Application | undefined, label: string, ids: string[], names: string[], dryRun: boolean, changes: string[], type: 'Scope' | 'Role' = 'Scope'): Promise<void> {
  const next = planResourceAccess(app?.requiredResourceAccess, GRAPH_APP_ID, ids, type);
  if (!next) return;
  changes.push(`list the Microsoft Graph permissions ${names.join(', ')} on ${label}`);
  if (!dryRun && app) await graph.update(app.id, { requiredResourceAccess: next });
}

interface ExportResult extends SecretResult {
  appId: string | undefined;
}

/**
 * `--export-app`: the confidential app interaction export runs on (client credentials), found by
 * --export-client-id (or the emulator file's) else by its stable name; Graph's application
 * permissions it needs listed (requiredResourceAccess, type Role) and granted (app role assignments,
 * which is admin consent for application permissions); a client secret as for the server app; and
 * the export app role on the server app, which users must hold to export others' interactions.
 */
async function setUpExport(
  graph: GraphApplications,
  graphSp: { id: string; roles: readonly PublishedScope[] },
  server: Application | undefined,
  options: { appId: string | undefined; role: string; newSecret: boolean; secretFile: string | undefined; dryRun: boolean },
  changes: string[],
): Promise<ExportResult> {
  const { dryRun } = options;
  const roleIds = permissionIds(graphSp.roles, EXPORT_PERMISSIONS, 'application');
  const exp = await ensureApp(graph, {
    label: 'the export app', appId: options.appId, displayName: EXPORT_APP_NAME, idFlag: '--export-client-id',
    body: { signInAudience: 'AzureADMyOrg', requiredResourceAccess: [{ resourceAppId: GRAPH_APP_ID, resourceAccess: roleIds.map((id) => ({ id, type: 'Role' })) }] },
  }, dryRun, changes);
  if (!exp.created) await ensureResourceAccess(graph, exp.app, 'the export app', roleIds, EXPORT_PERMISSIONS, dryRun, changes, 'Role');
  await ensureServicePrincipal(graph, exp.app, 'the export app', dryRun, changes);

  // Admin consent for application permissions is an app role assignment per permission.
  const sp = await servicePrincipalOf(graph, exp.app, dryRun);
  const granted = sp ? await graph.appRoleAssignments(sp.id) : [];
  const missing = EXPORT_PERMISSIONS.filter((_, i) => !granted.some((g) => g.resourceId.toLowerCase() === graphSp.id.toLowerCase() && g.appRoleId.toLowerCase() === roleIds[i]!.toLowerCase()));
  if (missing.length > 0) {
    changes.push(`grant the Microsoft Graph application permissions ${missing.join(', ')} to the export app${exp.app ? ` ${exp.app.appId}` : ''}`);
    if (!dryRun && sp) for (const name of missing) await graph.assignAppRole(sp.id, graphSp.id, roleIds[EXPORT_PERMISSIONS.indexOf(name)]!);
  }

  const secret = await ensureSecret(graph, exp.app, { label: 'the export app', description: 'm365-copilot-mcp setup (export)', newSecret: options.newSecret, secretFile: options.secretFile, dryRun }, changes);

  const roles = planExportRole(server?.appRoles, options.role);
  if (roles) {
    changes.push(`define the app role ${options.role} (users) on the server app`);
    if (!dryRun && server) await graph.update(server.id, { appRoles: roles });
  }
  return { appId: exp.app?.appId, ...secret };
}

interface SecretResult {
  /** The new secret (or `$(cat FILE)`), only when this run added one. */
  secret: string | undefined;
  secretKept: boolean;
}

/** A client secret: one per app, kept on a re-run unless --new-secret asks for another. */
async function ensureSecret(graph: GraphApplications, app: Application | undefined, want: { label: string; description: string; newSecret: boolean; secretFile: string | undefined; dryRun: boolean }, changes: string[]): Promise<SecretResult> {
  const secretKept = (app?.passwordCredentials ?? []).length > 0 && !want.newSecret;
  if (secretKept) return { secret: undefined, secretKept };
  changes.push(`add a client secret to ${want.label}`);
  const secret = !want.dryRun && app ? await keepSecret(await graph.addPassword(app.id, want.description), want.secretFile) : undefined;
  return { secret, secretKept };
}

/** What the text report says of a secret: kept, shown below once, or in its file. */
function secretLines(app: { label: string; secretName: string; advice: string }, result: SecretResult | undefined, file: string | undefined): string[] {
  if (result?.secretKept) return [`  ${app.label} already has a client secret: kept (--new-secret adds another)`];
  if (!result?.secret) return [];
  return [file ? `  the new ${app.secretName} is in ${file} (mode 0600)` : `  the new ${app.secretName} is shown below ONCE: ${app.advice}`];
}

/** Shows the secret once: on stdout (the report), or in a 0600 file with --secret-file. */
async function keepSecret(secret: string, file: string | undefined): Promise<string> {
  if (!file) return secret;
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return `$(cat ${file})`;
}

/**
 * `m365-copilot-mcp setup --public-url URL [--client-id ID] [--server-client-id ID] [--preauthorize ID,...]
 * [--new-secret] [--secret-file PATH] [--export-app [--export-client-id ID] [--export-secret-file PATH]]
 * [--admin-client-id ID] [--dry-run] [--json]`: creates or updates,
 * idempotently, through Graph, the public client (stdio), the server app for HTTP mode (identifier URI
 * = the public URL, access_as_user, v2.0 tokens, authorized clients, a client secret) and their admin
 * consent, with --export-app the export app too (setUpExport), then prints how to serve and how to sign in.
 */
export async function runSetup(config: Config, flags: Record<string, string | boolean | undefined>): Promise<number> {
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { component: 'setup' });
  if (!config.publicUrl) throw new AppError('InvalidArgument', 'setup needs --public-url: the URL clients reach the server at, which becomes its identifier URI', { nextStep: 'Add --public-url https://mcp.contoso.com/mcp (exactly as clients will use it).' });
  const extra = ids(flags['preauthorize']);
  const bad = extra.find((id) => !GUID.test(id));
  if (bad) throw new AppError('InvalidArgument', `--preauthorize takes application (client) ids, and "${bad}" is not one`, { nextStep: 'Pass GUIDs, comma-separated.' });
  const dryRun = flags['dry-run'] === true;
  const secretFile = typeof flags['secret-file'] === 'string' ? flags['secret-file'] : undefined;
  const source = await endpointSource(config, log);
  try {
    const ep = await source.endpoints;
    const resource = advertisedResource(config.publicUrl, '/mcp').id;
    const adminClient = typeof flags['admin-client-id'] === 'string' ? flags['admin-client-id'] : GRAPH_CLI_CLIENT_ID;
    const token = await adminToken(ep, adminClient, log);
    const graph = new GraphApplications(ep.graphBaseUrl, token, (url, init) => requestJson(ep, url, init));
    const graphSp = await graph.graphServicePrincipal(GRAPH_APP_ID);
    const changes: string[] = [];

    // The public client (stdio): device code and browser sign-in on loopback (http://localhost, any port).
    const stdioNeeds = [...delegatedScopes(selectTools(toolChoice(config, 'stdio')).offered), ...SIGN_IN_SCOPES];
    const stdioIds = permissionIds(graphSp.scopes, stdioNeeds);
    const pub = await ensureApp(graph, {
      label: 'the public client', appId: ep.publicClientId, displayName: PUBLIC_CLIENT_NAME, idFlag: '--client-id',
      body: { signInAudience: 'AzureADMyOrg', isFallbackPublicClient: true, publicClient: { redirectUris: ['http://localhost'] }, requiredResourceAccess: [{ resourceAppId: GRAPH_APP_ID, resourceAccess: stdioIds.map((id) => ({ id, type: 'Scope' })) }] },
    }, dryRun, changes);
    if (!pub.created) await ensureResourceAccess(graph, pub.app, 'the public client', stdioIds, stdioNeeds, dryRun, changes);
    await ensureServicePrincipal(graph, pub.app, 'the public client', dryRun, changes);

    // The server app (HTTP mode): a web API that also calls Graph on behalf of users.
    const httpNeeds = delegatedScopes(selectTools(toolChoice(config, 'http')).offered);
    const httpIds = permissionIds(graphSp.scopes, httpNeeds);
    const server = await ensureApp(graph, {
      label: 'the server app', appId: ep.serverApp?.clientId, displayName: SERVER_APP_NAME, idFlag: '--server-client-id',
      body: { signInAudience: 'AzureADMyOrg', requiredResourceAccess: [{ resourceAppId: GRAPH_APP_ID, resourceAccess: httpIds.map((id) => ({ id, type: 'Scope' })) }] },
    }, dryRun, changes);
    if (!server.created) await ensureResourceAccess(graph, server.app, 'the server app', httpIds, httpNeeds, dryRun, changes);
    await ensureServicePrincipal(graph, server.app, 'the server app', dryRun, changes);
    const publicClientId = pub.app?.appId;
    const clients = [...new Set([...(publicClientId ? [publicClientId] : []), VSCODE_CLIENT_ID, ...extra].map((id) => id.toLowerCase()))];
    if (!publicClientId) changes.push(`authorize the new public client for ${config.requiredScope}`);
    const plan = planRegistration(server.app ?? { id: '', appId: '' }, { resource, scope: config.requiredScope, clients });
    changes.push(...plan.flatMap((u) => u.describe));
    if (!dryRun && server.app) for (const update of plan) await graph.update(server.app.id, update.body);

    // A client secret for on-behalf-of: one, unless --new-secret asks for another.
    const serverSecret = await ensureSecret(graph, server.app, { label: 'the server app', description: 'm365-copilot-mcp setup', newSecret: flags['new-secret'] === true, secretFile, dryRun }, changes);
    const { secret, secretKept } = serverSecret;

    const exportFile = typeof flags['export-secret-file'] === 'string' ? flags['export-secret-file'] : undefined;
    const exported =
      flags['export-app'] === true
        ? await setUpExport(graph, graphSp, server.app, { appId: config.exportClientId ?? ep.exportApp?.clientId, role: config.exportRole, newSecret: flags['new-secret'] === true, secretFile: exportFile, dryRun }, changes)
        : undefined;

    // Admin consent, for all users: the Graph permissions on-behalf-of asks for (the tools HTTP mode
    // offers) for the server app, and those of the stdio tools (with sign-in's OpenID scopes) for the public client.
    const consents = [
      { label: 'the server app', app: server.app, needed: httpNeeds },
      { label: 'the public client', app: pub.app, needed: stdioNeeds },
    ];
    for (const consent of consents) {
      const sp = await servicePrincipalOf(graph, consent.app, dryRun);
      const grant = sp ? await graph.tenantWideGrant(sp.id, graphSp.id) : undefined;
      const granted = (grant?.scope ?? '').split(' ').filter(Boolean);
      const missing = consent.needed.filter((p) => !granted.some((g) => g.toLowerCase() === p.toLowerCase()));
      if (missing.length === 0) continue;
      changes.push(`grant admin consent (all users) for Microsoft Graph ${missing.join(', ')} to ${consent.label}${consent.app ? ` ${consent.app.appId}` : ''}`);
      if (dryRun || !sp) continue;
      const scope = [...granted, ...missing].join(' ');
      if (grant) await graph.updateGrant(grant.id, scope);
      else await graph.createGrant(sp.id, graphSp.id, scope);
    }

    // An id named by a flag is printed again; the emulator file's own apps need none.
    const namedServer = config.emulatorFile && !config.serverClientId && !server.created && ep.serverApp ? undefined : (server.app?.appId ?? '<the new server app id>');
    const namedClient = config.emulatorFile && !config.clientId && !pub.created && ep.publicClientId ? undefined : (pub.app?.appId ?? '<the new public client id>');
    const serve = serveCommand(config, ep, namedServer, resource, secret);
    if (exported) {
      // Named even with an emulator file: a flag with its secret wins over the file's export app.
      serve.args.push('--export-client-id', exported.appId ?? '<the new export app id>');
      serve.env[EXPORT_SECRET_VARIABLE] = exported.secret ?? '<the export app secret saved when it was created>';
    }
    const stdio = stdioCommand(config, ep, namedClient);
    const scope = `${resource}/${config.requiredScope}`;
    const changed = !dryRun && changes.length > 0;
    if (flags['json'] === true) {
      const exportReport = exported ? { exportApp: { appId: exported.appId ?? null, secretKept: exported.secretKept, role: config.exportRole } } : {};
      process.stdout.write(`${JSON.stringify({ serverApp: server.app?.appId ?? null, publicClient: pub.app?.appId ?? null, ...exportReport, dryRun, changed, changes, secretKept, serve, stdio: { args: stdio }, clients: { scope, clientIds: clients } })}\n`);
      return 0;
    }
    const lines = [
      `Public client ${pub.app?.appId ?? '(new)'} and server app ${server.app?.appId ?? '(new)'}${exported ? `, export app ${exported.appId ?? '(new)'}` : ''}:`,
      ...(changes.length ? changes.map((c) => `  ${dryRun ? 'would ' : ''}${c}`) : ['  already set up: nothing to change']),
      ...(dryRun && changes.length ? ['  (dry run: nothing was changed)'] : []),
      ...secretLines({ label: 'the server app', secretName: 'client secret', advice: 'store it now (a secret manager, not a file in git)' }, serverSecret, secretFile),
      ...secretLines({ label: 'the export app', secretName: 'export app secret', advice: 'store it now' }, exported, exportFile),
      '',
      'Serve HTTP mode with:',
      ...Object.entries(serve.env).map(([k, v]) => `  export ${k}=${v}`),
      `  m365-copilot-mcp ${serve.args.join(' ')}`,
      '',
      'Sign in and run the stdio server with:',
      `  m365-copilot-mcp login ${stdio.join(' ')}`,
      `  m365-copilot-mcp ${stdio.join(' ')}`,
      '',
      `HTTP clients request the scope ${scope} with resource ${resource}; authorized client ids: ${clients.join(', ')}.`,
      ...(exported
        ? [
            `Users export their own Copilot interactions; exporting anyone's needs the app role ${config.exportRole} on the server app, which setup assigns to nobody:`,
            '  an administrator assigns it in Enterprise applications → the server app → Users and groups,',
            `  or with Graph: POST /users/{user id}/appRoleAssignments { principalId: user id, resourceId: the server app's service principal id, appRoleId: the ${config.exportRole} role id }.`,
          ]
        : []),
      'Per client: README, "Connect a client to HTTP mode".',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await source.stop();
  }
}
