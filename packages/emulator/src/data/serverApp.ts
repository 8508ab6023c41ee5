import type { EmuApiApp, EmuOtherTenant, EmuUser, Tenant } from '../model.js';
import { PUBLIC_CLIENT_SCOPES } from './apps.js';
import { createRng, hashString, type Rng } from './prng.js';

/**
 * Remote mode's registrations: the HTTP MCP server as a web API (audience of users' tokens and
 * on-behalf-of client) and a second organisation whose users must be refused.
 */
export const MCP_SERVER_SCOPE = 'access_as_user';
export const EXPORT_ROLE = 'Interactions.Export.All';

/** What the server may ask Graph for on behalf of a user: what the tools need (as for the public client), admin-consented. */
export const MCP_SERVER_GRAPH_SCOPES = PUBLIC_CLIENT_SCOPES;

export const OTHER_DOMAIN = 'fabrikam-emu.example';
const OTHER_PEOPLE = [
  { first: 'Debra', last: 'Berger', jobTitle: 'Administrative Assistant' },
  { first: 'Pradeep', last: 'Gupta', jobTitle: 'Accountant' },
  { first: 'Lidia', last: 'Holloway', jobTitle: 'Product Manager' },
] as const;

// Who holds the export role: the people an organisation would trust with everyone's Copilot history.
const EXPORT_ROLE_TITLE = /administrator|counsel|compliance/i;

export function generateServerApp(rng: Rng, users: readonly EmuUser[], ctx: { publicClientId: string; demoUserUpn: string }): EmuApiApp {
  const clientId = rng.guid();
  const userRoles: Record<string, string[]> = {};
  for (const user of users) {
    if (user.upn !== ctx.demoUserUpn && EXPORT_ROLE_TITLE.test(user.jobTitle)) userRoles[user.id] = [EXPORT_ROLE];
  }
  return {
    clientId,
    displayName: 'm365-copilot-mcp (emulator MCP server)',
    kind: 'confidential',
    // Shaped like an Entra client secret; only meaningful to the emulator run that describes it.
    clientSecret: `emu${rng.hex(2)}~${Buffer.from(rng.hex(48), 'hex').toString('base64url').slice(0, 34)}`,
    appRoles: [],
    delegatedScopes: MCP_SERVER_GRAPH_SCOPES.slice(),
    appIdUri: `api://${clientId}`,
    // Until `setup` (or a test) registers the server's public URL, only the default identifier URI.
    identifierUris: [`api://${clientId}`],
    requestedAccessTokenVersion: 2,
    exposedScopes: [MCP_SERVER_SCOPE],
    userRoleDefinitions: [EXPORT_ROLE],
    userRoles,
    preAuthorizedClientIds: [ctx.publicClientId],
  };
}

export function generateOtherTenant(rng: Rng): EmuOtherTenant {
  const id = rng.guid();
  const users = OTHER_PEOPLE.map((p): EmuUser => {
    const upn = `${p.first}.${p.last}@${OTHER_DOMAIN}`.toLowerCase();
    return { id: rng.guid(), upn, displayName: `${p.first} ${p.last}`, mail: upn, jobTitle: p.jobTitle, department: 'Fabrikam', copilotLicense: true };
  });
  return { id, domain: OTHER_DOMAIN, users };
}

/**
 * A tenant built by hand (tests) may lack the remote-mode parts: add them, derived from the
 * tenant id so the same tenant always gets the same ids.
 */
export function withRemoteModeParts(tenant: Tenant): RemoteReadyTenant {
  const seed = hashString(tenant.id);
  const mcpServer = (tenant.apps.mcpServer ??= generateServerApp(createRng(seed, 'mcpServer'), tenant.users, {
    publicClientId: tenant.apps.publicClient.clientId,
    demoUserUpn: tenant.demoUserUpn,
  }));
  const otherTenant = (tenant.otherTenant ??= generateOtherTenant(createRng(seed, 'otherTenant')));
  return Object.assign(tenant, { apps: Object.assign(tenant.apps, { mcpServer }), otherTenant });
}

export type RemoteReadyTenant = Tenant & { apps: Tenant['apps'] & { mcpServer: EmuApiApp }; otherTenant: EmuOtherTenant };
