import { randomBytes, randomUUID } from 'node:crypto';
import type { EmuApp, GraphRequest, Tenant } from '../model.js';
import { administers, hasAnyRole, hasAnyScope } from './callerPermissions.js';
import { replyFor } from './graphErrorReplies.js';
import type { RouteContext, RouteHandler } from './routeContext.js';
import { UpdateRefused, WRITE_PERMISSIONS, applicationObjectId, applyUpdate, managedApps, requiredResourceAccess, resourceOf } from './applicationsEndpoint.js';

/**
 * Creating what `m365-copilot-mcp setup` registers: applications, their secrets and their service
 * principals. A fresh tenant (data/freshTenant.ts) has two unregistered places, the public client
 * and the MCP server app; creating an app fills one, with a new app id, so that it is then as real
 * to the identity side as a generated one (sign-in, resource checks, on-behalf-of with its secret).
 * One public client and one web API: a third app is refused, as the emulator models no others.
 */
export const APPLICATION_CREATE_ROUTE = 'POST /applications';
export const APPLICATION_LIST_ROUTE = 'GET /applications';
export const ADD_PASSWORD_ROUTE = 'POST /applications/{id}/addPassword';
export const SERVICE_PRINCIPAL_CREATE_ROUTE = 'POST /servicePrincipals';

const READ_PERMISSIONS = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All'];

/** Delegated: Application.ReadWrite.All and a role that may manage app registrations (see applicationsEndpoint.ts); app-only: the role. */
function mayWrite(req: GraphRequest, ctx: RouteContext): boolean {
  return administers(req.caller, WRITE_PERMISSIONS, ctx.usersById);
}

const denied = (reply: ReturnType<typeof replyFor>) => reply.error(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

function isObject(body: unknown): body is Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body);
}

/** Registers `slot` as a new app: a new app id, Entra's defaults, then what the request set. */
function register(slot: EmuApp, displayName: string): void {
  slot.clientId = randomUUID();
  slot.displayName = displayName;
  slot.registered = true;
  slot.servicePrincipal = false;
}

/**
 * `POST /applications` (https://learn.microsoft.com/graph/api/application-post-applications):
 * displayName is required; Application.ReadWrite.All (delegated or application). A body with
 * `isFallbackPublicClient: true` or `publicClient` makes the public client, any other the web API.
 * Fields the emulator models: displayName, signInAudience (AzureADMyOrg only), publicClient.redirectUris,
 * isFallbackPublicClient, requiredResourceAccess, and for the web API identifierUris and api.
 */
export const applicationCreateHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, APPLICATION_CREATE_ROUTE);
  if (!mayWrite(req, ctx)) return denied(reply);
  const body = req.body;
  if (!isObject(body)) return reply.error(400, 'BadRequest', 'The request body must be a JSON object.');
  const { displayName, signInAudience, isFallbackPublicClient, publicClient, requiredResourceAccess: access, web: _web, ...rest } = body;
  if (typeof displayName !== 'string' || displayName.trim() === '') return reply.error(400, 'Request_BadRequest', "Property 'displayName' is required.");
  if (signInAudience !== undefined && signInAudience !== 'AzureADMyOrg')
    return reply.error(400, 'BadRequest', 'The emulated tenant is single-tenant: signInAudience must be AzureADMyOrg.');
  const wantsPublic = isFallbackPublicClient === true || publicClient !== undefined;
  const { tenant } = ctx;
  const slot: EmuApp | undefined = wantsPublic ? tenant.apps.publicClient : tenant.apps.mcpServer;
  if (slot === undefined || slot.registered !== false)
    return reply.error(400, 'BadRequest', `The emulator models one ${wantsPublic ? 'public client' : 'web API (the MCP server app)'} per tenant, and it is already registered; update it instead.`);
  let redirectUris: string[] | undefined;
  if (publicClient !== undefined) {
    const uris = isObject(publicClient) ? publicClient['redirectUris'] : undefined;
    if (uris !== undefined && (!Array.isArray(uris) || uris.some((u) => typeof u !== 'string'))) return reply.error(400, 'BadRequest', 'publicClient.redirectUris must be an array of strings.');
    redirectUris = uris as string[] | undefined;
  }
  if (wantsPublic && Object.keys(rest).length > 0) return reply.error(400, 'BadRequest', `The emulator models no '${Object.keys(rest)[0]}' for a public client.`);
  let resourceAccess: unknown[] | undefined;
  try {
    if (access !== undefined) resourceAccess = requiredResourceAccess(access);
    register(slot, displayName);
    if (resourceAccess !== undefined) slot.requiredResourceAccess = resourceAccess;
    if (redirectUris !== undefined) slot.publicClientRedirectUris = redirectUris;
    const server = tenant.apps.mcpServer;
    if (!wantsPublic && server !== undefined) {
      server.appIdUri = `api://${server.clientId}`;
      if (Object.keys(rest).length > 0) applyUpdate(server, rest);
    }
  } catch (err) {
    if (err instanceof UpdateRefused) return reply.error(400, err.code, err.message);
    throw err;
  }
  return { status: 201, route: APPLICATION_CREATE_ROUTE, body: { '@odata.context': `${req.baseUrl}/${req.version}/$metadata#applications/$entity`, ...resourceOf(tenant, slot) } };
};

