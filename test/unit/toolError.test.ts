import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { toToolError } from '../../src/server/toolError.js';

describe('tool error mapping', () => {
  it('renders code, message, next step and Graph references', () => {
    const r = toToolError(new AppError('Forbidden', 'Graph answered 403 accessDenied', { nextStep: 'Ask an admin.', details: { graphCode: 'accessDenied', status: 403, requestId: 'rid-1' } }));
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toBe('Error [Forbidden]: Graph answered 403 accessDenied\nNext step: Ask an admin.\n(graphCode: accessDenied, status: 403, requestId: rid-1)');
  });

  it('never lets a token through', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const r = toToolError(new AppError('AuthFailed', `bad token ${jwt} and Bearer abc.def`));
    expect(r.content[0]!.text).not.toContain(jwt);
    expect(r.content[0]!.text).not.toContain('abc.def');
  });

  it('rethrows bugs instead of hiding them', () => {
    expect(() => toToolError(new TypeError('boom'))).toThrow('boom');
  });
});
