import { hash } from 'node:crypto';
import { createRemoteJWKSet, customFetch, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { OAuthError, OAuthErrorCode, type AuthInfo, type OAuthTokenVerifier } from '@modelcontextprotocol/server';
import type { NetworkClient } from '../../auth/networkClient.js';

/**
 * Validates the bearer tokens MCP clients present in HTTP mode, locally (no call to Entra per
 * request): RS256 signature against the authority's JWKS, issuer of an allowed tenant, audience of
 * this server, exp/nbf with a small skew. Scope checks are left to the SDK's bearer gate
 * (`requiredScopes`), which answers 403 insufficient_scope with the right challenge.
 */
export interface EntraVerifierOptions {
  /** https origin of the identity authority, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** JWKS url (from the home tenant's OpenID metadata). */
  jwksUri: string;
  /** Tenant ids whose users may call; `*` accepts any tenant (multi-tenant). */
  allowedTenants: string[] | '*';
  /** Accepted `aud` values: the server's client id and/or its application id URI. */
  audiences: string[];
  /** Identity traffic goes through the same trust list as MSAL's (the emulator CA, corporate roots). */
  network: NetworkClient;
  clockSkewSeconds?: number;
  /** Seconds to wait before refetching the JWKS for an unknown key id (key rotation). */
  jwksCooldownSeconds?: number;
  /** For tests: the clock readiness is judged by. */
  clock?: () => number;
}

/** How often the signing keys are fetched in the background, whatever the traffic (keeps /readyz truthful without a fetch per probe). */
export const JWKS_REFRESH_MS = 5 * 60_000;
/** Keys fetched longer ago than this are stale: two refreshes in a row failed, so /readyz says jwks: false. */
export const JWKS_FRESH_MS = 2 * JWKS_REFRESH_MS + 60_000;

/** What the rest of the server learns about the caller: never more than these claims. */
export interface VerifiedCaller {
  userId: string;
  tenantId: string;
  upn?: string;
  name?: string;
  roles: string[];
  scopes: string[];
  /** The client application that obtained the token (azp / appid). */
  clientAppId: string;
}

const MAX_TOKEN_CHARS = 16 * 1024;

function invalid(description: string): OAuthError {
  return new OAuthError(OAuthErrorCode.InvalidToken, description);
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const v = payload[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Issuers Entra uses for a tenant (access-token-claims-reference, `iss`): v2.0 tokens end in `/v2.0`
 * (`{host}/{tid}/v2.0`); v1.0 tokens, which an API gets unless its manifest asks for v2
 * (`requestedAccessTokenVersion`), name the STS: `https://sts.windows.net/{tid}/`, or
 * `https://sts.chinacloudapi.cn/{tid}/` for the China cloud. Only the authority's keys can sign either.
 */
function issuersFor(authorityHost: string, tenantId: string): string[] {
  const host = authorityHost.replace(/\/+$/, '');
  const v1Sts = new URL(host).hostname.endsWith('.chinacloudapi.cn') ? 'https://sts.chinacloudapi.cn' : 'https://sts.windows.net';
  return [`${host}/${tenantId}/v2.0`, `${v1Sts}/${tenantId}/`];
}

const VERIFIED_CACHE_SIZE = 10_000;

/** What the verified-token cache is keyed by: a digest, so a heap dump of the server holds no bearer token. */
function cacheKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

export class EntraTokenVerifier implements OAuthTokenVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  /**
   * Tokens already verified, by the SHA-256 of their exact text (signature included, so a changed
   * token is a new key; the token itself is never kept): a client sends the same bearer on every
   * request, and an RS256 check per request was the largest cost of the HTTP path we control. An
   * entry is dropped at its token's exp (plus the skew); at most VERIFIED_CACHE_SIZE, oldest out first.
   */
  private readonly verified = new Map<string, { caller: VerifiedCaller; exp: number }>();
  private readonly allowed: Set<string> | '*';
  private audiences: string[];
  private lastJwksOk = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly clock: () => number;

  constructor(private readonly opts: EntraVerifierOptions) {
    this.clock = opts.clock ?? Date.now;
    this.allowed = opts.allowedTenants === '*' ? '*' : new Set(opts.allowedTenants.map((t) => t.toLowerCase()));
    this.audiences = [...opts.audiences];
    const network = opts.network;
    this.jwks = createRemoteJWKSet(new URL(opts.jwksUri), {
      cooldownDuration: (opts.jwksCooldownSeconds ?? 30) * 1000,
      cacheMaxAge: 10 * 60_000,
      timeoutDuration: 10_000,
      [customFetch]: async (url: string) => {
        const answer = await network.sendGetRequestAsync<unknown>(url);
        if (answer.status === 200) this.lastJwksOk = this.clock();
        return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
      },
    });
  }

  /**
   * For /readyz, from state this process already has (no fetch per probe: a balancer probing every
   * second must not become traffic to the authority): the signing keys were fetched recently, by a
   * token check or by the background refresh.
   */
  keysFresh(): boolean {
    return this.lastJwksOk > 0 && this.clock() - this.lastJwksOk < JWKS_FRESH_MS;
  }

  /**
   * Fetches the keys now and then every `everyMs` in the background (an idle instance stays ready
   * and a rotated key is known before the first token signed with it). Failures only show in keysFresh().
   */
  startKeyRefresh(everyMs = JWKS_REFRESH_MS): Promise<void> {
    const refresh = () => this.jwks.reload().catch(() => {});
    this.refreshTimer ??= setInterval(() => void refresh(), everyMs).unref();
    return refresh();
  }

  stopKeyRefresh(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** The advertised resource is known only once the server listens (--port 0); it may then join the audiences. */
  acceptAudiences(audiences: readonly string[]): void {
    this.audiences = [...audiences];
    this.verified.clear();
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const now = Date.now() / 1000;
    const key = cacheKey(token);
    let entry = this.verified.get(key);
    if (entry && entry.exp + (this.opts.clockSkewSeconds ?? 60) <= now) {
      this.verified.delete(key);
      entry = undefined;
    }
    if (!entry) {
      const caller = await this.verify(token);
      // verify() already refused tokens without exp.
      entry = { caller, exp: decodeJwt(token).exp! };
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(key, entry);
    }
    return { token, clientId: entry.caller.clientAppId, scopes: entry.caller.scopes, expiresAt: entry.exp };
  }

  /**
   * The caller of a token this verifier accepted (and that has not expired since): how the HTTP
   * layer learns who a request runs for, typed, instead of through the SDK's untyped authInfo.extra.
   */
  verifiedCaller(token: string): VerifiedCaller | undefined {
    const entry = this.verified.get(cacheKey(token));
    return entry && entry.exp + (this.opts.clockSkewSeconds ?? 60) > Date.now() / 1000 ? entry.caller : undefined;
  }

  async verify(token: string): Promise<VerifiedCaller> {
    if (token.length > MAX_TOKEN_CHARS) throw invalid('The token is too long');
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw invalid('The token is not a JWT');
    }
    // The tenant decides the expected issuer; it is only trusted after the signature check below.
    const tid = stringClaim(unverified, 'tid');
    if (!tid) throw invalid('The token has no tenant (tid) claim');
    if (this.allowed !== '*' && !this.allowed.has(tid.toLowerCase())) throw invalid('The token was issued by a tenant this server does not serve');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: ['RS256'],
        issuer: issuersFor(this.opts.authorityHost, tid),
        audience: this.audiences,
        clockTolerance: this.opts.clockSkewSeconds ?? 60,
        requiredClaims: ['exp', 'iat', 'oid', 'tid'],
      }));
    } catch (err) {
      // Our side failed (JWKS unreachable): a 500 the client may retry, not a verdict on its token.
      if (err instanceof joseErrors.JWKSTimeout || !(err instanceof joseErrors.JOSEError))
        throw new OAuthError(OAuthErrorCode.ServerError, 'The signing keys of the authority are unavailable; retry shortly');
      throw invalid(describeJoseError(err));
    }
    if (stringClaim(payload, 'tid') !== tid) throw invalid('The token has an inconsistent tenant');
    const oid = stringClaim(payload, 'oid');
    if (!oid) throw invalid('The token has no user (oid) claim');
    const scp = stringClaim(payload, 'scp');
    const roles = Array.isArray(payload['roles']) ? (payload['roles'] as unknown[]).filter((r): r is string => typeof r === 'string') : [];
    const upn = stringClaim(payload, 'preferred_username') ?? stringClaim(payload, 'upn');
    const name = stringClaim(payload, 'name');
    return {
      userId: oid,
      tenantId: tid,
      ...(upn ? { upn } : {}),
      ...(name ? { name } : {}),
      roles,
      // App-only tokens carry no scp: with no delegated scope they fail the required-scope check (403).
      scopes: scp ? scp.split(' ').filter(Boolean) : [],
      clientAppId: stringClaim(payload, 'azp') ?? stringClaim(payload, 'appid') ?? 'unknown',
    };
  }
}

/** Short, safe reasons for the challenge's error_description: never the token or its claims' values. */
function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'The token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'The token was not issued for this server (audience)';
    if (err.claim === 'iss') return 'The token was not issued by the expected authority (issuer)';
    if (err.claim === 'nbf') return 'The token is not valid yet';
    return `The token's ${err.claim} claim is invalid`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'The token is not signed with RS256';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is invalid';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'The token is signed with an unknown key';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'The token is malformed';
  return 'The token could not be verified';
}
