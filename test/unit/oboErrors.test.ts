import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { LruMap } from '../../src/auth/obo/lru.js';
import { mapOboError } from '../../src/auth/obo/oboErrors.js';
import { AppError } from '../../src/errors.js';

const ASSERTION = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ1c2VyIn0.c2lnbmF0dXJl';
const SECRET = 'emu12~server-secret-value-abcdef';
const context = { scopes: ['Files.Read.All', 'User.Read'], authority: 'https://login.example/tenant-1', clientId: 'server-app', secrets: [ASSERTION, SECRET] };
const described = (aadsts: string, text: string) => `Error(s): ${aadsts} - Timestamp: 2026-01-01 - Description: AADSTS${aadsts}: ${text} - Correlation ID: c - Trace ID: t`;

describe('mapOboError', () => {
  const table: Array<[string, unknown, AppError['code'], RegExp]> = [
    ['consent missing (65001)', new InteractionRequiredAuthError('invalid_grant', 'c', described('65001', 'The user or administrator has not consented'), 'consent_required', '', '', '', '65001'), 'Forbidden', /tenant admin must grant admin consent .*Files\.Read\.All.*server-app.*adminconsent\?client_id=server-app/],
    ['conditional access (50076)', new InteractionRequiredAuthError('interaction_required', 'c', described('50076', 'you must use multi-factor authentication'), '', '', '', '{"access_token":{"capolids":{"essential":true}}}', '50076'), 'Unauthenticated', /sign the user in again/],
    ['expired assertion (500133)', new ServerError('invalid_grant', 'c', described('500133', 'Assertion is not within its valid time range.'), undefined, '500133'), 'Unauthenticated', /client must get a new token/],
    ['bad signature (50013)', new ServerError('invalid_grant', 'c', described('50013', 'Assertion failed signature validation.'), undefined, '50013'), 'Unauthenticated', /client must get a new token/],
    ['wrong server secret', new ServerError('invalid_client', 'c', described('7000215', 'Invalid client secret provided.'), undefined, '7000215'), 'AuthFailed', /M365_COPILOT_MCP_SERVER_CLIENT_SECRET/],
    ['unknown scope', new ServerError('invalid_scope', 'c', described('70011', 'The provided value for scope is not valid.'), undefined, '70011'), 'AuthFailed', /Add the Microsoft Graph delegated permissions/],
    ['identity provider unreachable', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { errorCode: 'network_error' }), 'NetworkError', /network access/],
  ];

  it.each(table)('%s', (_name, err, code, nextStep) => {
    const mapped = mapOboError(err, context);
    expect(mapped.code).toBe(code);
    expect(mapped.nextStep).toMatch(nextStep);
    expect(mapped.cause).toBe(err);
  });

  it('keeps the claims challenge of a conditional access failure for the client', () => {
    const mapped = mapOboError(table[1]![1], context);
    expect(mapped.details['claims']).toContain('capolids');
  });

  it('passes our own errors through (e.g. CacheUnavailable from Redis)', () => {
    const own = new AppError('CacheUnavailable', 'the shared token cache is unavailable', { nextStep: 'Retry.' });
    expect(mapOboError(own, context)).toBe(own);
  });

  it('never returns the assertion or the secret, even when a provider echoes them', () => {
    const echo = new ServerError('invalid_request', 'c', described('90014', `bad request: assertion=${ASSERTION} client_secret=${SECRET}`), undefined, '90014');
    const mapped = mapOboError(echo, context);
    const cause = mapped.cause as Error;
    const text = `${mapped.message} ${mapped.nextStep} ${JSON.stringify(mapped.details)} ${cause.message}`;
    expect(text).not.toContain(ASSERTION);
    expect(text).not.toContain(SECRET);
    expect(mapped.code).toBe('AuthFailed');
  });
});

describe('LruMap', () => {
  it('evicts the least recently used entry, counting a read as a use', () => {
    const evicted: string[] = [];
    const lru = new LruMap<string, number>(2, (k) => evicted.push(k));
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect(lru.peek('a')).toBe(1);
    lru.peek('a');
    lru.set('d', 4);
    expect(evicted).toEqual(['b', 'a']);
    expect(lru.size).toBe(2);
  });
});
