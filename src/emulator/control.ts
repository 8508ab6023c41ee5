import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, closeAfterResponse, readBody, sendJson } from './httpIo.js';
import type { SigningKeys } from './identity/keys.js';
import type { IdentityProvider } from './identity/provider.js';
import type { EmulatorStats } from './stats.js';

/**
 * `/_emulator/*`: what a test or the demo needs to steer the emulator and read its counters.
 * Served on both schemes; never part of what a real tenant offers.
 */
export const CONTROL_PREFIX = '/_emulator';

const CONTROL_BODY_LIMIT = 64 * 1024;

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function fail(res: ServerResponse, err: ControlError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } });
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = (await readBody(req, CONTROL_BODY_LIMIT)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw new ControlError(400, 'badRequest', 'The body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ControlError(400, 'badRequest', 'The body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ControlError(400, 'badRequest', `The body needs a non-empty string "${field}".`);
  }
  return value;
}

const DECISION_ERRORS = {
  unknown: new ControlError(404, 'notFound', 'No pending device code has that user code.'),
  expired: new ControlError(410, 'expired', 'That device code has expired.'),
  decided: new ControlError(409, 'conflict', 'That device code was already approved, denied or redeemed.'),
} as const;

export type ControlHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export function createControlRoutes(opts: { provider: IdentityProvider; keys: SigningKeys; stats: EmulatorStats }): ControlHandler {
  const { provider, keys, stats } = opts;

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/+$/, '');
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /health':
        return sendJson(res, 200, { status: 'ok', emulator: 'm365-copilot-emulator', tenantId: provider.tenant.id });
      case 'GET /facts': {
        // What tests and demos may rely on in this tenant (see data/facts.ts); loaded only when asked.
        const { tenantFacts } = await import('./data/facts.js');
        return sendJson(res, 200, tenantFacts(provider.tenant));
      }
      case 'GET /stats':
        return sendJson(res, 200, stats.snapshot());
      case 'POST /stats/reset':
        stats.reset();
        return sendJson(res, 200, stats.snapshot());
      case 'POST /devicecode/approve': {
        const body = await readJsonObject(req);
        const userCode = requireString(body, 'userCode');
        const upn = requireString(body, 'upn');
        const result = provider.approveDeviceCode(userCode, upn);
        if (result === 'unknown_user') throw new ControlError(404, 'notFound', `No user ${upn} in the emulated tenant.`);
        if (result !== 'ok') throw DECISION_ERRORS[result];
        return sendJson(res, 200, { status: 'approved', userCode, upn });
      }
      case 'POST /devicecode/deny': {
        const userCode = requireString(await readJsonObject(req), 'userCode');
        const result = provider.denyDeviceCode(userCode);
        if (result !== 'ok') throw DECISION_ERRORS[result];
        return sendJson(res, 200, { status: 'denied', userCode });
      }
      case 'POST /tokens/revoke': {
        const upn = requireString(await readJsonObject(req), 'upn');
        const revoked = provider.revokeUser(upn);
        if (revoked === undefined) throw new ControlError(404, 'notFound', `No user ${upn} in the emulated tenant.`);
        return sendJson(res, 200, { upn, revokedRefreshTokens: revoked });
      }
      case 'POST /keys/rotate': {
        const previousKid = keys.kid;
        await keys.rotate();
        return sendJson(res, 200, { previousKid, kid: keys.kid });
      }
      default:
        throw new ControlError(404, 'notFound', `No control route ${key}.`);
    }
  }

  return async (req, res, url) => {
    try {
      await route(req, res, url);
    } catch (err) {
      if (err instanceof ControlError) return fail(res, err);
      if (err instanceof BodyTooLargeError) {
        closeAfterResponse(res);
        return fail(res, new ControlError(413, 'requestEntityTooLarge', err.message));
      }
      throw err;
    }
  };
}
