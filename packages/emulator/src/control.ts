import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFaultPlan, type FaultInjector, type FaultPlan } from './faults.js';
import { BodyTooLargeError, closeAfterResponse, readBody, sendJson } from './httpIo.js';
import { INJECTABLE_ERRORS, INJECTABLE_GRANTS, type InjectedErrorRule } from './identity/injectedErrors.js';
import type { SigningKeys } from './identity/keys.js';
import { MintError, type MintRequest } from './identity/mint.js';
import type { IdentityProvider } from './identity/provider.js';
import { RegistrationError, registrationOf, updateRegistration, type ServerRegistration } from './identity/serverRegistration.js';
import type { SessionSettings } from './session.js';
import type { EmulatorStats } from './stats.js';

/**
 * `/_emulator/*`: what a test or the demo needs to steer the emulator and read its counters.
 * Served on both schemes; never part of what a real tenant offers.
 */
export const CONTROL_PREFIX = '/_emulator';

/**
 * The control routes mint tokens with any roles and approve sign-ins: any local user, or a web page
 * reaching 127.0.0.1 through DNS rebinding, could otherwise act as anyone in the tenant. So every
 * route but /health needs this header with the run's key (the descriptor's `controlKey`, a file only
 * its owner reads), and every route needs the Host the emulator listens on.
 */
export const CONTROL_KEY_HEADER = 'x-emulator-control-key';

export interface ControlAccess {
  /** The per-run secret (base64url, 32 random bytes). */
  key: string;
  /** The port the emulator listens on: the only Host values accepted are 127.0.0.1:port and localhost:port. */
  port: number;
}

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

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ControlError(400, 'badRequest', `"${field}" must be a non-empty string when given.`);
  return value;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ControlError(400, 'badRequest', `"${field}" must be one of: ${allowed.join(', ')}.`);
  return value as T;
}

function wholeNumber(body: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ControlError(400, 'badRequest', `"${field}" must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

function injectedErrorRule(body: Record<string, unknown>, provider: IdentityProvider): InjectedErrorRule {
  const error = oneOf(requireString(body, 'error'), INJECTABLE_ERRORS, 'error');
  const grantName = optionalString(body, 'grant');
  const grant = grantName === undefined ? undefined : oneOf(grantName, INJECTABLE_GRANTS, 'grant');
  const upn = optionalString(body, 'upn');
  if (upn !== undefined && provider.userByUpn(upn) === undefined) throw new ControlError(404, 'notFound', `No user ${upn} in the emulated tenant.`);
  const suberror = optionalString(body, 'suberror');
  const description = optionalString(body, 'description');
  return {
    error,
    count: wholeNumber(body, 'count', 1, 10_000) ?? 1,
    ...(grant === undefined ? {} : { grant }),
    ...(upn === undefined ? {} : { upn }),
    ...(suberror === undefined ? {} : { suberror }),
    ...(description === undefined ? {} : { description }),
  };
}

function optionalStringArray(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v.trim() !== '')) {
    throw new ControlError(400, 'badRequest', `"${field}" must be an array of non-empty strings when given.`);
  }
  return value;
}

function mintRequest(body: Record<string, unknown>): MintRequest {
  const lifetimeSec = wholeNumber(body, 'lifetimeSec', -MAX_TOKEN_LIFETIME_SEC, MAX_TOKEN_LIFETIME_SEC);
  if (lifetimeSec === 0) throw new ControlError(400, 'badRequest', '"lifetimeSec" must not be 0: positive for a valid token, negative for an expired one.');
  const audience = optionalString(body, 'audience');
  const scope = optionalString(body, 'scope');
  const tenant = optionalString(body, 'tenant');
  const roles = optionalStringArray(body, 'roles');
  const issuer = optionalString(body, 'issuer');
  const notBeforeSec = wholeNumber(body, 'notBeforeSec', 1, MAX_TOKEN_LIFETIME_SEC);
  return {
    user: requireString(body, 'user'),
    ...(audience === undefined ? {} : { audience }),
    ...(scope === undefined ? {} : { scope }),
    ...(tenant === undefined ? {} : { tenant }),
    ...(lifetimeSec === undefined ? {} : { lifetimeSec }),
    ...(roles === undefined ? {} : { roles }),
    ...(issuer === undefined ? {} : { issuer }),
    ...(notBeforeSec === undefined ? {} : { notBeforeSec }),
  };
}

// A day is Entra's longest configurable access token lifetime.
const MAX_TOKEN_LIFETIME_SEC = 86_400;

const DECISION_ERRORS = {
  unknown: new ControlError(404, 'notFound', 'No pending device code has that user code.'),
  expired: new ControlError(410, 'expired', 'That device code has expired.'),
  decided: new ControlError(409, 'conflict', 'That device code was already approved, denied or redeemed.'),
} as const;

export type ControlHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

function checkAccess(req: IncomingMessage, path: string, access: ControlAccess): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (host !== `127.0.0.1:${access.port}` && host !== `localhost:${access.port}`) {
    throw new ControlError(403, 'forbiddenHost', `Control routes answer only requests for 127.0.0.1:${access.port} (Host was "${host.slice(0, 100)}").`);
  }
  if (path === '/health') return;
  const given = req.headers[CONTROL_KEY_HEADER];
  const expected = Buffer.from(access.key);
  const actual = Buffer.from(typeof given === 'string' ? given : '');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new ControlError(401, 'controlKeyRequired', `Control routes need the header ${CONTROL_KEY_HEADER} with the emulator descriptor's "controlKey".`);
  }
}

