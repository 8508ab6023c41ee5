import { userByPrincipalName } from '../../graph/copilot/users.js';
import type { ToolContext } from '../tool.js';
import type { ExportUser } from './shape.js';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Entra allows A–Z a–z 0–9 ' . - _ ! # ^ ~ before the @ (guests: name_domain#EXT#@tenant), and a DNS
// name after it; anything else (/ ? & %) could only reshape the Graph URL it is put into.
export const UPN = /^[A-Za-z0-9'._!#^~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/** A GUID or UPN as given, in one spelling, so the same user asked twice is recognised (both are case-insensitive). */
export function normaliseUserRef(ref: string): string {
  return ref.trim().toLowerCase();
}

/**
 * The export path takes an object id; a UPN is resolved first (application permission User.Read.All),
 * but only once the caller may go on (HTTP mode): a refused caller never learns whether a UPN exists.
 * The resolved object id is then checked again against the grant, before any export request.
 */
export async function resolveAndAuthorize(ref: string, ctx: ToolContext): Promise<ExportUser> {
  const byId = GUID.test(ref);
  const grant = await ctx.authorizeExport(byId ? { id: ref } : { upn: ref });
  const user = byId ? { id: ref } : await resolveUpn(ref, ctx);
  grant.confirm(user.id);
  return user;
}

async function resolveUpn(upn: string, ctx: ToolContext): Promise<ExportUser> {
  const user = await userByPrincipalName(ctx.appGraph, upn, ctx.signal);
  return { id: user.id, upn: user.userPrincipalName ?? upn };
}

/** Users in the order asked, each once: a UPN and the same user's object id count as one. */
export async function resolveUsers(refs: string[], ctx: ToolContext): Promise<ExportUser[]> {
  const users: ExportUser[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const user = await resolveAndAuthorize(ref, ctx);
    if (seen.has(user.id.toLowerCase())) continue;
    seen.add(user.id.toLowerCase());
    users.push(user);
  }
  return users;
}
