import type { EmuApp } from '../model.js';

/**
 * Microsoft's own public clients, present in every Entra tenant without a registration. The one the
 * emulator models is "Microsoft Graph Command Line Tools" (the client id Microsoft Graph PowerShell
 * and the Graph CLI sign in with), which `m365-copilot-mcp setup` uses to sign an administrator in,
 * so that setup needs no app registered beforehand, in a real tenant as in a fresh emulated one.
 * Its delegated permissions are those an administrator consents to for managing app registrations
 * (https://learn.microsoft.com/graph/api/application-post-applications and
 * https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignments, permission tables:
 * AppRoleAssignment.ReadWrite.All with Application.Read.All grants application permissions).
 */
export const GRAPH_CLI_APP: Readonly<EmuApp> = Object.freeze({
  clientId: '14d82eec-204b-4c2f-b7e8-296a70dab67e',
  displayName: 'Microsoft Graph Command Line Tools',
  kind: 'public',
  appRoles: [],
  delegatedScopes: [
    'Application.ReadWrite.All',
    'DelegatedPermissionGrant.ReadWrite.All',
    'AppRoleAssignment.ReadWrite.All',
    'Application.Read.All',
    'Directory.Read.All',
    'User.Read',
    'openid',
    'profile',
    'offline_access',
  ],
});