/** POST /reset's body: each field given replaces the run's start value (its flags) for the new session. */
function resetSettings(body: Record<string, unknown>, provider: IdentityProvider): Partial<SessionSettings> {
  const retrievalBudgetPerHour = wholeNumber(body, 'retrievalBudgetPerHour', 1, 1_000_000_000);
  const deviceCodeIntervalSec = wholeNumber(body, 'deviceCodeIntervalSec', 1, 3600);
  const accessTokenLifetimeSec = wholeNumber(body, 'accessTokenLifetimeSec', 1, MAX_TOKEN_LIFETIME_SEC);
  const autoApproveUpn = optionalString(body, 'autoApproveUpn');
  if (autoApproveUpn !== undefined && autoApproveUpn.toLowerCase() !== 'demo' && provider.userByUpn(autoApproveUpn) === undefined) {
    throw new ControlError(404, 'notFound', `No user ${autoApproveUpn} in the emulated tenant ("autoApproveUpn" takes a UPN or "demo").`);
  }
  let faults: FaultPlan | undefined;
  if (body['faults'] !== undefined) {
    const parsed = parseFaultPlan(body['faults']);
    if (!parsed.ok) throw new ControlError(400, 'badRequest', `"faults": ${parsed.message}`);
    faults = body['faults'] as FaultPlan;
  }
  return {
    ...(retrievalBudgetPerHour === undefined ? {} : { retrievalBudgetPerHour }),
    ...(deviceCodeIntervalSec === undefined ? {} : { deviceCodeIntervalSec }),
    ...(accessTokenLifetimeSec === undefined ? {} : { accessTokenLifetimeSec }),
    ...(autoApproveUpn === undefined ? {} : { autoApproveUpn }),
    ...(faults === undefined ? {} : { faults }),
  };
}

export interface ControlRouteOptions {
  provider: IdentityProvider;
  keys: SigningKeys;
  stats: EmulatorStats;
  faults: FaultInjector;
  access: ControlAccess;
  /** Starts a new session (POST /reset): what requests changed is forgotten, the tenant and keys stay. */
  reset: (settings: Partial<SessionSettings>) => void;
}

function stringList(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === ''))
    throw new ControlError(400, 'badRequest', `"${field}" must be an array of non-empty strings.`);
  return value as string[];
}

function registrationChange(body: Record<string, unknown>): Partial<ServerRegistration> {
  const known = ['identifierUris', 'exposedScopes', 'preAuthorizedClientIds', 'requestedAccessTokenVersion', 'appRoles', 'delegatedScopes'];
  const unknown = Object.keys(body).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new ControlError(400, 'badRequest', `Unknown field "${unknown}": the registration has ${known.join(', ')}.`);
  const version = body['requestedAccessTokenVersion'];
  if (version !== undefined && version !== 1 && version !== 2) throw new ControlError(400, 'badRequest', '"requestedAccessTokenVersion" must be 1 or 2.');
  const change: Partial<ServerRegistration> = {};
  const identifierUris = stringList(body, 'identifierUris');
  const exposedScopes = stringList(body, 'exposedScopes');
  const preAuthorizedClientIds = stringList(body, 'preAuthorizedClientIds');
  if (identifierUris !== undefined) change.identifierUris = identifierUris;
  if (exposedScopes !== undefined) change.exposedScopes = exposedScopes;
  if (preAuthorizedClientIds !== undefined) change.preAuthorizedClientIds = preAuthorizedClientIds;
  const appRoles = stringList(body, 'appRoles');
  if (appRoles !== undefined) change.appRoles = appRoles;
  const delegatedScopes = stringList(body, 'delegatedScopes');
  if (delegatedScopes !== undefined) change.delegatedScopes = delegatedScopes;
  if (version !== undefined) change.requestedAccessTokenVersion = version;
  return change;
}

