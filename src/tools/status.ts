import * as z from 'zod';
import { AppError } from '../errors.js';
import { type Connection, CONNECTION_LISTING_SCOPES, CONNECTIONS_SCOPE, listConnections } from '../graph/copilot/connections.js';
import { me as getMe, PROFILE_SCOPE } from '../graph/copilot/users.js';
import { ConnectionListings } from './connectionListings.js';
import { defineTool, type ToolContext } from './tool.js';

const output = z.object({
  signedIn: z.boolean(),
  user: z.object({ id: z.string(), upn: z.string(), displayName: z.string().optional(), tenantId: z.string() }).optional(),
  cloud: z.string(),
  tenantSource: z.enum(['emulator', 'cloud']).describe('emulator: the built-in emulated tenant.'),
  graphBaseUrl: z.string(),
  authority: z.string(),
  grantedScopes: z.array(z.string()),
  tokenExpiresAt: z.string().optional(),
  exportConfigured: z.boolean().describe('Whether the app-only export app is configured.'),
  serverVersion: z.string(),
  connectors: z
    .object({
      connections: z.array(z.object({ id: z.string(), name: z.string().optional(), state: z.string().optional() })),
      listed: z.boolean().describe('false: the signed-in user holds no permission to list connections; note says how to get the ids.'),
      listedAt: z.string().optional().describe('When Graph listed them (a listing is reused for up to a minute).'),
      note: z.string().optional(),
    })
    .describe("The tenant's Copilot connector connections: pass their ids as copilot_retrieve connectionIds with the externalItem source."),
  unavailableTools: z
    .array(z.object({ name: z.string(), reason: z.string() }))
    .optional()
    .describe('Tools this server does not offer because their Graph API does not exist in the configured national cloud.'),
});

export const statusTool = defineTool({
  name: 'copilot_status',
  title: 'Who am I signed in as (Copilot MCP status)',
  description:
    'Show the signed-in Microsoft 365 user (id, UPN, tenant), the cloud and Graph endpoint in use, the delegated permissions granted, whether interaction export is configured, the Copilot connector connections (the connectionIds copilot_retrieve needs for externalItem), and which tools this national cloud does not offer (and why). Starts sign-in when nobody is signed in. Use it to check the connection or diagnose permission errors.',
  instructions: 'copilot_status says who is signed in and which permissions are granted',
  toolset: 'status',
  stability: 'ga',
  api: { name: 'Microsoft Graph (/me)', clouds: ['global', 'usgov', 'usgovdod', 'china'] },
  readOnly: true,
  input: z.object({}),
  output,
  // Listing connector connections is an extra: used when held or silently granted, never asked for (see connectors below).
  permissions: { delegated: [PROFILE_SCOPE], optionalDelegated: CONNECTION_LISTING_SCOPES, application: [] },
  audited: {},
  examples: {},
  async handle(_args, ctx) {
    const me = await ctx.whoAmI([PROFILE_SCOPE]);
    // Independent requests (the listing needs the granted scopes, not the profile): one round trip of
    // waiting, not two. Both settle before the call ends (none outlives its audit record); the
    // profile's error wins, as when they ran one after the other.
    const [profileDone, listingDone] = await Promise.allSettled([getMe(ctx.graph, ctx.signal), connectors(me.scopes, me.account, ctx)]);
    if (profileDone.status === 'rejected') throw profileDone.reason;
    if (listingDone.status === 'rejected') throw listingDone.reason;
    const profile = profileDone.value;
    const connectorList = listingDone.value;
    const env = ctx.environment;
    const structured: z.output<typeof output> = {
      signedIn: true,
      user: {
        id: profile.id,
        upn: profile.userPrincipalName ?? me.account?.upn ?? '',
        ...(profile.displayName ? { displayName: profile.displayName } : {}),
        tenantId: me.account?.tenantId ?? '',
      },
      cloud: env.cloud,
      tenantSource: env.tenantSource,
      graphBaseUrl: env.graphBaseUrl,
      authority: env.authority,
      grantedScopes: [...me.scopes].sort(),
      ...(me.expiresOn ? { tokenExpiresAt: me.expiresOn.toISOString() } : {}),
      exportConfigured: env.exportConfigured,
      serverVersion: env.serverVersion,
      connectors: connectorList,
      ...(env.unavailableTools?.length ? { unavailableTools: env.unavailableTools } : {}),
    };
    const u = structured.user!;
    const text = [
      `Signed in as ${u.displayName ? `${u.displayName} ` : ''}<${u.upn}> (id ${u.id}, tenant ${u.tenantId})${env.tenantSource === 'emulator' ? ' on the built-in EMULATED tenant' : ''}.`,
      `Cloud ${env.cloud}, Graph ${env.graphBaseUrl}, authority ${env.authority}.`,
      `Granted: ${structured.grantedScopes.join(', ') || '(none)'}.`,
      `Interaction export: ${env.exportConfigured ? 'configured' : 'not configured (needs an app registration with AiEnterpriseInteraction.Read.All)'}.`,
      structured.connectors.listed
        ? `Copilot connector connections (copilot_retrieve connectionIds; listed ${structured.connectors.listedAt}): ${structured.connectors.connections.map((c) => `${c.id}${c.name ? ` (${c.name})` : ''}`).join(', ') || '(none)'}.`
        : `Copilot connector connections: ${structured.connectors.note}`,
      ...(env.unavailableTools ?? []).map((t) => `Unavailable: ${t.name}: ${t.reason}`),
    ].join('\n');
    return { structured, text };
  },
});

const NOT_LISTED =
  'not listed: that needs the delegated permission ExternalConnection.Read.All, which this sign-in cannot get without a new consent (an admin grants it to the app). ' +
  'Without it, ask an admin for the connection ids (Microsoft 365 admin center, Copilot, Connectors: each connection shows its ID).';

/** Process-wide, keyed by user: over HTTP one server answers many users. */
const listings = new ConnectionListings();

/**
 * Listed only with a permission the user holds or gets silently (cache, refresh under the admin's
 * consent): a status report never starts a sign-in or a consent prompt for an extra. The permission
 * is checked on every call; only the list itself is reused (connectionListings.ts says for how long).
 */
async function connectors(granted: readonly string[], account: { tenantId: string; userId: string } | undefined, ctx: ToolContext): Promise<z.output<typeof output>['connectors']> {
  const held = CONNECTION_LISTING_SCOPES.find((s) => granted.some((g) => g.toLowerCase() === s.toLowerCase()));
  const scope = held ?? ((await ctx.silentlyGranted([CONNECTIONS_SCOPE])) ? CONNECTIONS_SCOPE : undefined);
  if (!scope) return { connections: [], listed: false, note: NOT_LISTED };
  const recent = account && listings.recent(account);
  if (recent) return listed(recent.connections, recent.listedAt);
  try {
    const connections = await listConnections(ctx.graph, scope, ctx.signal);
    return listed(connections, account ? listings.remember(account, connections).listedAt : Date.now());
  } catch (err) {
    // The status report stands without this part; what went wrong is said, with its code.
    if (err instanceof AppError) return { connections: [], listed: false, note: `not listed: [${err.code}] ${err.message}` };
    throw err;
  }
}

const listed = (connections: Connection[], listedAt: number) => ({ connections, listed: true, listedAt: new Date(listedAt).toISOString() });
