import type { EmuApp } from '../model.js';
import type { Rng } from './prng.js';

export const PUBLIC_CLIENT_SCOPES = [
  'User.Read',
  'Files.Read.All',
  'Sites.Read.All',
  'ExternalItem.Read.All',
  // Lists the Copilot connector connections, whose ids connector retrieval needs.
  'ExternalConnection.Read.All',
  'OnlineMeetingAiInsight.Read.All',
  'OnlineMeetings.Read',
  'Calendars.Read',
  // Copilot usage reports (the user also needs a reports role; see graphApi/usageReportsEndpoint.ts).
  'Reports.Read.All',
  // Copilot Chat (beta) needs all of these, besides Sites.Read.All and ExternalItem.Read.All above.
  'Mail.Read',
  'People.Read.All',
  'OnlineMeetingTranscript.Read.All',
  'Chat.Read',
  'ChannelMessage.Read.All',
  'offline_access',
  'openid',
  'profile',
];

export function generateApps(rng: Rng): { publicClient: EmuApp; exportApp: EmuApp } {
  const publicClient: EmuApp = {
    clientId: rng.guid(),
    displayName: 'm365-copilot-mcp (emulator public client)',
    kind: 'public',
    appRoles: [],
    // Application.ReadWrite.All: `m365-copilot-mcp setup` signs an administrator in with this client
    // to update the server app's registration (Graph's applications API). Not a tool permission.
    delegatedScopes: [...PUBLIC_CLIENT_SCOPES, 'Application.ReadWrite.All', 'DelegatedPermissionGrant.ReadWrite.All'],
  };
  const exportApp: EmuApp = {
    clientId: rng.guid(),
    displayName: 'm365-copilot-mcp (emulator export app)',
    kind: 'confidential',
    // Shaped like an Entra client secret (prefix, '~', random tail); only meaningful to the emulator.
    clientSecret: `emu${rng.hex(2)}~${Buffer.from(rng.hex(48), 'hex').toString('base64url').slice(0, 34)}`,
    appRoles: ['AiEnterpriseInteraction.Read.All', 'User.Read.All'],
    delegatedScopes: [],
  };
  return { publicClient, exportApp };
}