export function createControlRoutes(opts: ControlRouteOptions): ControlHandler {
  const { provider, keys, stats, faults, access } = opts;
  const mcpServer = () => {
    const app = provider.tenant.apps.mcpServer;
    if (app === undefined) throw new ControlError(404, 'notFound', 'This tenant has no MCP server app.');
    return app;
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/+$/, '');
    checkAccess(req, path, access);
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /health':
        return sendJson(res, 200, { status: 'ok', emulator: 'm365-copilot-emulator', tenantId: provider.tenant.id });
      case 'GET /facts': {
        // What tests and demos may rely on in this tenant (see data/facts.ts); loaded only when asked.
        const { tenantFacts } = await import('./data/facts.js');
        return sendJson(res, 200, tenantFacts(provider.tenant));
      }
      case 'GET /facts/readable': {
        // Which documents and connector items one user may read: what retrieval may ever show them.
        const upn = url.searchParams.get('user') ?? '';
        const user = provider.userByUpn(upn) ?? provider.tenant.users.find((u) => u.id.toLowerCase() === upn.toLowerCase());
        if (user === undefined) throw new ControlError(404, 'notFound', `No user "${upn}" in the emulated tenant: pass ?user=UPN or object id.`);
        const { readableBy } = await import('./data/facts.js');
        return sendJson(res, 200, { user: { id: user.id, upn: user.upn }, ...readableBy(provider.tenant, user.id) });
      }
      case 'GET /stats':
        return sendJson(res, 200, stats.snapshot());
      case 'POST /reset': {
        const settings = resetSettings(await readJsonObject(req), provider);
        opts.reset(settings);
        return sendJson(res, 200, { reset: true, settings });
      }
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
        const body = await readJsonObject(req);
        if (body['all'] === true) return sendJson(res, 200, { all: true, revokedRefreshTokens: provider.revokeAll() });
        const upn = requireString(body, 'upn');
        const revoked = provider.revokeUser(upn);
        if (revoked === undefined) throw new ControlError(404, 'notFound', `No user ${upn} in the emulated tenant.`);
        return sendJson(res, 200, { upn, revokedRefreshTokens: revoked });
      }
      case 'GET /tokens/lifetime':
        return sendJson(res, 200, { seconds: provider.accessTokenLifetimeSec });
      case 'POST /tokens/lifetime': {
        const seconds = wholeNumber(await readJsonObject(req), 'seconds', 1, MAX_TOKEN_LIFETIME_SEC);
        if (seconds === undefined) throw new ControlError(400, 'badRequest', 'The body needs a whole number "seconds".');
        const previous = provider.accessTokenLifetimeSec;
        provider.setAccessTokenLifetime(seconds);
        return sendJson(res, 200, { previousSeconds: previous, seconds });
      }
      case 'POST /tokens/mint': {
        try {
          return sendJson(res, 200, await provider.mint(mintRequest(await readJsonObject(req))));
        } catch (err) {
          if (err instanceof MintError) throw new ControlError(400, 'badRequest', err.message);
          throw err;
        }
      }
      case 'GET /errors':
        return sendJson(res, 200, { pending: provider.injectedErrors.pending() });
      case 'POST /errors/next': {
        const rule = injectedErrorRule(await readJsonObject(req), provider);
        provider.injectedErrors.add(rule);
        return sendJson(res, 200, { queued: rule, pending: provider.injectedErrors.pending().length });
      }
      case 'POST /errors/clear':
        return sendJson(res, 200, { cleared: provider.injectedErrors.clear() });
      case 'GET /faults':
        return sendJson(res, 200, { plan: faults.current() ?? null, injected: stats.snapshot().faults });
      case 'POST /faults': {
        const parsed = parseFaultPlan(await readJsonObject(req));
        if (!parsed.ok) throw new ControlError(400, 'badRequest', parsed.message);
        faults.set(parsed.plan);
        return sendJson(res, 200, { plan: faults.current() });
      }
      case 'DELETE /faults':
      case 'POST /faults/clear': {
        const had = faults.current() !== undefined;
        faults.clear();
        return sendJson(res, 200, { cleared: had, plan: null });
      }
      case 'GET /apps/mcp-server':
        return sendJson(res, 200, registrationOf(mcpServer()));
      case 'POST /apps/mcp-server': {
        // Until the emulator serves Graph's applications API, the way a test registers what `setup` would.
        try {
          return sendJson(res, 200, updateRegistration(mcpServer(), registrationChange(await readJsonObject(req))));
        } catch (err) {
          if (err instanceof RegistrationError) throw new ControlError(400, 'badRequest', err.message);
          throw err;
        }
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