/**
 * `GET /applications?$filter=...` (https://learn.microsoft.com/graph/api/application-list): the
 * filters setup uses, `displayName eq '...'` and `appId eq '...'` (eq on both is documented).
 * Without a filter, every registered app the emulator manages.
 */
export const applicationListHandler: RouteHandler = (req, _params, ctx) => {
  const reply = replyFor(req, ctx.clock, APPLICATION_LIST_ROUTE);
  if (!hasAnyRole(req.caller, READ_PERMISSIONS) && !hasAnyScope(req.caller, READ_PERMISSIONS)) return denied(reply);
  const filter = req.query.get('$filter') ?? '';
  const clauses = [...filter.matchAll(/(displayName|appId)\s+eq\s+'((?:[^']|'')*)'/gi)].map((m) => ({ field: (m[1] as string).toLowerCase(), value: (m[2] as string).replace(/''/g, "'") }));
  if (filter.trim() !== '' && clauses.length === 0) return reply.error(400, 'Request_UnsupportedQuery', `The emulator filters applications by displayName eq or appId eq only: '${filter}'.`);
  const value = managedApps(ctx.tenant)
    .filter((app) => clauses.every((c) => (c.field === 'appid' ? app.clientId.toLowerCase() === c.value.toLowerCase() : app.displayName === c.value)))
    .map((app) => resourceOf(ctx.tenant, app));
  return reply.ok({ '@odata.context': `${req.baseUrl}/${req.version}/$metadata#applications`, value });
};

/** Shaped like an Entra client secret: a 3-character hint, `~`, a random tail (40 characters in all). */
function newSecretText(): string {
  const tail = randomBytes(30).toString('base64url');
  return `${tail.slice(0, 3)}8Q~${tail.slice(3, 37)}`;
}

const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;

/**
 * `POST /applications/{id}/addPassword` (https://learn.microsoft.com/graph/api/application-addpassword):
 * Application.ReadWrite.All; body `{ passwordCredential: { displayName?, endDateTime? } }`; answers
 * 200 with the passwordCredential, whose `secretText` Graph shows only here. The emulator's default
 * lifetime, when no endDateTime is given, is two years.
 */
export const addPasswordHandler: RouteHandler = (req, params, ctx) => {
  const reply = replyFor(req, ctx.clock, ADD_PASSWORD_ROUTE);
  if (!mayWrite(req, ctx)) return denied(reply);
  const key = (params['id'] ?? '').toLowerCase();
  const app = managedApps(ctx.tenant).find((a) => applicationObjectId(ctx.tenant.id, a.clientId) === key);
  if (app === undefined) return reply.error(404, 'Request_ResourceNotFound', `Resource '${params['id'] ?? ''}' does not exist or one of its queried reference-property objects are not present.`);
  const credential = isObject(req.body) && isObject(req.body['passwordCredential']) ? req.body['passwordCredential'] : {};
  const now = ctx.clock();
  const end = typeof credential['endDateTime'] === 'string' ? Date.parse(credential['endDateTime']) : now + TWO_YEARS_MS;
  if (!Number.isFinite(end) || end <= now) return reply.error(400, 'BadRequest', 'passwordCredential.endDateTime must be a date in the future.');
  const secretText = newSecretText();
  const password = {
    keyId: randomUUID(),
    displayName: typeof credential['displayName'] === 'string' ? credential['displayName'] : null,
    hint: secretText.slice(0, 3),
    secretText,
    startDateTime: new Date(now).toISOString(),
    endDateTime: new Date(end).toISOString(),
  };
  (app.passwords ??= []).push(password);
  return reply.ok({ '@odata.context': `${req.baseUrl}/${req.version}/$metadata#microsoft.graph.passwordCredential`, customKeyIdentifier: null, ...password });
};

/**
 * `POST /servicePrincipals` (https://learn.microsoft.com/graph/api/serviceprincipal-post-serviceprincipals):
 * body `{ appId }`, Application.ReadWrite.All; 201 with the service principal. One per app: a second
 * is refused with 409, as Entra refuses a duplicate.
 */
export function servicePrincipalCreateHandler(spOf: (tenant: Tenant, app: EmuApp) => Record<string, unknown>): RouteHandler {
  return (req, _params, ctx) => {
    const reply = replyFor(req, ctx.clock, SERVICE_PRINCIPAL_CREATE_ROUTE);
    if (!mayWrite(req, ctx)) return denied(reply);
    const appId = isObject(req.body) && typeof req.body['appId'] === 'string' ? req.body['appId'].toLowerCase() : undefined;
    if (appId === undefined) return reply.error(400, 'Request_BadRequest', "Property 'appId' is required.");
    const app = managedApps(ctx.tenant).find((a) => a.clientId.toLowerCase() === appId);
    if (app === undefined) return reply.error(400, 'Request_BadRequest', `The appId '${appId}' of the service principal does not reference a valid application object.`);
    if (app.servicePrincipal !== false) return reply.error(409, 'Request_MultipleObjectsWithSameKeyValue', 'The service principal for this application already exists.');
    app.servicePrincipal = true;
    return { status: 201, route: SERVICE_PRINCIPAL_CREATE_ROUTE, body: { '@odata.context': `${req.baseUrl}/${req.version}/$metadata#servicePrincipals/$entity`, ...spOf(ctx.tenant, app) } };
  };
}
