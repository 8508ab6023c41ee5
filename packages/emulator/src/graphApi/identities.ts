import type { EmuUser } from '../model.js';

/** The Copilot bot as interaction exports name it (contract §2.7). */
export const COPILOT_BOT_ID = 'fb8d773d-7ef8-4ec0-a117-179f88add510';

export function teamworkUser(id: string, displayName: string, tenantId: string): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.teamworkUserIdentity', id, displayName, userIdentityType: 'aadUser', tenantId };
}

/** An identitySet holding one user, as meeting insights' speakers appear. */
export function userIdentitySet(user: EmuUser | undefined, id: string, tenantId: string): Record<string, unknown> {
  return { application: null, device: null, user: teamworkUser(id, user?.displayName ?? id, tenantId) };
}
