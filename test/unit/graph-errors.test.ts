import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { GraphError, describePermissions, parseGraphError, parseRetryAfter } from '../../src/graph/errors.js';

const input = (status: number, bodyText: string, headers: Record<string, string> = {}) => ({ status, headers, bodyText, method: 'GET', path: '/v1.0/x?$filter=secret' });

describe('parseGraphError', () => {
  it('is an AppError with the Graph fields, and drops the query string from the path', () => {
    const err = parseGraphError(input(404, JSON.stringify({ error: { code: 'itemNotFound', message: 'gone' } }), { 'Request-Id': 'R', 'client-request-id': 'C' }));
    expect(err).toBeInstanceOf(AppError);
    expect(err).toBeInstanceOf(GraphError);
    expect(err).toMatchObject({ code: 'NotFound', status: 404, graphCode: 'itemNotFound', graphMessage: 'gone', requestId: 'R', clientRequestId: 'C' });
    expect(err.details).toMatchObject({ status: 404, graphCode: 'itemNotFound', requestId: 'R', path: '/v1.0/x' });
  });

  it('takes the deepest innerError code and ids from innerError when headers lack them', () => {
    const body = { error: { code: 'activityLimitReached', message: 'slow', innererror: { code: 'throttledRequest', 'request-id': 'IR', innerError: { code: 'perUserLimit' } } } };
    const err = parseGraphError(input(429, JSON.stringify(body)));
    expect(err.innerCode).toBe('perUserLimit');
    expect(err.requestId).toBe('IR');
  });

  it('never throws on bodies that are not the envelope', () => {
    for (const body of ['', 'null', '[]', '"text"', '{"error":null}', '{"error":"flat string"}', '{"error":{"code":42}}', '<html>', '{broken']) {
      const err = parseGraphError(input(500, body));
      expect(err.code).toBe('GraphError');
      expect(err.message.startsWith('Graph answered 500')).toBe(true);
    }
  });

  it('spots licence messages in code, message or inner code', () => {
    expect(parseGraphError(input(403, JSON.stringify({ error: { code: 'LicenseNotFound', message: 'x' } }))).code).toBe('LicenseRequired');
    expect(parseGraphError(input(403, JSON.stringify({ error: { code: 'Forbidden', message: 'x', innerError: { code: 'missingLicence' } } }))).code).toBe('LicenseRequired');
    expect(parseGraphError(input(403, JSON.stringify({ error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } }))).code).toBe('Forbidden');
  });

  it('falls back to a generic permission sentence when the caller named none', () => {
    const err = parseGraphError(input(403, JSON.stringify({ error: { code: 'accessDenied', message: 'no' } })));
    expect(err.nextStep).toMatch(/lacks a permission.*admin consent/);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('10', now)).toBe(10);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('describePermissions', () => {
  it('groups a shared kind and lists mixed kinds as given', () => {
    expect(describePermissions(['Files.Read.All (delegated)', 'Sites.Read.All (delegated)'])).toBe('Files.Read.All and Sites.Read.All (delegated)');
    expect(describePermissions(['A (delegated)', 'B (delegated)', 'C (delegated)'])).toBe('A, B and C (delegated)');
    expect(describePermissions(['A (delegated)', 'B (application)'])).toBe('A (delegated) and B (application)');
    expect(describePermissions(['User.Read'])).toBe('User.Read');
  });
});
