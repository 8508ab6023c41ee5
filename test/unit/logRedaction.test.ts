import { describe, expect, it } from 'vitest';
import { parseGraphError } from '../../src/graph/errors.js';
import { redact, redactText } from '../../src/log.js';
import { bodyToPlainText } from '../../src/tools/plainText.js';

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

/**
 * Red-team finding 3: the JWT pattern was quadratic on long base64url runs (a 120 KB id echoed in a
 * Graph error froze the event loop for 18.6 s). These inputs, each 1 MB, took minutes before; now
 * they must finish well inside the test's timeout, and still redact what they should.
 */
describe('redaction on hostile text is linear', () => {
  const MB = 1024 * 1024;
  it('redacts a megabyte of base64url runs full of "eyJ", of dots, and of "Bearer" with spaces', { timeout: 5_000 }, () => {
    const cases = ['eyJ'.repeat(MB / 3), `eyJ${'A'.repeat(MB)}`, `eyJaaaaa.${'b'.repeat(MB)}`, `${'eyJaaaaa.'.repeat(MB / 9)}`, `Bearer ${' '.repeat(MB)}!`, `${'Bearer '.repeat(MB / 7)}`];
    for (const text of cases) expect(typeof redactText(text)).toBe('string');
    expect(redactText(`token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl in ${'x'.repeat(MB)}`)).toContain('[redacted-jwt]');
  });

  it('leaves words after "bearer" alone and still hides a bearer credential', () => {
    expect(redactText('bearer refused: the token expired')).toBe('bearer refused: the token expired');
    expect(redactText('Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789')).toBe('Authorization: Bearer [redacted]');
  });

  it('cuts a huge log field before it is written', () => {
    const out = redact({ message: 'x'.repeat(MB) }) as { message: string };
    expect(out.message.length).toBeLessThan(10_000);
    expect(out.message).toMatch(/more characters\]$/);
  });

  it('parses a megabyte error body of "<" without a ">" and bounds the message', { timeout: 5_000 }, () => {
    const html = parseGraphError({ status: 502, headers: {}, bodyText: '<'.repeat(MB), method: 'GET', path: '/x' });
    expect(html.message.length).toBeLessThan(300);
    const echoed = parseGraphError({ status: 400, headers: {}, bodyText: JSON.stringify({ error: { code: 'BadRequest', message: `bad id ${'eyJ'.repeat(20_000)}` } }), method: 'POST', path: '/copilot/retrieval' });
    expect(echoed.message.length).toBeLessThan(1_200);
  });

  it('turns a megabyte of HTML-ish interaction text into plain text', { timeout: 5_000 }, () => {
    expect(typeof bodyToPlainText({ contentType: 'html', content: '<a'.repeat(MB / 2) })).toBe('string');
    expect(bodyToPlainText({ contentType: 'text', content: `a${' '.repeat(MB)}b\nc` })).toBe('a b\nc');
    expect(bodyToPlainText({ contentType: 'text', content: `a${' '.repeat(MB)}\nc` })).toBe('a\nc');
  });
});
