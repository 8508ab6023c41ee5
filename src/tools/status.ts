import * as z from 'zod';
import { me as getMe, PROFILE_SCOPE } from '../graph/copilot/users.js';
import { defineTool } from './tool.js';

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
  unavailableTools: z
    .array(z.object({ name: z.string(), reason: z.string() }))
    .optional()
    .describe('Tools this server does not offer because their Graph API does not exist in the configured national cloud.'),
});

export const statusTool = defineTool({
  name: 'copilot_status',
  title: 'Who am I signed in as (Copilot MCP status)',
  description:
    'Show the signed-in Microsoft 365 user (id, UPN, tenant), the cloud and Graph endpoint in use, the delegated permissions granted, whether interaction export is configured, and which tools this national cloud does not offer (and why). Starts sign-in when nobody is signed in. Use it to check the connection or diagnose permission errors.',
  instructions: 'copilot_status says who is signed in and which permissions are granted',
  toolset: 'status',
  stability: 'ga',
  api: { name: 'Microsoft Graph (/me)', clouds: ['global', 'usgov', 'usgovdod', 'china'] },
  readOnly: true,
  input: z.object({}),
  output,
  permissions: { delegated: [PROFILE_SCOPE], application: [] },
  audited: {},
  examples: {},
  async handle(_args, ctx) {
    const me = await ctx.whoAmI([PROFILE_SCOPE]);
    const profile = await getMe(ctx.graph, ctx.signal);
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
      ...(env.unavailableTools?.length ? { unavailableTools: env.unavailableTools } : {}),
    };
    const u = structured.user!;
    const text = [
      `Signed in as ${u.displayName ? `${u.displayName} ` : ''}<${u.upn}> (id ${u.id}, tenant ${u.tenantId})${env.tenantSource === 'emulator' ? ' on the built-in EMULATED tenant' : ''}.`,
      `Cloud ${env.cloud}, Graph ${env.graphBaseUrl}, authority ${env.authority}.`,
      `Granted: ${structured.grantedScopes.join(', ') || '(none)'}.`,
      `Interaction export: ${env.exportConfigured ? 'configured' : 'not configured (needs an app registration with AiEnterpriseInteraction.Read.All)'}.`,
      ...(env.unavailableTools ?? []).map((t) => `Unavailable: ${t.name}: ${t.reason}`),
    ].join('\n');
    return { structured, text };
  },
});
