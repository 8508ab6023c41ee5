import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CallerIdentity, RuntimeInfo } from '../tools/tool.js';

export interface ExportTarget {
  /** Entra object id of the user whose interactions are exported. */
  id: string;
  upn?: string;
}

/**
 * Whose Copilot interactions a caller may export. Export runs on the server's app-only permission,
 * which can read everyone's, so in HTTP mode the caller's own token decides: their own interactions
 * always, anyone's only with the configured app role. Over stdio the person running the server holds
 * the app credentials themselves, so there is nobody else to check. Every HTTP decision is logged.
 */
export function authorizeExport(
  environment: Pick<RuntimeInfo, 'transport'>,
  caller: CallerIdentity | undefined,
  exportRole: string,
  target: ExportTarget,
  log: Logger,
): void {
  if (environment.transport === 'stdio') return;
  if (!caller) throw new AppError('Unauthenticated', 'the caller of this export is unknown', { nextStep: 'Call the server with a valid bearer token.' });
  const own = caller.userId.toLowerCase() === target.id.toLowerCase() || (!!caller.upn && !!target.upn && caller.upn.toLowerCase() === target.upn.toLowerCase());
  const privileged = caller.roles.some((r) => r.toLowerCase() === exportRole.toLowerCase());
  const allowed = own || privileged;
  log.info('export authorization', {
    caller: caller.userId,
    tenant: caller.tenantId,
    target: target.id,
    allowed,
    reason: own ? 'own interactions' : privileged ? `app role ${exportRole}` : `not the caller's own and no ${exportRole} role`,
  });
  if (!allowed)
    throw new AppError('Forbidden', `you may export only your own Copilot interactions; exporting another user's needs the app role ${exportRole}`, {
      nextStep: `Ask an administrator to assign you the ${exportRole} app role on this server's app registration, or export your own interactions.`,
      details: { requiredRole: exportRole },
    });
}
