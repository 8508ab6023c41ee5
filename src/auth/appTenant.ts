import { decodeJwt } from 'jose';
import { AppError } from '../errors.js';
import type { TokenBroker } from './broker.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The tenant id (a GUID, as callers' `tid` claims carry it) of the app-only credential. An authority
 * may name its tenant by domain (contoso.onmicrosoft.com); then the app-only token itself says which
 * tenant issued it. Asked once, on first need.
 */
export function appTenantId(authority: string | undefined, broker: TokenBroker): () => Promise<string> {
  const named = authority ? new URL(authority).pathname.split('/').filter(Boolean)[0] : undefined;
  if (named && GUID.test(named)) return async () => named.toLowerCase();
  let found: Promise<string> | undefined;
  return () =>
    (found ??= broker.getToken({ flow: 'app', scopes: [] }).then(({ accessToken }) => {
      const tid = decodeJwt(accessToken)['tid'];
      if (typeof tid !== 'string' || !GUID.test(tid))
        throw new AppError('AuthFailed', 'the app-only token of the export app names no tenant (tid)', { nextStep: 'Check the export app registration and --export-tenant.' });
      return tid.toLowerCase();
    })).catch((err: unknown) => {
      found = undefined; // a failed acquisition is asked again next time
      throw err;
    });
}
