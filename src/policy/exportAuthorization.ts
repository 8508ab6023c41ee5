import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CallerIdentity, RuntimeInfo } from '../tools/tool.js';

/** Whose interactions an export names: an object id, or a UPN that is resolved only once the caller may go on. */
export type ExportTarget = { id: string; upn?: undefined } | { upn: string; id?: undefined };

/** What the caller was granted: anyone's interactions, or only their own (checked again once a UPN is resolved). */
export interface ExportGrant {
  scope: 'anyone' | 'self';
  /** Throws Forbidden unless this resolved object id is one the grant covers. */
  confirm(userId: string): void;
}

export interface ExportRule {
  /** The app role that allows exporting other users' interactions (HTTP mode). */
  role: string;
  /**
   * The tenant whose app-only credential runs the export. Only its users may export: the role of a
   * user of another tenant was assigned by that tenant's admin and means nothing here.
   */
  tenantId(): Promise<string>;
}

const ANYONE: ExportGrant = { scope: 'anyone', confirm: () => undefined };

/**
 * Whose Copilot interactions a caller may export. Export runs on the server's app-only permission,
 * which can read everyone's in its tenant, so in HTTP mode the caller's own token decides:
 * - callers of another tenant never (even with the role: their admin assigned it, not ours);
 * - their own interactions, decided by object id within the export tenant (never by
 *   preferred_username, which Microsoft documents as mutable);
 * - anyone's with the configured app role.
 * A UPN is resolved only after this check: a refused caller learns nothing about who exists.
 * Over stdio the person running the server holds the app credentials themselves. Every HTTP decision is logged.
 */
export async function authorizeExport(
  environment: Pick<RuntimeInfo, 'transport'>,
  caller: CallerIdentity | undefined,
  rule: ExportRule | undefined,
  target: ExportTarget,
  log: Logger,
): Promise<ExportGrant> {
  if (environment.transport === 'stdio') return ANYONE;
  if (!caller) throw new AppError('Unauthenticated', 'the caller of this export is unknown', { nextStep: 'Call the server with a valid bearer token.' });
  // Fails closed: a remote server composed without its rule exports nothing.
  if (!rule) throw new Error('HTTP mode runs without an export rule (a composition bug)');
  const exportTenant = await rule.tenantId();
  const decide = (allowed: boolean, reason: string) => {
    log.info('export authorization', { caller: caller.userId, tenant: caller.tenantId, target: target.id ?? 'upn', allowed, reason });
    return allowed;
  };
  if (caller.tenantId.toLowerCase() !== exportTenant.toLowerCase()) {
    decide(false, 'caller of another tenant');
    throw new AppError('Forbidden', `interaction export on this server is only for users of tenant ${exportTenant}; your token is from tenant ${caller.tenantId}`, {
      nextStep: "Export your organisation's Copilot interactions with a server configured for your own tenant.",
      details: { exportTenant },
    });
  }
  if (caller.roles.some((r) => r.toLowerCase() === rule.role.toLowerCase())) {
    decide(true, `app role ${rule.role}`);
    return ANYONE;
  }
  const isCaller = (userId: string) => userId.toLowerCase() === caller.userId.toLowerCase();
  const refuse = () =>
    new AppError('Forbidden', `you may export only your own Copilot interactions; exporting another user's needs the app role ${rule.role}`, {
      nextStep: `Ask an administrator to assign you the ${rule.role} app role on this server's app registration, or export your own interactions.`,
      details: { requiredRole: rule.role },
    });
  // A UPN other than the one in the caller's own token is not theirs; resolving it would only tell them whether it exists.
  const mayBeOwn = target.id !== undefined ? isCaller(target.id) : !!caller.upn && caller.upn.toLowerCase() === target.upn.toLowerCase();
  if (!decide(mayBeOwn, mayBeOwn ? 'own interactions' : `not the caller's own and no ${rule.role} role`)) throw refuse();
  return {
    scope: 'self',
    confirm(userId) {
      // The UPN named the caller, but only the object id says who that is now.
      if (!isCaller(userId)) {
        decide(false, 'the UPN resolved to another object id');
        throw refuse();
      }
    },
  };
}
