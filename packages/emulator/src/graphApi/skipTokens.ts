/**
 * Opaque paging cursors: base64 of a small JSON object. Clients follow `@odata.nextLink` whole
 * and never look inside; the server rejects a token it did not make.
 */
export function encodeSkipToken(state: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify({ v: 1, ...state })).toString('base64');
}

export function decodeSkipToken(token: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && (parsed as Record<string, unknown>)['v'] === 1) return parsed as Record<string, unknown>;
  } catch {
    // fall through: not one of ours
  }
  return undefined;
}

/** Query parameters in the given order, values percent-encoded (a '+' must not become a space). */
export function queryString(params: readonly (readonly [string, string | undefined])[]): string {
  return params
    .filter((p): p is readonly [string, string] => p[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
}
