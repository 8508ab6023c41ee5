import { describe, expect, it } from 'vitest';
import { redact } from '../../src/log.js';

describe('log redaction', () => {
  it('keeps error codes readable but hides authorization codes, tokens and secrets', () => {
    const out = redact({
      code: 'Throttled',
      nested: { code: '0.AXoA-kGx_authorization-code.with.dots_and_dashes-' + 'x'.repeat(60) },
      access_token: 'anything',
      client_secret: 'abc',
      message: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl failed',
    }) as Record<string, unknown>;
    expect(out['code']).toBe('Throttled');
    expect(out['nested']).toEqual({ code: '[redacted]' });
    expect(out['access_token']).toBe('[redacted]');
    expect(out['client_secret']).toBe('[redacted]');
    expect(out['message']).not.toContain('eyJ');
  });
});
